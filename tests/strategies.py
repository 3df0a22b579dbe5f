"""Hypothesis strategies: random schemas, interchange documents, filter objects, sorts.

Everything is drawn from small pools on purpose: with few distinct values, equal values,
duplicate sort keys, pointers that hit and relation edges that hit are the common case,
which is where the two engines can disagree. Pools hold the awkward values too (-0.0, int
vs float, case-folding letters, a newline before the end of a string, dates before 1970).

Filters are generated the way a user writes them (plain dicts, docs/semantics.md#front-ends) and are
always valid for the generated schema, so a QueryError from either engine is a finding.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, TypeVar

from hypothesis import strategies as st

T = TypeVar("T")

# Engine bugs found by these tests and not fixed yet (see the xfail tests named after them).
# While a bug is listed, generation steers around its trigger so the properties keep
# hunting for new bugs; delete the entry when the fix lands.
KNOWN_BUGS: set[str] = set()

FIELD_TYPES = (
    "String", "Number", "Boolean", "Date", "Array", "Object", "Pointer", "Relation", "GeoPoint",
    "Polygon", "File", "Bytes",
)  # fmt: skip
# Types no query may name (a class gets an ACL field, named ACL, now and then).
UNQUERIED = ("ACL",)
CLASS_NAMES = ("Alpha", "Beta", "Gamma")
SORTABLE = ("String", "Number", "Boolean", "Date", "Pointer")
BUILTINS = {"objectId": "String", "createdAt": "Date", "updatedAt": "Date"}

# Shared by every class, so the same id names records of several classes (a Pointer or an
# edge must be resolved in its target class, not by id alone), and larger than any class,
# so pointers and edges often dangle. "O1"/"o1"/"o10" make the objectId tiebreak non-trivial.
ID_POOL = ("o0", "o1", "o2", "o3", "o10", "O1", "p", "zz")

SAFE_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=4,
)
STRING_POOL = (
    "", "a", "A", "b", "ab", "abc", "Abc", "ba", "a b", "a\n", "a\nb", "\nb",
    "k", "K", "\u212a", "s", "S", "\u017f", "ß", "SS", "é", "É", "e\u0301", "ı", "İ",
    "10", "9", "١٢", "_", "a#b", "a.b", "\U0001f600", "\uffff", "a\r\n", "a\u2028b", "\x85",
)
NUMBER_POOL = (0, -0.0, 1, 1.0, 2, 2.0, -1, 0.5, 2.5, -3.25, 10, 1e15, 2**53, 2**53 + 1)
if "big-int-range" in KNOWN_BUGS:
    NUMBER_POOL = NUMBER_POOL[:-1]
DATE_POOL = (
    "1969-12-31T23:59:59.999Z",
    "1970-01-01T00:00:00.000Z",
    "2000-01-01T00:00:00.000Z",
    "2024-01-01T00:00:00.000Z",
    "2024-01-01T00:00:00.001Z",
    "2024-01-01T00:00:01.000Z",
    "2024-02-29T12:30:45.500Z",
)
GEO_POOL = ({"latitude": 0, "longitude": 0}, {"latitude": 45.5, "longitude": -73.25}, {"latitude": -90, "longitude": 180})
# Polygons as Parse writes them ([latitude, longitude] pairs), open and closed rings, a concave
# one, a repeated vertex; the points to test are grid points, so many fall on edges and vertices.
POLYGON_POOL = (
    {"__type": "Polygon", "coordinates": [[0, 0], [0, 2], [2, 2], [2, 0]]},
    {"__type": "Polygon", "coordinates": [[0, 0], [0, 2], [2, 2], [2, 0], [0, 0]]},
    [[0, 0], [1, 2], [2, 0]],
    {"__type": "Polygon", "coordinates": [[0, 0], [0, 3], [1, 1], [3, 3], [3, 0]]},
    {"__type": "Polygon", "coordinates": [[-1, -1], [-1, 1], [1, 1], [1, 1], [1, -1]]},
    {"__type": "Polygon", "coordinates": [[0.5, 0.5], [0.5, 2.5], [2.5, 0.5]]},
    {"__type": "Polygon", "coordinates": [[-90, -180], [90, -180], [90, 180], [-90, 180]]},
)
POLYGON_POINTS = tuple(
    {"latitude": la, "longitude": ln} for la in (-1, 0, 0.5, 1, 1.5, 2, 3) for ln in (-1, 0, 0.5, 1, 2, 3)
) + ({"latitude": 90, "longitude": 180}, {"latitude": 0.3, "longitude": 1.7})
# Files compare by name: one name with and without a url, as an object and as the bare name.
FILE_POOL = (
    {"__type": "File", "name": "a.png", "url": "https://files.example/a.png"},
    {"__type": "File", "name": "a.png"},
    "a.png",
    {"__type": "File", "name": "b.png", "url": "https://files.example/b.png"},
    "A.png",
    {"__type": "File", "name": "é.txt"},
)
# Bytes compare by value: 'QQ==', 'QR==', 'QQ' and 'QQ===' are all the byte 'A', '-_-_' the
# bytes of '+/+/' (as Node's Buffer.from reads base64).
BYTES_POOL = tuple(
    {"__type": "Bytes", "base64": b} for b in ("QQ", "QQ==", "QR==", "QUI=", "aGVsbG8=", "AAAA", "-_-_", "+/+/", "QQ===")
)
ACL_POOL = (
    {"*": {"read": True}},
    {"*": {"read": True}, "o1": {"read": True, "write": True}},
    {"role:Admin": {"write": True}},
    {},
)
OBJECT_KEYS = ("a", "b", "c")
LITERALS = ("a", "b", "A", "k", "K", "ß", "é", " ", "#", "1", "\n")
ATOMS = (".", "[ab]", "[a-z]", "[^a]", "[A-Z0-9]", "\\d", "\\w", "\\s", "\\b", "(a|b)", "\\.", "\\Qa.\\E", "b{2}")


def _weighted(pool: tuple[Any, ...], other: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly pool values (so they collide), sometimes anything."""
    return st.one_of(st.sampled_from(pool), st.sampled_from(pool), st.sampled_from(pool), other)


