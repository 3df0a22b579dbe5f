"""Parameter types shared by the ``querylang`` commands and the ``import`` group."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from querylang.app.commands import is_url


class DbParam(click.ParamType):
    """--db: a DuckDB file (a Path) or a PostgreSQL URL (kept as text: a Path folds its //)."""

    name = "FILE|URL"

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        if isinstance(value, Path) or is_url(value):
            return value
        return click.Path(dir_okay=False, path_type=Path).convert(value, param, ctx)
