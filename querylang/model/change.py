"""What one read-modify-write of a record does (``Database.update``): the fields it sets and
the Relation edges it adds and removes, all in the transaction that read the record."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Change:
    """``fields`` as for ``Database.save`` (None sets a field to null); ``add`` / ``remove``: a
    Relation field's name → the target objectIds whose edges to add / remove (the adds first);
    ``unset``: fields left without a value, not even null (MongoDB's ``$unset``; Parse's
    ``Delete``), so a read leaves them out where one that holds null answers null."""

    fields: Mapping[str, Any] = field(default_factory=dict)
    add: Mapping[str, Sequence[str]] = field(default_factory=dict)
    remove: Mapping[str, Sequence[str]] = field(default_factory=dict)
    unset: Sequence[str] = ()