# --- values -----------------------------------------------------------------------------------
# Cached: building a strategy costs more than drawing from it, and documents draw thousands.


@cache
def strings() -> st.SearchStrategy[str]:
    return _weighted(STRING_POOL, SAFE_TEXT)


@cache
def numbers() -> st.SearchStrategy[int | float]:
    return _weighted(
        NUMBER_POOL,
        st.one_of(st.integers(-5, 5), st.floats(-100, 100, allow_nan=False, allow_infinity=False)),
    )


_INSTANTS = st.one_of(
    st.sampled_from(DATE_POOL).map(lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))),
    st.datetimes(
        datetime(1000 if "date-year-below-1000" in KNOWN_BUGS else 1, 1, 2),
        datetime(9999, 12, 30),
        timezones=st.just(UTC),
    ),
)
_DATE_FORMS = st.sampled_from(("ms", "ms", "offset", "seconds"))


def _iso(dt: datetime, *, ms: bool = True, offset: str = "Z") -> str:
    # Not strftime: '%Y' does not zero-pad years below 1000.
    text = f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}"
    return (text + f".{dt.microsecond // 1000:03d}" if ms else text) + offset


@st.composite
def iso_dates(draw: st.DrawFn) -> str:
    """An ISO-8601 date-time with ms precision, in one of the spellings people use."""
    base = draw(_INSTANTS)
    base = base.replace(microsecond=base.microsecond // 1000 * 1000)
    form = draw(_DATE_FORMS)
    if form == "seconds" and base.microsecond == 0:
        return _iso(base, ms=False)
    if form == "offset":
        return _iso(base + timedelta(hours=5, minutes=30), offset="+05:30")
    return _iso(base)


@cache
def dates() -> st.SearchStrategy[Any]:
    """A Date value as the interchange format and filters spell it: ISO or Parse Date object."""
    return st.one_of(iso_dates(), iso_dates().map(lambda s: {"__type": "Date", "iso": s}))


@cache
def date_objects() -> st.SearchStrategy[dict[str, str]]:
    return iso_dates().map(lambda s: {"__type": "Date", "iso": s})


@cache
def json_scalars() -> st.SearchStrategy[Any]:
    """Array/Object contents: any JSON scalar, or a date (a Parse Date object)."""
    return st.one_of(numbers(), strings(), st.booleans(), st.none(), date_objects())


@cache
def json_values(max_leaves: int = 4) -> st.SearchStrategy[Any]:
    return st.recursive(
        json_scalars(),
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.dictionaries(st.sampled_from(OBJECT_KEYS), inner, max_size=2),
        ),
        max_leaves=max_leaves,
    )


