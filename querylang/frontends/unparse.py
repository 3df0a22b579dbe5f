"""Query nodes → canonical filter-script text.

``run_script(unparse(q))`` builds the same nodes again (a property test checks it), so the
unparser doubles as a pretty-printer for ``.sql``-style tooling and as the bridge from
Parse ``where`` JSON to scripts.
"""

from __future__ import annotations

import json
import math
from datetime import date
from typing import Any

from querylang.errors import QueryError, QueryTypeError
from querylang.frontends.operands import python_date
from querylang.model import nodes as n
from querylang.model.jsvalues import described, iso_ms
from querylang.model.operators import COMPARE_NAMES
from querylang.script.namespaces import FORBIDDEN_KEYS

# Words that cannot be bare object keys in our grammar: quote them.
RESERVED = {
    "true", "false", "null", "undefined", "if", "else", "const", "let", "var", "new",
    "typeof", "return", "function", "for", "while", "do", "this", "class", "import",
    "in", "instanceof", "delete", "void", "switch", "case", "default", "break", "continue",
    "throw", "try", "catch", "finally", "with", "yield", "await", "export", "extends", "super",
}


def value(v: Any) -> str:
    """A normalised value as a script literal."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        # JavaScript's spellings: Python's repr ('nan', 'inf') reads as an undefined name.
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        if v.is_integer() and abs(v) < 1e16:
            return str(int(v))
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    if isinstance(v, date):  # a datetime (naive: UTC), or a Python date: midnight UTC
        return f"new Date({value(iso_ms(python_date(v)))})"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(value(x) for x in v) + "]"
    if isinstance(v, dict):
        if not v:
            return "{}"
        return "{ " + ", ".join(f"{key(k)}: {value(x)}" for k, x in v.items()) + " }"
    raise QueryError(f"cannot write {type(v).__name__} as a script value")


def key(k: str) -> str:
    """An object key: bare when it is a plain identifier, quoted otherwise."""
    # The script language refuses these keys in any spelling (bare, quoted, computed), so a
    # script holding one would fail where it is read; no script can say it.
    if not isinstance(k, str):  # a Python mapping's key; JSON's are text
        raise QueryTypeError(f"object keys must be text, got {described(k)}")
    if k in FORBIDDEN_KEYS:
        raise QueryError(f"the key '{k}' has no filter-script form (scripts refuse it); use a filter object or Parse where")
    if k.isidentifier() and k.isascii() and k not in RESERVED:
        return k
    return value(k)


def _field(name: str, ops: str) -> str:
    return f"{{ {key(name)}: {{ {ops} }} }}"


def condition(node: n.Node) -> str:
    """One condition as a filter-object literal."""
    match node:
        case n.And(items=items):
            if not items:
                return "{}"
            return "{ and: [" + ", ".join(condition(i) for i in items) + "] }"
        case n.Or(items=items):
            return "{ or: [" + ", ".join(condition(i) for i in items) + "] }"
        case n.Not(item=n.PointsTo(field=f, ids=ids)):
            return _field(f, f"notContainedIn: {value(list(ids))}")
        # The lowered null operands (frontends/lower.py), written as a script writes them.
        case n.IsAbsent(field=f):
            return _field(f, "equalTo: null")
        case n.Not(item=n.IsAbsent(field=f)):
            return _field(f, "notEqualTo: null")
        case n.Nothing():
            # No literal of its own: lessThan null on any field lowers to it, and every class has objectId.
            return _field("objectId", "lessThan: null")
        case n.Compare(field=f, op=op, value=v):
            return _field(f, f"{COMPARE_NAMES[op]}: {value(v)}")
        case n.In(field=f, values=vs, negate=neg):
            return _field(f, f"{'notContainedIn' if neg else 'containedIn'}: {value(list(vs))}")
        case n.Exists(field=f, exists=e):
            return _field(f, f"exists: {value(e)}")
        case n.Regex(field=f, pattern=p, options=o):
            return _field(f, f"matchesRegex: {value(p)}" + (f", options: {value(o)}" if o else ""))
        case n.PointsTo(field=f, ids=ids):
            operand = value(ids[0]) if len(ids) == 1 else value(list(ids))
            return _field(f, f"pointsTo: {operand}")
        case n.PolygonContains(field=f, latitude=lat, longitude=lng):
            return _field(f, f"polygonContains: {value({'latitude': lat, 'longitude': lng})}")
        case n.RelatedTo(owner_class=c, owner_id=oid, key=k):
            return f"{{ relatedTo: {{ id: {value(oid)}, key: {value(k)}, className: {value(c)} }} }}"
    raise QueryError(f"{type(node).__name__} has no filter-script form")


def unparse(query: n.Query) -> str:
    """The canonical script for a query's condition and sort (limit/skip/count are not script)."""
    lines = []
    if query.where != n.TRUE:
        lines.append(f"where({condition(query.where)})")
    if query.sort:
        keys = ", ".join(value(("-" if k.descending else "") + k.field) for k in query.sort)
        lines.append(f"sort([{keys}])")
    return "\n".join(lines)
