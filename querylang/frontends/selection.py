"""``select`` (REST ``keys``) on records already read: which keys may be named, and the
records cut down to them (docs/semantics.md#include-select)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from querylang.errors import QueryError, QueryTypeError, SchemaError
from querylang.model.schema import ClassDef, Schema, a_type, suggest


def key_list(value: str | Sequence[str] | None, what: str) -> list[str]:
    """``"a,b.c"`` or ``["a", "b.c"]`` → ``["a", "b.c"]`` (Parse joins arrays with ',',
    docs/semantics.md#include-select); None → no keys."""
    if value is None:
        return []
    # A number (``include=5`` in a URL reads as one) is no list: refused, not iterated; nor is
    # an object, whose keys iterating it gave ({'Owner': 1} included Owner).
    if isinstance(value, Mapping):
        raise QueryTypeError(f"{what} must be a string or a list of strings, not an object")
    items = value.split(",") if isinstance(value, str) else list(value) if isinstance(value, Iterable) else [value]
    if not all(isinstance(k, str) for k in items):
        raise QueryTypeError(f"{what} must be a string or a list of strings")
    return [k.strip() for k in items if k.strip()]


# The fields include follows: a Pointer's record, and an Array's elements that are Pointers.
INCLUDABLE = ("Pointer", "Array")


def includable(cls: ClassDef) -> list[str]:
    """The fields ``*`` stands for in an include path: every Pointer and Array field of ``cls``
    (Parse's ``include=*`` is its includeAll, which takes both)."""
    return [f.name for f in cls.user_fields if f.type in INCLUDABLE]


def check_select(schema: Schema, class_name: str, keys: list[str]) -> list[str]:
    """Every selected key names a field (an unknown sort field is an error, so is this one);
    ``a.b`` follows the Pointer ``a`` to its class. Past an Array (``authors.name``) nothing is
    checked: its elements have no declared class, and a name one of them lacks is no error
    (include_pointed); nor inside an Object (``meta.lang``), whose keys are not declared. The
    paths the keys embed records at, each once: ``a.b.c`` embeds at ``a.b``, ``owner.meta.lang``
    (``meta`` an Object) at ``owner``, ``meta.lang`` at none."""
    embeds: list[str] = []
    at_object: list[str] = []  # the keys that reach an Object field: nothing may be selected inside them
    for key in keys:
        parts = key.split(".")
        if len(parts) > 1 and "" in parts:  # 'meta.' named the key '' inside meta
            raise SchemaError(f"cannot select '{key}': a dotted path needs a field name before, between and after its dots")
        start = _object_start(schema, class_name, key, parts)
        if start is not None:
            at_object.append(key)
        head = ".".join(parts[:start]) if start is not None else key.rpartition(".")[0]
        if head and head not in embeds:
            embeds.append(head)
    for outer in at_object:
        for inner in keys:
            if inner.startswith(outer + "."):
                # MongoDB refuses the pair in one projection (a path collision) rather than pick one.
                raise QueryError(f"cannot select both '{outer}' and '{inner}': '{inner}' is inside '{outer}'; select one of them")
    return embeds


def _object_start(schema: Schema, class_name: str, key: str, parts: list[str]) -> int | None:
    """The index of the Object field ``key`` reaches (the key ends at it or goes on inside it),
    None when it reaches none (or goes past an Array first, past which nothing is known)."""
    cls = schema.get(class_name)
    for i, part in enumerate(parts):
        f = cls.fields.get(part)
        if f is None:
            raise SchemaError(
                f"cannot select '{key}': class {cls.name} has no field '{part}'",
                hint=cls.absent_hint(part, suggest(part, cls.fields)),
            )
        if f.type == "Object":
            if i < len(parts) - 1:
                try:  # each step a key, as a filter's path into an Object takes it
                    cls.field(".".join(parts[i:]))
                except SchemaError as exc:
                    raise SchemaError(f"cannot select '{key}': {exc.message}", code=exc.code) from None
            return i
        if i < len(parts) - 1:
            if f.type == "Array":
                return None
            if f.type != "Pointer" or f.target is None:
                raise QueryError(
                    f"cannot select '{key}': '{part}' is {a_type(f.type)}, not a Pointer, an Array or an Object to look inside"
                )
            cls = schema.get(f.target)
    return None


def checked_shape(
    schema: Schema, class_name: str, include: str | Sequence[str] | None, select: str | Sequence[str] | None
) -> tuple[list[str], list[str], frozenset[str] | None]:
    """``include`` and ``select`` as lists of paths, each checked against the schema; the
    include list also holds what a dotted select embeds ('a.b.c' includes 'a.b', and so 'a',
    and selects 'c' inside it; 'meta.lang' on the Object 'meta' includes nothing:
    docs/semantics.md#include-select). Third, with a ``select``,
    the fields of the class the query needs to read (:func:`selected_fields`)."""
    inc, keys = key_list(include, "include"), key_list(select, "select")
    embeds = check_select(schema, class_name, keys)
    check_include(schema, class_name, inc)
    inc += [p for p in embeds if p not in inc]
    return inc, keys, None if select is None else selected_fields(schema, class_name, inc, keys)


def selected_fields(schema: Schema, class_name: str, include: list[str], keys: list[str]) -> frozenset[str]:
    """The fields of ``class_name`` a query with these checked ``include`` and ``select`` paths
    looks at (each path's first field, every Pointer for ``*``): the rest need not be read."""
    heads = {path.split(".", 1)[0] for path in (*include, *keys)}
    if "*" in heads:
        heads |= set(includable(schema.get(class_name)))
    return frozenset(heads)


def keys_under(name: str, keys: list[str] | None) -> list[str] | None:
    """The ``select`` keys inside the records ``include`` embeds at the Pointer or Array ``name``, as
    paths of those records (``Owner.title`` → ``title``); None when no key reaches inside it (no
    select, ``Owner`` named alone, or not named), where select_keys keeps it whole or drops it:
    it is then read whole, as before."""
    inner = [k.partition(".")[2] for k in keys or () if "." in k and k.partition(".")[0] == name]
    return inner or None


def check_include(schema: Schema, class_name: str, paths: list[str]) -> None:
    """Every include path names Pointer or Array fields, ``*`` standing for each of its class's,
    before any record is read; past an Array nothing more is checked (its elements have no
    declared class: include_pointed follows what each embedded record's class has). Checked while the records were embedded, a bad field past the first
    dot ('Owner.nope') was an error only when some record's pointer reached a live record: the
    same query was refused or answered depending on the data, and a stream failed part way."""
    for path in paths:
        if "" in path.split("."):
            raise SchemaError(f"cannot include '{path}': a dotted path needs a field name before, between and after its dots")
        _check_include_path(schema, class_name, path, path.split("."))


def _check_include_path(schema: Schema, class_name: str, path: str, parts: list[str]) -> None:
    cls = schema.get(class_name)
    head, rest = parts[0], parts[1:]
    names = includable(cls) if head == "*" else [head]
    for name in names:
        f = cls.fields.get(name)
        if f is None:
            raise SchemaError(
                f"cannot include '{path}': class {cls.name} has no field '{name}'",
                hint=cls.absent_hint(name, suggest(name, cls.fields)),
            )
        if f.type not in INCLUDABLE or (f.type == "Pointer" and f.target is None):
            what = "it" if name == path else f"'{name}'"  # "cannot include 'likes': 'likes' is" named it twice
            raise QueryError(f"cannot include '{path}': {what} is {a_type(f.type)}, not a Pointer or an Array")
        if rest and f.type == "Pointer" and f.target is not None:
            _check_include_path(schema, f.target, path, rest)


def select_keys(schema: Schema, class_name: str, records: list[dict[str, Any]], keys: list[str]) -> list[dict[str, Any]]:
    """Only the named fields, plus objectId, createdAt, updatedAt (docs/semantics.md#include-select);
    ``a.b`` selects inside a: inside the record embedded at a Pointer or an Array, or inside the
    value of an Object field (project)."""
    always = ("objectId", "createdAt", "updatedAt", "__type", "className")
    top: dict[str, list[str]] = {}
    for k in keys:
        head, _, rest = k.partition(".")
        top.setdefault(head, [])
        if rest:
            top[head].append(rest)
    cls = schema.classes.get(class_name)
    objects = {h for h in top if cls is not None and h in cls.fields and cls.fields[h].type == "Object"}
    for h in objects & set(keys):  # the Object and a key inside it (past an Array, never refused): the whole
        top[h] = []
    out = []
    for r in records:
        kept = {}
        for k, v in r.items():
            if k in always:
                kept[k] = v
            elif k not in top:
                continue
            elif not top[k]:
                kept[k] = v
            elif k in objects:
                if isinstance(v, dict | list):  # anything else has no key inside: left out, as MongoDB leaves it
                    kept[k] = project(v, top[k])
            else:
                kept[k] = _inside(schema, v, top[k])
        out.append(kept)
    return out


def _inside(schema: Schema, value: Any, keys: list[str]) -> Any:
    """``keys`` kept inside an embedded record, or inside each record embedded in an Array (in
    an Array inside it too, as include embeds them); its other elements stay as they are, as
    Parse's keys leave them."""
    if isinstance(value, dict):
        return select_keys(schema, str(value.get("className")), [value], keys)[0]
    if isinstance(value, list):
        return [_inside(schema, e, keys) if isinstance(e, list) or embedded(e) else e for e in value]
    return value


Tree = dict[str, "Tree | bool"]


def project(value: dict[str, Any] | list[Any], paths: list[str]) -> Any:
    """The value of an Object field cut down to the dotted ``paths`` inside it, as MongoDB's
    projection cuts a document: only the named keys, each where it was (``a.b`` keeps
    ``{a: {b: ...}}``); a key the value lacks is not there (an Object lacking all of them is
    ``{}``); past a value that is no object (a Date neither) nothing is kept (the key goes);
    a path into a typed value (a GeoPoint, Pointer, File ...: :func:`_typed`) keeps it whole;
    through an Array, each element that is an object is cut down alike (``{}`` when it has
    none of the keys), an Array inside it walked too, and the other elements dropped."""
    tree: Tree = {}
    for path in paths:
        node = tree
        *inner, last = path.split(".")
        for part in inner:
            below = node.setdefault(part, {})
            if not isinstance(below, dict):
                break  # the whole of it is kept already (past an Array, where nothing is refused)
            node = below
        else:
            node[last] = True
    return _projected(value, tree)


def _projected(value: Any, tree: Tree) -> Any:
    if isinstance(value, list):
        return [e if _typed(e) else _projected(e, tree) for e in value if _inner(e)]
    out = {}
    for k, v in value.items():
        sub = tree.get(k)
        if sub is True or (sub is not None and _typed(v)):
            out[k] = v
        elif isinstance(sub, dict) and _inner(v):
            out[k] = _projected(v, sub)
    return out


def omit(value: Any, parts: list[str]) -> None:
    """The dotted path ``parts`` left out of the value of an Object field (in place), as
    MongoDB's exclusion leaves it out: inside each object of an Array on the way too (an Array
    inside it walked), everything else kept; a path through a value that is no object (a Date
    neither), or into a typed value (:func:`_typed`), leaves it as it is."""
    if isinstance(value, list):
        for e in value:
            omit(e, parts)
    elif _inner(value) and not _typed(value):
        if len(parts) == 1:
            value.pop(parts[0], None)
        else:
            omit(value.get(parts[0]), parts[1:])


def _inner(value: Any) -> bool:
    """Can a path go on inside ``value``: an object or an Array, but a Date (a Date is no object
    to a dotted path, docs/semantics.md#objects, as a filter's path reads it)."""
    if isinstance(value, dict):
        return not (value.get("__type") == "Date" and set(value) == {"__type", "iso"})
    return isinstance(value, list)


def embedded(value: Any) -> bool:
    """A record include put in place of a pointer."""
    return isinstance(value, dict) and value.get("__type") == "Object"


def pointer_of(value: Any) -> tuple[str, str] | None:
    """(class, objectId) of an Array element that is a Pointer, else None."""
    if isinstance(value, dict) and value.get("__type") == "Pointer":
        cls, oid = value.get("className"), value.get("objectId")
        if isinstance(cls, str) and isinstance(oid, str):
            return cls, oid
    return None


# The __type of a value Parse's clients read as one value, not as an object of keys.
_TYPED = frozenset({"GeoPoint", "Pointer", "Object", "Relation", "File", "Bytes", "Polygon"})


def _typed(value: Any) -> bool:
    """Is ``value`` a typed value inside an Object (a GeoPoint, a Pointer, a File ...): cut
    down, it would be a part of one (``{"__type": "GeoPoint"}`` alone), which Parse's SDKs
    cannot read (the JavaScript SDK's GeoPoint refuses a missing latitude). Parse Server 9 on
    PostgreSQL answers the whole Object for any key inside it; a select keeps the typed value
    whole, as Parse answers it."""
    return isinstance(value, dict) and value.get("__type") in _TYPED