@cache
def arrays() -> st.SearchStrategy[list[Any]]:
    """Empty, homogeneous and mixed arrays, with nested arrays and objects."""
    return st.one_of(
        st.just([]),
        st.lists(st.sampled_from((1, 2, "a", "b")), max_size=3),
        st.lists(json_values(3), max_size=4),
    )


@cache
def objects() -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        st.sampled_from(({}, {"a": 1}, {"a": 1.0}, {"b": 1}, {"a": 1, "b": "x"}, {"b": "x", "a": 1})),
        st.dictionaries(st.sampled_from(OBJECT_KEYS), json_values(3), max_size=3),
    )


@cache
def ids() -> st.SearchStrategy[str]:
    return st.sampled_from(ID_POOL)


@cache
def pointer_values(target: str) -> st.SearchStrategy[Any]:
    """A stored Pointer: a bare id or a Parse Pointer object."""
    return st.one_of(
        ids(),
        ids().map(lambda i: {"__type": "Pointer", "className": target, "objectId": i}),
    )


@cache
def field_values(ftype: str, target: str | None) -> st.SearchStrategy[Any]:
    """A stored value of a field of this type (Relation handled by :func:`documents`)."""
    if ftype == "String":
        return strings()
    if ftype == "Number":
        return numbers()
    if ftype == "Boolean":
        return st.booleans()
    if ftype == "Date":
        return dates()
    if ftype == "Array":
        return arrays()
    if ftype == "Object":
        return objects()
    if ftype == "Pointer":
        return pointer_values(target or "")
    if ftype == "GeoPoint":
        return st.sampled_from(GEO_POOL)
    if ftype == "Polygon":
        return st.sampled_from(POLYGON_POOL)
    if ftype == "File":
        return st.sampled_from(FILE_POOL)
    if ftype == "Bytes":
        return st.sampled_from(BYTES_POOL)
    if ftype == "ACL":
        return st.sampled_from(ACL_POOL)
    raise ValueError(ftype)


# --- schemas and documents --------------------------------------------------------------------


_FIELD_LISTS = st.lists(st.sampled_from(FIELD_TYPES), min_size=1, max_size=6)
_RECORD_COUNTS = st.sampled_from((0, 2, 3))
_PRESENCE = st.sampled_from(("value", "value", "value", "missing", "null"))
_EDGES = st.lists(st.tuples(ids(), ids()), max_size=6)
_ID_LISTS = st.lists(ids(), max_size=3)


@st.composite
def class_specs(draw: st.DrawFn) -> dict[str, dict[str, Any]]:
    """The ``classes`` section: 1-3 classes, each with a random subset of the field types."""
    n = draw(st.integers(1, len(CLASS_NAMES)))
    names = CLASS_NAMES[:n]
    classes: dict[str, dict[str, Any]] = {}
    for name in names:
        types = draw(_FIELD_LISTS)
        fields: dict[str, Any] = {}
        for i, ftype in enumerate(types):
            spec: dict[str, Any] = {"type": ftype}
            if ftype in ("Pointer", "Relation"):
                spec["targetClass"] = draw(st.sampled_from(names))
            # A Relation key shared by two classes with the same target would make relatedTo
            # ambiguous (an error); names carry the class so relatedTo can always be inferred.
            prefix = f"rel{name[0]}" if ftype == "Relation" else ftype.lower()
            fields[f"{prefix}{i}"] = spec
        if draw(st.integers(0, 3)) == 0:
            fields["ACL"] = {"type": "ACL"}  # Parse's name for it, and the only one
        if "relation-shifts-columns" in KNOWN_BUGS:
            fields = dict(sorted(fields.items(), key=lambda kv: kv[1]["type"] == "Relation"))
        classes[name] = {"fields": fields}
    return classes


