"""Sort keys and paging: ``sort([...])`` (or ``"a,-b"``), ``limit`` and ``skip``, checked
against the class (docs/semantics.md#sort, docs/semantics.md#paging)."""

from __future__ import annotations

from collections.abc import Mapping

from querylang.errors import (
    INVALID_KEY_NAME,
    INVALID_QUERY,
    LimitExceeded,
    QueryError,
    QueryTypeError,
    SchemaError,
)
from querylang.frontends.filters import STRICT_UNDEFINED
from querylang.frontends.operands import short
from querylang.model import nodes as n
from querylang.model.jsvalues import UNDEFINED, Pos, described, type_name
from querylang.model.schema import ClassDef, a_type, suggest
from querylang.model.values import native

SORTABLE = ("String", "Number", "Boolean", "Date", "Pointer")
SORT_ALIASES = {"_created_at": "createdAt", "_updated_at": "updatedAt"}


def _err(exc: QueryError, pos: Pos | None) -> QueryError:
    return exc.at(*pos) if pos else exc


# Different keys one sort may have: DuckDB plans an ORDER BY of many Object sub-keys in time
# growing with their square (1,000: a second; 5,000: a quarter of a minute, uninterruptible).
MAX_SORT_KEYS = 100


def build_sort(sort: object, cls: ClassDef, pos: Pos | None = None, *, strict: bool = False) -> tuple[n.SortKey, ...]:
    """``sort([...])`` or ``"a,-b"`` → sort keys; unknown or unsortable fields are errors (docs/semantics.md#sort).

    An undefined key (``sort([Inputs.Order])`` without the input) is left out, or with
    ``strict`` an error, as an undefined operand of a filter (docs/semantics.md#undefined).
    """
    if sort is UNDEFINED or sort is None:
        return ()
    if isinstance(sort, str):
        items: list[object] = [s for s in sort.split(",") if s.strip()]
    elif isinstance(sort, list | tuple):
        if list(sort) == [""]:  # sent as Parse's order '', which Parse Server ignores
            return ()
        if strict and any(s is UNDEFINED for s in sort):
            raise _err(QueryError(f"a key of sort is undefined {STRICT_UNDEFINED}"), pos)
        # Noodl sends the array joined with ',' as Parse's order, which Parse splits again:
        # sort(['-score,title']) is two keys there (and in db.find's order, and --sort).
        items = [part for s in sort if s is not UNDEFINED for part in (s.split(",") if isinstance(s, str) else [s])]
    else:
        raise _err(QueryTypeError(f"sort needs an array of field names, got {type_name(sort)}"), pos)
    keys: list[n.SortKey] = []
    seen: dict[str, int] = {}
    for item in items:
        if not isinstance(item, str):
            raise _err(QueryTypeError(f"sort keys must be strings, got {type_name(item)}"), pos)
        text = item.strip()
        desc = text.startswith("-")
        name = text[1:] if desc else text
        if desc and not name.strip():
            # Named as written: with the '-' read off, the error named a field '' no one wrote.
            raise _err(SchemaError("cannot sort by '-': a '-' needs a field name after it (-createdAt)",
                                   code=INVALID_KEY_NAME), pos)
        name = SORT_ALIASES.get(name, name)
        f = cls.fields.get(name)
        head = cls.fields.get(name.split(".", 1)[0]) if "." in name else None
        if f is None and head is not None:
            if head.type != "Object":
                # Field `head` is there: "has no field 'owner.name'" sent users looking for it.
                raise _err(SchemaError(f"cannot sort by '{name}': '{head.name}' is {a_type(head.type)}, and a sort "
                                       "follows a dot path only into an Object field", code=INVALID_KEY_NAME), pos)
            f = cls.field(name)  # an Object sub-key (or a SchemaError naming the bad path)
        if f is None:
            hint = cls.absent_hint(name, suggest(name, cls.fields))
            raise _err(SchemaError(f"cannot sort by '{name}': class {cls.name} has no such field", hint=hint, code=INVALID_KEY_NAME), pos)
        if f.type not in (*SORTABLE, "ObjectPath"):
            raise _err(QueryTypeError(f"cannot sort by '{name}': {f.type} fields have no order", code=INVALID_QUERY), pos)
        if name in seen:
            # Parse reads order into one object ({score: 1} then {score: -1}): a repeated key
            # keeps its first place and takes its last direction.
            keys[seen[name]] = n.SortKey(name, desc, pos=pos)
            continue
        if len(keys) == MAX_SORT_KEYS:
            raise _err(LimitExceeded(f"sort has more than {MAX_SORT_KEYS} different keys"), pos)
        seen[name] = len(keys)
        keys.append(n.SortKey(name, desc, pos=pos))
    return tuple(keys)


# The options api.build_query takes, besides the class and the query.
BUILD_OPTIONS = frozenset({"inputs", "sort", "limit", "skip", "count", "strict"})


def check_options(method: str, kw: Mapping[str, object]) -> None:
    """Refuse an option build_query does not take by the method the caller called (Python's
    TypeError named build_query, which db.count, db.distinct and the others pass them on to)."""
    for key in sorted(kw.keys() - BUILD_OPTIONS):
        raise TypeError(f"{method}() got an unexpected keyword argument '{key}'")


def check_flags(**flags: object) -> None:
    """``count=`` and ``strict=`` are True or False (None and Parse REST's 0 and 1 too): a
    string such as 'no' was taken as true."""
    for name, v in flags.items():
        v = native(v)  # numpy's bool
        if v is not None and not isinstance(v, bool) and not (type(v) is int and v in (0, 1)):
            raise QueryTypeError(f"{name} must be True or False, not {described(v, 100)}")


def checked_limit(kw: Mapping[str, object]) -> int | None:
    """The limit among a query's options (check_paging), its flags checked (check_flags)."""
    limit, count, strict = kw.get("limit"), kw.get("count"), kw.get("strict")
    # The usual options, on every kept plan's way, with no call per check.
    if type(count) is bool and type(strict) is bool and (limit is None or type(limit) is int and 0 <= limit <= _PAGE_MAX):
        return limit
    check_flags(count=count, strict=strict)
    return check_paging(limit, None)[0]


def check_paging(limit: object, skip: object, **flags: object) -> tuple[int | None, int | None]:
    """limit/skip must be whole numbers ≥ 0 (docs/semantics.md#paging); None means no limit / no
    skip. ``flags`` (count=, strict=) are checked by check_flags."""
    check_flags(**flags)
    return _page_number("limit", limit), _page_number("skip", skip)


_PAGE_MAX = 2**62  # beyond any table: clamped so DuckDB's BIGINT takes it (same answer)


def _page_number(name: str, v: object) -> int | None:
    if v is None:
        return None
    if type(v) is int and 0 <= v <= _PAGE_MAX:  # the usual case, on every query's way
        return v
    v = native(v)  # numpy's int64, as a DataFrame's length or a count gives it
    if isinstance(v, bool) or not isinstance(v, int | float) or (isinstance(v, float) and not v.is_integer()):
        raise QueryTypeError(f"{name} must be a whole number, got {short(v)}")
    if v < 0:
        raise QueryError(f"{name} must be 0 or more, got {v}")
    return min(int(v), _PAGE_MAX)
