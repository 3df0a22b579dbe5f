"""Importers: Parse data from elsewhere into a querylang database.

- :func:`import_parse_server`: a live Parse Server, over REST with the master key.
- :func:`import_mongo_export`: ``mongoexport`` files of a Parse database on MongoDB.
- :func:`import_rest_exports`: Parse Dashboard class exports and parse.com ``{"results": [...]}`` files.

Each writes the interchange format (README, "Interchange format") to a temporary directory and
loads it with ``Database.load``: all or nothing. Parse types and names are mapped in
:mod:`querylang.model.parse_types`.
"""

from __future__ import annotations

from querylang.model.parse_types import Target, detect_target

from .dashboard import import_rest_exports
from .interchange import ImportedThenInterrupted, ImportReport
from .mongo_export import import_mongo_export
from .parse_server import import_parse_server

__all__ = ["ImportReport", "ImportedThenInterrupted", "Target", "detect_target", "import_mongo_export", "import_parse_server", "import_rest_exports"]