@st.composite
def documents(draw: st.DrawFn, *, created: bool | None = None) -> dict[str, Any]:
    """An interchange document valid for its schema: records, nulls, gaps, dangling edges.

    ``created=True`` gives every record a createdAt, so the document reads the same every
    time (a missing one is filled in with the load time); by default half the documents do.
    """
    if created is None:
        created = draw(st.booleans()) or None
    classes = draw(class_specs())
    records: dict[str, list[dict[str, Any]]] = {}
    relations: list[dict[str, Any]] = []
    for name, spec in classes.items():
        rows = []
        for oid in draw(st.lists(ids(), unique=True, min_size=draw(_RECORD_COUNTS), max_size=7)):
            rec: dict[str, Any] = {"objectId": oid}
            if created or (created is None and draw(st.integers(0, 4))):
                rec["createdAt"] = draw(dates())
            if draw(st.integers(0, 3)) == 0:
                rec["updatedAt"] = draw(st.one_of(st.none(), dates()))
            has_relation = any(f["type"] == "Relation" for f in spec["fields"].values())
            for fname, f in spec["fields"].items():
                choice = draw(_PRESENCE)
                if choice == "null" and f["type"] != "Relation" and has_relation and "relation-shifts-columns" in KNOWN_BUGS:
                    choice = "missing"
                if choice == "missing":
                    continue
                if f["type"] == "Relation":
                    # In a record, a Relation is a list of target ids or Parse's marker.
                    if choice == "null":
                        rec[fname] = draw(st.sampled_from((None, {"__type": "Relation", "className": f["targetClass"]})))
                    else:
                        rec[fname] = draw(_ID_LISTS)
                    continue
                rec[fname] = None if choice == "null" else draw(field_values(f["type"], f.get("targetClass")))
            rows.append(rec)
        records[name] = rows
        for fname, f in spec["fields"].items():
            if f["type"] != "Relation":
                continue
            for owner, target in draw(_EDGES):
                edge = {"class": name, "objectId": owner, "key": fname, "targetId": target}
                if draw(st.booleans()):
                    edge["targetClass"] = f["targetClass"]
                relations.append(edge)
    doc = {"classes": classes, "records": records, "relations": relations}
    # Half the documents have no dangling edge: the store then drops its existence checks
    # (Schema.clean_joins), a different SQL path that must agree too.
    return _without_dangling(doc) if draw(st.booleans()) else doc


def _without_dangling(doc: dict[str, Any]) -> dict[str, Any]:
    """The document with every edge whose owner or target record is missing removed."""
    present = {name: {r["objectId"] for r in rows} for name, rows in doc["records"].items()}
    targets = {
        (name, fname): f["targetClass"]
        for name, spec in doc["classes"].items() for fname, f in spec["fields"].items() if f["type"] == "Relation"
    }
    for name, rows in doc["records"].items():
        for rec in rows:
            for fname, v in rec.items():
                if (name, fname) in targets and isinstance(v, list):
                    rec[fname] = [t for t in v if t in present.get(targets[name, fname], ())]
    doc["relations"] = [
        e for e in doc["relations"]
        if e["objectId"] in present.get(e["class"], ()) and e["targetId"] in present.get(targets[e["class"], e["key"]], ())
    ]
    return doc


