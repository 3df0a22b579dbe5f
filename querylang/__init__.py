"""querylang: Noodl / Parse style record queries, compiled to parameterized SQL over DuckDB.

>>> import querylang
>>> db = querylang.connect()
>>> _ = db.load({"classes": {"Post": {"fields": {"title": {"type": "String"}}}},
...              "records": {"Post": [{"objectId": "p1", "title": "Hi"}, {"objectId": "p2", "title": "Yo"}]}})
>>> db.query("Post", "where({ title: { equalTo: Inputs.T } })", inputs={"T": "Hi"}).ids
['p1']
"""

from querylang.api import Database, Result, build_query, connect, evaluate, matches
from querylang.engines.sql.compiler import Plan, compile_query
from querylang.errors import (
    DataError,
    EngineError,
    LimitExceeded,
    QueryCancelled,
    QueryError,
    QuerySyntaxError,
    QueryTimeout,
    QueryTypeError,
    SchemaError,
    ScriptError,
)
from querylang.frontends.to_parse import to_parse_where, to_script
from querylang.model.change import Change
from querylang.model.schema import Schema

__all__ = [
    "Change",
    "DataError",
    "Database",
    "EngineError",
    "LimitExceeded",
    "Plan",
    "QueryCancelled",
    "QueryError",
    "QuerySyntaxError",
    "QueryTimeout",
    "QueryTypeError",
    "Result",
    "Schema",
    "SchemaError",
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
