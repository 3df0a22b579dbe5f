"""querylang: Noodl / Parse style record queries, compiled to parameterized SQL over DuckDB.

>>> import querylang
>>> db = querylang.connect()
>>> _ = db.load({"classes": {"Post": {"fields": {"title": {"type": "String"}}}},
...              "records": {"Post": [{"objectId": "p1", "title": "Hi"}, {"objectId": "p2", "title": "Yo"}]}})
>>> db.query("Post", "where({ title: { equalTo: Inputs.T } })", inputs={"T": "Hi"}).ids
['p1']
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from querylang.api import Database, Result, build_query, connect, evaluate, matches
    from querylang.engines.sql.compiler import Plan, compile_query
    from querylang.errors import (
        DataError,
        EngineError,
        LimitExceeded,
        LoadedThenInterrupted,
        QueryCancelled,
        QueryError,
        QuerySyntaxError,
        QueryTimeout,
        QueryTypeError,
        SchemaError,
        SchemaUnread,
        ScriptError,
    )
    from querylang.frontends.to_parse import to_parse_where, to_script
    from querylang.model.change import Change
    from querylang.model.schema import Schema

# The public names are imported on first use (PEP 562): importing any module of the package
# runs this file first, and the engines and the script grammar take most of a second to
# import, so the command's entry (app/entry.py) could not catch a Ctrl-C before they load.
_WHERE = {
    "Database": "querylang.api",
    "Result": "querylang.api",
    "build_query": "querylang.api",
    "connect": "querylang.api",
    "evaluate": "querylang.api",
    "matches": "querylang.api",
    "Plan": "querylang.engines.sql.compiler",
    "compile_query": "querylang.engines.sql.compiler",
    "DataError": "querylang.errors",
    "EngineError": "querylang.errors",
    "LimitExceeded": "querylang.errors",
    "LoadedThenInterrupted": "querylang.errors",
    "QueryCancelled": "querylang.errors",
    "QueryError": "querylang.errors",
    "QuerySyntaxError": "querylang.errors",
    "QueryTimeout": "querylang.errors",
    "QueryTypeError": "querylang.errors",
    "SchemaError": "querylang.errors",
    "SchemaUnread": "querylang.errors",
    "ScriptError": "querylang.errors",
    "to_parse_where": "querylang.frontends.to_parse",
    "to_script": "querylang.frontends.to_parse",
    "Change": "querylang.model.change",
    "Schema": "querylang.model.schema",
}

__all__ = [
    "Change",
    "DataError",
    "Database",
    "EngineError",
    "LimitExceeded",
    "LoadedThenInterrupted",
    "Plan",
    "QueryCancelled",
    "QueryError",
    "QuerySyntaxError",
    "QueryTimeout",
    "QueryTypeError",
    "Result",
    "Schema",
    "SchemaError",
    "SchemaUnread",
    "ScriptError",
    "build_query",
    "compile_query",
    "connect",
    "evaluate",
    "matches",
    "to_parse_where",
    "to_script",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        # A submodule (querylang.errors.DatabaseInUse, as README names it): the eager imports
        # this file made before had loaded it as a side effect.
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(where), name)
    globals()[name] = value  # later lookups find it without coming here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