def split_document(doc: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The same data as two documents loaded one after the other.

    The second adds records and edges to classes that already have rows and, when no row of
    the first part uses it, moves a class's last field there (so it is added to a live table).
    """
    first: dict[str, Any] = {"classes": {}, "records": {}, "relations": []}
    second: dict[str, Any] = {"classes": {}, "records": {}, "relations": []}
    half = len(doc["relations"]) // 2
    first["relations"], second["relations"] = doc["relations"][:half], doc["relations"][half:]
    for name, spec in doc["classes"].items():
        rows = doc["records"].get(name, [])
        first["records"][name], second["records"][name] = rows[: len(rows) // 2], rows[len(rows) // 2 :]
        fields = dict(spec["fields"])
        movable = [
            f for f, fs in fields.items()
            if fs["type"] != "Relation" and not any(f in r for r in first["records"][name])
        ]
        has_relation = any(fs["type"] == "Relation" for fs in fields.values())
        if movable and not (has_relation and "relation-shifts-columns" in KNOWN_BUGS):
            second["classes"][name] = {"fields": {movable[-1]: fields.pop(movable[-1])}}
        first["classes"][name] = {"fields": fields}
    return first, second


def fields_of(doc: dict[str, Any], class_name: str) -> dict[str, tuple[str, str | None]]:
    """name -> (type, target) for a class of a generated document, built-ins included."""
    out: dict[str, tuple[str, str | None]] = {k: (t, None) for k, t in BUILTINS.items()}
    for fname, f in doc["classes"][class_name]["fields"].items():
        out[fname] = (f["type"], f.get("targetClass"))
    return out


# --- filters ------------------------------------------------------------------------------------


def present_values(doc: dict[str, Any], class_name: str) -> dict[str, list[Any]]:
    """field -> the non-null values the document stores there (Array: the arrays and their
    elements; Relation: the target ids of its edges). Operands drawn from here hit records."""
    fields = fields_of(doc, class_name)
    out: dict[str, list[Any]] = {name: [] for name in fields}
    for rec in doc["records"].get(class_name, []):
        for name, value in rec.items():
            if value is None or name not in fields:
                continue
            ftype = fields[name][0]
            if ftype == "Relation":
                if isinstance(value, list):
                    out[name].extend(value)
            elif ftype == "Array":
                out[name].append(value)
                out[name].extend(e for e in value if e is not None)
            else:
                out[name].append(value)
    for edge in doc["relations"]:
        if edge["class"] == class_name:
            out[edge["key"]].append(edge["targetId"])
    return out


def weighted(*choices: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """One of ``choices``, each as likely as it is listed: ``st.one_of`` keeps a strategy listed
    twice once and splits a mapped one_of into its branches, so ``one_of(leaf, leaf, leaf,
    ids.map(...))`` drew the ids' branches three times as often as the leaf it meant to favour."""
    return st.sampled_from(choices).flatmap(lambda chosen: chosen)


def _from(seen: list[Any], other: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly a value the document holds, sometimes a fresh one."""
    if not seen:
        return other
    return st.one_of(st.sampled_from(seen), st.sampled_from(seen), other)


_REGEX_ATOMS = st.one_of(st.sampled_from(LITERALS), st.sampled_from(ATOMS))
_QUANTIFIERS = st.sampled_from(("*", "+", "?"))


@st.composite
def regex_patterns(draw: st.DrawFn) -> str:
    """Simple patterns: literals, '.', classes, anchors, quantifiers after an atom."""
    parts = []
    if draw(st.booleans()):
        parts.append("^")
    for _ in range(draw(st.integers(0, 3))):
        atom = draw(_REGEX_ATOMS)
        parts.append(atom)
        if atom != "\\b" and draw(st.integers(0, 2)) == 0:
            parts.append(draw(_QUANTIFIERS))
    if draw(st.booleans()):
        parts.append("$")
    return "".join(parts)


@cache
def regex_options() -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from("imsx"), unique=True, max_size=4).map("".join)


def _is_scalar(v: Any) -> bool:
    return not isinstance(v, list | dict) or (isinstance(v, dict) and set(v) == {"__type", "iso"})


def operands(ftype: str, seen: list[Any], *, scalar: bool = False) -> st.SearchStrategy[Any]:
    """A valid operand for a comparison on a field of this type (null not included)."""
    if ftype == "String":
        return _from(seen, strings())
    if ftype == "Number":
        return _from(seen, numbers())
    if ftype == "Boolean":
        return st.booleans()
    if ftype == "Date":
        return _from(seen, dates())
    if ftype == "Pointer":
        return _from(seen, st.one_of(ids(), ids().map(lambda i: {"objectId": i})))
    if ftype == "Object":
        return _from(seen, objects())
    if ftype == "File":
        return _from(seen, st.sampled_from(FILE_POOL))
    if ftype == "Bytes":
        # The object or its base64 text (the form the unparser prints).
        return _from(seen, st.sampled_from(BYTES_POOL)).flatmap(lambda b: st.sampled_from((b, b["base64"])))
    if ftype == "Array":
        if scalar:
            return _from(
                [v for v in seen if _is_scalar(v)],
                st.one_of(numbers(), strings(), st.booleans(), date_objects()),
            )
        return _from(seen, st.one_of(json_scalars(), arrays(), objects()))
    raise ValueError(ftype)


def _maybe_null(s: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return weighted(s, s, s, st.none())


def _lists_of(s: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    # Long lists now and then: the SQL compiler switches strategy above 16 values.
    short = st.lists(_maybe_null(s), max_size=4)
    return weighted(short, short, short, short, short, st.lists(_maybe_null(s), min_size=15, max_size=20))


def field_operators(ftype: str, target: str | None, seen: list[Any]) -> st.SearchStrategy[tuple[str, Any]]:
    """One (operator, operand) pair valid on a field of this type."""
    if ftype == "GeoPoint":
        return st.tuples(st.just("exists"), st.booleans())
    if ftype == "Polygon":
        vertices = [
            {"latitude": p[0], "longitude": p[1]}
            for v in seen for p in (v["coordinates"] if isinstance(v, dict) else v)
        ]
        return st.one_of(
            st.tuples(st.just("polygonContains"), _from(vertices, st.sampled_from(POLYGON_POINTS))),
            st.tuples(st.just("polygonContains"), st.sampled_from(POLYGON_POINTS)),
            st.tuples(st.just("exists"), st.booleans()),
        )
    if ftype == "Relation":
        some = _from(seen, ids())
        return st.one_of(
            st.tuples(st.just("pointsTo"), st.one_of(some, st.lists(some, max_size=3))),
            st.tuples(
                st.sampled_from(("equalTo", "notEqualTo")),
                st.one_of(some, some.map(lambda i: {"__type": "Pointer", "className": target, "objectId": i})),
            ),
            st.tuples(st.sampled_from(("containedIn", "notContainedIn")), st.lists(some, max_size=3)),
            st.tuples(st.just("exists"), st.booleans()),
        )
    choices = [
        st.tuples(st.sampled_from(("equalTo", "notEqualTo")), _maybe_null(operands(ftype, seen))),
        st.tuples(st.sampled_from(("containedIn", "notContainedIn")), _lists_of(operands(ftype, seen))),
        st.tuples(st.just("exists"), st.booleans()),
    ]
    if ftype not in ("Object", "File", "Bytes"):
        choices.append(
            st.tuples(
                st.sampled_from(("lessThan", "lessThanOrEqualTo", "greaterThan", "greaterThanOrEqualTo")),
                _maybe_null(operands(ftype, seen, scalar=True)),
            )
        )
    if ftype == "Pointer":
        some = _from([v if isinstance(v, str) else v["objectId"] for v in seen], ids())
        choices.append(st.tuples(st.just("pointsTo"), st.one_of(some, st.lists(some, max_size=3))))
    if ftype in ("String", "Array"):
        choices.append(st.tuples(st.just("matchesRegex"), regex_patterns()))
    return st.one_of(*choices)


def field_conditions(name: str, ftype: str, target: str | None, seen: list[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """``{field: {op: v, ...}}`` with 1-3 operators, or the shorthand ``{field: v}``."""
    op_lists = st.lists(field_operators(ftype, target, seen), min_size=1, max_size=3)
    shorthand = _maybe_null(operands(ftype, seen)) if ftype not in ("GeoPoint", "Polygon", "Relation") else None
    return _conditions(name, ftype, op_lists, shorthand)


# At module level, not inside field_conditions: Hypothesis reads a composite's source each time
# one is defined, which cost more than the drawing itself.
@st.composite
def _conditions(
    draw: st.DrawFn,
    name: str,
    ftype: str,
    op_lists: st.SearchStrategy[list[tuple[str, Any]]],
    shorthand: st.SearchStrategy[Any] | None,
) -> dict[str, Any]:
    if shorthand is not None and draw(st.integers(0, 5)) == 0:
        value = draw(shorthand)
        # A dict as shorthand is an operator object unless it is an Object field's value or
        # a typed literal (docs/semantics.md#noodl-differences); an id-like dict on a Pointer is a pointer value.
        if not isinstance(value, dict) or ftype in ("Object", "Pointer") or "__type" in value:
            return {name: value}
    ops: dict[str, Any] = {}
    for op, operand in draw(op_lists):
        ops[op] = operand
    if "matchesRegex" in ops and draw(st.booleans()):
        ops["options"] = draw(regex_options())
    return {name: ops}


def relation_sources(doc: dict[str, Any], class_name: str) -> list[tuple[str, str, list[str]]]:
    """(owner class, key, owner ids holding an edge) of every Relation targeting the class."""
    out = []
    for owner, spec in doc["classes"].items():
        for fname, f in spec["fields"].items():
            if f["type"] == "Relation" and f["targetClass"] == class_name:
                holders = [e["objectId"] for e in doc["relations"] if (e["class"], e["key"]) == (owner, fname)]
                holders += [r["objectId"] for r in doc["records"].get(owner, []) if isinstance(r.get(fname), list)]
                out.append((owner, fname, holders))
    return out


@st.composite
def related_to(draw: st.DrawFn, sources: list[tuple[str, str, list[str]]]) -> dict[str, Any]:
    owner, key, holders = draw(st.sampled_from(sources))
    spec: dict[str, Any] = {"id": draw(_from(holders, ids())), "key": key}
    if draw(st.booleans()):
        spec["className"] = owner
    return {"relatedTo": spec}


def leaf_filters(doc: dict[str, Any], class_name: str) -> st.SearchStrategy[dict[str, Any]]:
    fields = fields_of(doc, class_name)
    seen = present_values(doc, class_name)
    own_ids = [r["objectId"] for r in doc["records"].get(class_name, [])]
    some_id = _from(own_ids, ids())
    built: dict[str, st.SearchStrategy[dict[str, Any]]] = {}

    def condition_on(f: str) -> st.SearchStrategy[dict[str, Any]]:
        # Built on first use: a document has many fields, an example queries few of them.
        if f not in built:
            built[f] = field_conditions(f, *fields[f], seen[f])
        return built[f]

    field_leaf = st.sampled_from(sorted(f for f, (t, _) in fields.items() if t not in UNQUERIED)).flatmap(condition_on)
    choices = [
        field_leaf,
        field_leaf,
        field_leaf,
        some_id.map(lambda i: {"idEqualTo": i}),
        st.lists(some_id, max_size=3).map(lambda xs: {"idContainedIn": xs}),
    ]
    sources = relation_sources(doc, class_name)
    if sources:
        choices.append(related_to(sources))
    return weighted(*choices)


def filters(doc: dict[str, Any], class_name: str, depth: int = 3) -> st.SearchStrategy[dict[str, Any]]:
    """A valid filter object: leaves, several keys in one object (AND), and/or up to ``depth``."""
    return _filters(leaf_filters(doc, class_name), depth)


def _filters(leaf: st.SearchStrategy[dict[str, Any]], depth: int) -> st.SearchStrategy[dict[str, Any]]:
    if depth == 0:
        return leaf
    sub = _filters(leaf, depth - 1)
    return weighted(
        leaf,
        leaf,
        leaf,
        st.lists(leaf, min_size=2, max_size=3).map(_merge),
        st.lists(sub, max_size=3).map(lambda xs: {"and": xs}),
        st.lists(sub, min_size=1, max_size=3).map(lambda xs: {"or": xs}),
        st.just({}),
    )


def _merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Several conditions as keys of one object; a repeated key keeps the last (as JSON does)."""
    out: dict[str, Any] = {}
    for p in parts:
        out.update(p)
    return out


def sorts(doc: dict[str, Any], class_name: str) -> st.SearchStrategy[list[str] | None]:
    fields = fields_of(doc, class_name)
    names = sorted(f for f, (t, _) in fields.items() if t in SORTABLE)
    key = st.tuples(st.sampled_from(names), st.booleans()).map(lambda t: ("-" if t[1] else "") + t[0])
    keys = st.lists(key, max_size=3)
    if "sort-objectid-position" in KNOWN_BUGS:
        keys = keys.map(_objectid_last)
    return st.one_of(st.none(), keys)


def _objectid_last(keys: list[str]) -> list[str]:
    rest = [k for k in keys if k.lstrip("-") != "objectId"]
    return rest + [k for k in keys if k.lstrip("-") == "objectId"][:1]


def paging() -> st.SearchStrategy[dict[str, Any]]:
    small = st.one_of(st.none(), st.integers(0, 4))
    return st.fixed_dictionaries({"limit": small, "skip": small, "count": st.booleans()})


def queries(doc: dict[str, Any]) -> st.SearchStrategy[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(class, filter, keyword arguments for db.query) for a generated document."""
    built: dict[str, st.SearchStrategy[tuple[str, dict[str, Any], dict[str, Any]]]] = {}

    def queries_on(name: str) -> st.SearchStrategy[tuple[str, dict[str, Any], dict[str, Any]]]:
        if name not in built:
            built[name] = _class_queries(doc, name)
        return built[name]

    return st.sampled_from(sorted(doc["classes"])).flatmap(queries_on)


def _class_queries(doc: dict[str, Any], class_name: str) -> st.SearchStrategy[tuple[str, dict[str, Any], dict[str, Any]]]:
    kw = st.builds(lambda p, s: {**p, "sort": s}, paging(), sorts(doc, class_name))
    return st.tuples(st.just(class_name), filters(doc, class_name), kw)
