"""The parameters of a find or a get (``keys``, ``include``, ``excludeKeys``, ``order``,
``limit``, ``skip``, ``count``, ``redirectClassNameForKey``) read as Parse Server 9 reads them.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import orjson

from querylang.errors import ScriptError
from querylang.frontends.selection import INCLUDABLE, embedded, includable, omit
from querylang.script.lexer import JS_SPACE
from querylang.script.values import to_number, to_string, truthy

from .errors import INVALID_JSON, INVALID_KEY_NAME, ParseError

# Parse's ClassesRouter: what a find and a get may be given (others are a 102).
FIND_PARAMS = {
    "where", "order", "limit", "skip", "count", "keys", "excludeKeys", "include", "includeAll",
    "readPreference", "includeReadPreference", "subqueryReadPreference", "hint", "explain", "comment",
    "redirectClassNameForKey",
}
GET_PARAMS = {"keys", "include", "excludeKeys", "readPreference", "includeReadPreference", "subqueryReadPreference"}
# Parse's AlwaysSelectedKeys: keys cannot drop them, nor can excludeKeys.
ALWAYS_KEYS = ("objectId", "createdAt", "updatedAt", "ACL")


def included(schema: Any, class_name: str, paths: list[str]) -> dict[str, str | None]:
    """Every dotted path a read embeds records at (each prefix of each path, ``*`` expanded to
    the Pointer and Array fields of its class, as the library reads them) → their class; None
    at and past an Array, whose elements' classes only the records tell (``*`` there stands
    for the Pointer and Array fields of every class)."""
    out: dict[str, str | None] = {}
    for path in paths:
        _include_path(schema, class_name, path.split("."), "", out)
    return out


def _include_path(schema: Any, class_name: str | None, parts: list[str], prefix: str, out: dict[str, str | None]) -> None:
    head, rest = parts[0], parts[1:]
    if class_name is None:
        every = sorted({name for c in schema.classes.values() for name in includable(c)})
        for name in every if head == "*" else [head]:
            out.setdefault(prefix + name, None)
            if rest:
                _include_path(schema, None, rest, f"{prefix}{name}.", out)
        return
    cls = schema.classes.get(class_name)
    if cls is None:
        return
    for name in includable(cls) if head == "*" else [head]:
        f = cls.fields.get(name)
        if f is None or f.type not in INCLUDABLE or (f.type == "Pointer" and f.target is None):
            continue  # the library refuses it
        target = f.target if f.type == "Pointer" else None
        out[prefix + name] = target
        if rest:
            _include_path(schema, target, rest, f"{prefix}{name}.", out)


def including_all(schema: Any, class_name: str, include: list[str], keys: list[str]) -> tuple[list[str], list[str]]:
    """include and keys with ``includeAll`` (or ``include=*``), as Parse Server 9 reads it
    (RestQuery's handleIncludeAll): every Pointer and Array field is included beside the paths
    given (includeAll with include=post.author went one level only, the paths dropped), and
    given keys gain every Pointer and Array field (includeAll with keys=title answered no
    Pointer at all)."""
    fields = includable(schema.get(class_name))
    include = [*include, *(name for name in fields if name not in include)]
    if keys:
        keys = [*keys, *(name for name in fields if name not in keys)]
    return include, keys


def one_level(schema: Any, class_name: str, keys: list[str], exclude: list[str]) -> tuple[list[str], list[str]]:
    """keys and excludeKeys beside ``include=*``, which Parse Server 9 reads as includeAll
    dropping every other path to include, those the dotted keys and excludeKeys give too: the
    records it embeds are one level down, and a key reaches one level into them
    (``owner.owner.title`` selects ``owner.owner``, left a Pointer), an excluded key no deeper
    (``owner.owner.title`` leaves nothing out). A path into an Object field, of the record or of
    one embedded (``meta.lang.x``, ``owner.meta.lang``), embeds nothing: it stays as sent."""
    cls = schema.classes.get(class_name)

    def deeper(path: str) -> bool:  # does the path go past the records embedded one level down?
        parts = path.split(".")
        f = None if cls is None or len(parts) < 3 else cls.fields.get(parts[0])
        if f is None or f.type not in INCLUDABLE:
            return False
        if f.type != "Pointer":
            return True  # an Array's elements: records of no one class, cut as a Pointer's would be
        target = schema.classes.get(f.target)
        g = None if target is None else target.fields.get(parts[1])
        return g is not None and g.type in INCLUDABLE

    return [".".join(k.split(".")[:2]) if deeper(k) else k for k in keys], [k for k in exclude if not deeper(k)]


def excluding(schema: Any, class_name: str, keys: list[str], include: list[str], exclude: list[str]) -> tuple[list[str], list[str]]:
    """keys and include as Parse reads them beside ``excludeKeys``: a key both selected and
    excluded is not selected (none left: only the keys always there), and ``a.b`` excluded
    embeds the record at Pointer path ``a`` to leave ``b`` out of it (leave_out); ``a.m.b``,
    ``m`` an Object, embeds it to leave ``b`` out of its Object."""
    if keys:
        keys = [k for k in keys if k not in exclude] or ["objectId"]
    parents = key_parents(exclude)
    embedded = included(schema, class_name, parents)
    at = []
    for p in parents:
        while p and p not in embedded:  # 'owner.meta.x', meta an Object: the record at owner
            p = p.rpartition(".")[0]
        if p and p not in include and p not in at:
            at.append(p)
    return keys, [*include, *at]


def left_out(keys: list[str], exclude: list[str]) -> list[str]:
    """The excluded keys leave_out takes out of the records answered: beside ``keys`` a name
    with no dot is only taken out of the keys (excluding), as Parse Server 9 reads it, so
    ``keys=owner.title&excludeKeys=owner`` still embeds ``owner`` with its title."""
    return [k for k in exclude if not keys or "." in k]


def leave_out(schema: Any, class_name: str, record: dict[str, Any], path: list[str]) -> None:
    """excludeKeys ``a.b.c``: drop ``c`` from the record embedded at ``a.b`` (never a key of
    ALWAYS_KEYS, nor a Relation's marker: Parse adds those after its projection, so
    ``excludeKeys=fans`` still answers ``fans`` as a Relation), or from inside the Object
    ``a.b`` (selection.omit)."""
    head, rest = path[0], path[1:]
    cls = schema.classes.get(class_name)
    f = cls.fields.get(head) if cls is not None else None
    if not rest:
        if head not in ALWAYS_KEYS and (f is None or f.type != "Relation"):
            record.pop(head, None)
        return
    if f is not None and f.type == "Object":
        omit(record.get(head), rest)  # as the library's select reads a key inside an Object: MongoDB's meaning
        return
    for one in _records_at(record.get(head)):
        leave_out(schema, str(one.get("className")), one, rest)


def _records_at(value: Any) -> list[dict[str, Any]]:
    """The embedded record at a key, or those of an Array there (of an Array inside it too)."""
    if isinstance(value, list):
        return [r for e in value for r in _records_at(e)]
    return [value] if embedded(value) else []


def selected_keys(value: Any) -> list[str]:
    """``keys``; given but naming nothing (``keys=``), Parse selects only ALWAYS_KEYS."""
    keys = key_list(value, "keys")
    return keys or (["objectId"] if value is not None else [])


def key_parents(keys: list[str]) -> list[str]:
    """The paths a dotted key embeds records at: ``a.b.c`` selects ``c`` inside ``a.b``."""
    return [k.rsplit(".", 1)[0] for k in keys if "." in k]


def key_list(value: Any, what: str) -> list[str]:
    """``keys``/``include``/``excludeKeys``: ``"a,b.c"``, or an array read as Parse reads it,
    through JavaScript's ``String(...)`` (``[null, "a"]`` is ``",a"``, ``[["a", "b"]]`` is
    ``"a,b"``, ``[true]`` is ``"true"``); anything else is refused (107), as the library does.
    A name is not trimmed, as Parse reads it: ``" title"`` names no field ``title``, so in
    ``keys`` and ``include`` (whose names the library would trim) it is refused as a key naming
    no field is (105); in ``excludeKeys`` it leaves nothing out, as Parse reads it."""
    if value is None:
        return []
    if not isinstance(value, str | list):
        raise ParseError(INVALID_JSON, f"{what} must be a string or a list of strings")
    try:
        items = (value if isinstance(value, str) else to_string(value)).split(",")
    except ScriptError as exc:  # an element String() cannot convert ({"toString": "x"}): say where
        raise ParseError(INVALID_JSON, f"{what} must be a string or a list of strings ({exc.message})") from None
    for item in items:
        if what != "excludeKeys" and item != item.strip():
            raise ParseError(INVALID_KEY_NAME, f"{what}: no field is named {item!r} (a name is read as sent, not trimmed)")
    return [i for i in items if i]


def order(value: Any) -> str | None:
    """``order`` as Parse Server 9 reads it: ``String(value)`` when JavaScript finds it true, so
    ``["-n", "title"]`` is "-n,title", and ``{}`` is "[object Object]", no field (105), where it
    was taken for no order; ``true`` is the field "true" (it was 107 "order must be a string");
    check_sort_names reads its names."""
    return _js_string(value, "order")


_SORT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_AUTH_DATA_ID = re.compile(r"authData\.[a-zA-Z0-9_]+\.id")
_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")


def sort_keys(order: str | None) -> list[str]:
    """The keys of the object Parse Server 9 builds of an ``order`` (RestQuery), in its order:
    each item trimmed as JavaScript trims it, one ``-`` dropped (``--n`` is the key ``-n``),
    ``$score`` the key ``score``, each key once, whole numbers first."""
    keys: list[str] = []
    for item in order.split(",") if order is not None else []:
        item = item.strip(JS_SPACE)
        key = "score" if item in ("$score", "-$score") else item.removeprefix("-")
        if key not in keys:
            keys.append(key)
    numbers = sorted((k for k in keys if _ARRAY_INDEX.fullmatch(k) and int(k) < 2**32 - 1), key=int)
    return [*numbers, *(k for k in keys if k not in numbers)]


def check_sort_names(order: str | None, class_name: str) -> str | None:
    """The names of an ``order`` as Parse Server 9 checks them (DatabaseController.find), before
    it reads the where, in a class that is not there too: ``authData.x.id`` is 105 "Cannot sort
    by ...", a key whose field (before any dot) no field may have 105 "Invalid field name: k.",
    the keys in the order of the JavaScript object Parse builds of them (whole numbers first),
    an empty one too (serve's words). The order to sort by: each item trimmed as JavaScript
    trims it (a leading BOM too, never \\x1f), as the library's own trim reads other blanks."""
    if order is None:
        return None
    for key in sort_keys(order):
        if not key:
            # In its turn (a b,,c names a b first), with serve's words: Parse sorts by the
            # empty name too ("Invalid field name: ."), where the library skips it.
            shown = orjson.dumps(order).decode()
            raise ParseError(INVALID_KEY_NAME, f"cannot sort by '': order {shown[:80]} holds an empty key")
        if _AUTH_DATA_ID.fullmatch(key):
            raise ParseError(INVALID_KEY_NAME, f"Cannot sort by {key}")
        root = key.split(".")[0]
        if key in ("_created_at", "_updated_at"):
            continue  # Parse sorts by createdAt or updatedAt so
        if not _SORT_NAME.fullmatch(root) or root == "length" or (root == "className" and class_name != "_Hooks"):
            raise ParseError(INVALID_KEY_NAME, f"Invalid field name: {key}.")
    return ",".join(item.strip(JS_SPACE) for item in order.split(","))


def redirect_key(value: Any) -> str:
    """``redirectClassNameForKey`` as Parse Server 9 reads it: ``String(value)`` when JavaScript
    finds it true, so ``["fans"]`` is ``fans`` (it was ignored) and ``{}`` is "[object Object]",
    a key that is no Relation, on whose answer every result still says its class; ``[]`` is "",
    no key at all."""
    return _js_string(value, "redirectClassNameForKey") or ""


def _js_string(value: Any, name: str) -> str | None:
    """A parameter Parse Server reads with ``String(value)`` when JavaScript finds it true; None
    when it finds it false."""
    if not truthy(value):
        return None
    try:
        return value if isinstance(value, str) else to_string(value)
    except ScriptError as exc:  # an object whose toString is no function (Parse: a TypeError, 500)
        raise ParseError(INVALID_JSON, f"{name} must be a string ({exc.message})") from None


def page_number(value: Any, name: str) -> int | None:
    """limit or skip as Parse Server 9 reads it (ClassesRouter.optionsFromBody): JavaScript's
    ``Number(value)``, so ``[5]``, ``["5"]``, ``"0x10"`` and ``" 5 "`` are numbers and ``[]`` is 0
    (``limit=[5]`` was 107 here, five records there); a value JavaScript finds false is no value
    (the default limit, no skip), but a limit of 0. A fraction is rounded as PostgreSQL rounds
    Parse's LIMIT/OFFSET, halves away from zero (1.5 is 2, 0.4 is 0, -1.5 is -2). What is no
    finite number is 107 naming the parameter, where Parse answers 500; a negative one is left to
    the library's 102."""
    if not (truthy(value) or (name == "limit" and value == 0 and not isinstance(value, bool | str))):
        return None
    try:
        number = to_number(value)
    except ScriptError:  # an object whose toString is no function: JavaScript's TypeError
        number = math.nan
    if not math.isfinite(number):
        shown = orjson.dumps(value).decode()
        raise ParseError(INVALID_JSON, f"{name} must be a whole number, got {shown[:60]}")
    if isinstance(number, int):
        return number
    # repr: the shortest text of the double, the one Parse writes into its SQL.
    return int(Decimal(repr(number)).to_integral_value(ROUND_HALF_UP))


def whole(value: Any) -> int | None:
    """limit/skip as page_number reads them, when whole and not negative; else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
