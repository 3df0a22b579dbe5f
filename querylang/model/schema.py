"""Classes, their fields and field types; the did-you-mean lookups every stage uses.

A schema is what the interchange format's ``classes`` section says (README, "Interchange
format"); every class also has the built-in fields ``objectId``, ``createdAt`` and ``updatedAt``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from querylang.errors import (
    INVALID_CLASS_NAME,
    INVALID_KEY_NAME,
    LimitExceeded,
    QueryError,
    SchemaError,
    cut_name,
)
from querylang.model.jsvalues import type_name

FIELD_TYPES = (
    "String",
    "Number",
    "Boolean",
    "Date",
    "Array",
    "Object",
    "Pointer",
    "Relation",
    "GeoPoint",
    # Parse's own types (README, "Interchange format"): a Polygon of [latitude, longitude]
    # pairs, a File (compared by its name), Bytes (base64), and a record's ACL.
    "Polygon",
    "File",
    "Bytes",
    "ACL",
)
# Parse's system classes: the only class names that may start with '_' (most pointers in a
# real Parse app target _User).
SYSTEM_CLASSES = ("_User", "_Role", "_Session", "_Installation")
# Parse's rule for class and field names (docs/semantics.md#sort, docs/semantics.md#errors): it also keeps every name
# usable as a quoted SQL identifier without escaping surprises.
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# A dotted path into an Object field: 'meta.views', 'meta.a.b' (docs/semantics.md#objects dot notation).
PATH_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+$")
STEP_RE = re.compile(r"[A-Za-z0-9_]+")  # a step of PATH_RE
# Steps past its field a path into an Object may take (MongoDB nests documents 100 levels deep):
# each adds to the SQL of a condition or a sort on it, and planning is not interrupted by the
# query's timeout (a query's paths in all: frontends.path_steps).
MAX_PATH_STEPS = 100
BUILTIN_FIELDS = {"objectId": "String", "createdAt": "Date", "updatedAt": "Date"}
RESERVED = {"_rperm", "_wperm", "authData", "sessionToken"}
# Parse keeps a record's ACL in the field named ACL, and only there.
ACL_FIELD = "ACL"


def a_type(type_name: str | None) -> str:
    """A field type with its article, for messages: "an Array", "a String"."""
    name = str(type_name)
    if name == "ObjectPath":  # the pseudo-field of a dot path: no type a user writes
        return "a path into an Object field"
    return ("an " if name[:1] in ("A", "E", "I", "O", "U") else "a ") + name


def suggest(name: str, choices: Iterable[str]) -> str | None:
    """A 'did you mean' hint for a misspelt name, or None."""
    if not isinstance(name, str):  # a key of a Python mapping (1, None): nothing to compare
        return None
    options = list(choices)
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in options}
        if name.lower() in lowered:
            return f"did you mean '{lowered[name.lower()]}'?"
        return None
    return f"did you mean '{close[0]}'?"


def check_known_keys(obj: Iterable[object], known: Iterable[str], what: str) -> None:
    """An operand's key it does not take is an error naming it, with a 'did you mean': ignored,
    a misspelt option ('caseSensitve', 'maxDistanse', 'wehre') would change the answer silently."""
    known = tuple(known)
    for key in obj:
        if key not in known:
            raise QueryError(f"unknown key '{key}' in {what}", hint=suggest(str(key), known))


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a class: its name, type and, for Pointer/Relation, the target class."""

    name: str
    type: str
    target: str | None = None

    @property
    def builtin(self) -> bool:
        return self.name in BUILTIN_FIELDS

    def to_json(self) -> dict[str, str]:
        out = {"type": self.type}
        if self.target is not None:
            out["targetClass"] = self.target
        return out


@dataclass(frozen=True, slots=True)
class ClassDef:
    """A class: its name and its fields (built-ins included), in definition order."""

    name: str
    fields: Mapping[str, Field] = field(default_factory=dict)
    # Why a name is not among the fields, where the store knows more than "no such field" (a
    # Parse database read in place: a field left out, or added since connecting); the key ""
    # speaks for every other name.
    absent: Mapping[str, str] = field(default_factory=dict, compare=False)

    def absent_hint(self, name: str, hint: str | None) -> str | None:
        """``hint`` for a field this class lacks, and why when the store knows it."""
        return _joined(hint, self.absent.get(name) or self.absent.get(""))

    def no_field(self, name: str, hint: str | None) -> SchemaError:
        """The error for a field this class lacks."""
        return SchemaError(f"class {self.name} has no field '{cut_name(name)}'", hint=self.absent_hint(name, hint))

    def get(self, name: str) -> Field | None:
        return self.fields.get(name)

    def object_holding(self, name: str) -> str | None:
        """The Object field a dotted ``name`` is a key inside of (``meta`` for ``meta.views``),
        else None."""
        head = self.fields.get(name.split(".", 1)[0]) if "." in name else None
        return head.name if head is not None and head.type == "Object" and PATH_RE.fullmatch(name) else None

    def field(self, name: str) -> Field:
        """The field called ``name``, or a SchemaError with a suggestion (a name that is not a
        string names no field, as :meth:`Schema.get` says of a class)."""
        if not isinstance(name, str):
            raise SchemaError(f"class {self.name} has no field {name!r}", hint=suggest(str(name), self.fields))
        f = self.fields.get(name)
        if f is None and (head := self.object_holding(name)) is not None:
            if (steps := name.count(".")) > MAX_PATH_STEPS:
                raise LimitExceeded(f"'{cut_name(name)}': a path into Object field '{head}' goes {steps} steps deep "
                                    f"(max {MAX_PATH_STEPS})")
            return Field(name, "ObjectPath")
        if f is None:
            bad = self._bad_step(name)
            if bad is not None:
                raise SchemaError(bad, code=INVALID_KEY_NAME)
            raise self.no_field(name, suggest(name, self.fields))
        return f

    def _bad_step(self, name: str) -> str | None:
        """Why a dotted ``name`` into an Object field is no path (a step that is not letters,
        digits and '_'), else None: "has no field 'meta.list.-1'" left users looking for one."""
        head = self.fields.get(name.split(".", 1)[0]) if "." in name else None
        if head is None or head.type != "Object":
            return None
        steps = name.split(".")[1:]
        if "" in steps:
            return f"'{cut_name(name)}': a dotted path needs a field name before, between and after its dots"
        step = next((s for s in steps if not STEP_RE.fullmatch(s)), None)
        if step is None:
            return None
        why = f"'{cut_name(name)}': the step '{cut_name(step)}' of a path into Object field '{head.name}' is not a key: each step is ASCII letters, digits and '_'"
        if step.startswith("-") and step[1:].isdigit():
            why += " (an index counts from 0, the first element; MongoDB has no negative index)"
        return why

    @property
    def user_fields(self) -> list[Field]:
        return [f for f in self.fields.values() if not f.builtin]

    @property
    def date_names(self) -> list[str]:
        """The names of the class's dates: createdAt, updatedAt, then its Date fields."""
        return ["createdAt", "updatedAt", *(f.name for f in self.user_fields if f.type == "Date")]

    def to_json(self) -> dict[str, object]:
        return {"fields": {f.name: f.to_json() for f in self.user_fields}}


def type_with_target(ftype: str, target: str | None) -> str:
    """``Pointer<User>``, or the type alone: messages about two Pointers (or Relations) that
    differ in their class alone name the classes."""
    return f"{ftype}<{target}>" if target is not None else ftype


def check_name(kind: str, name: object) -> str:
    """Class and field names must match Parse's key rule (and so are safe SQL identifiers);
    a class may also be one of Parse's system classes (SYSTEM_CLASSES)."""
    if kind == "class" and name in SYSTEM_CLASSES:
        return name  # type: ignore[return-value]
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        code = INVALID_CLASS_NAME if kind == "class" else INVALID_KEY_NAME
        message = f"invalid {kind} name {name!r}: use an ASCII letter, then ASCII letters, digits or '_'"
        if kind == "class" and isinstance(name, str) and name.startswith("_"):
            message += f"; the only names starting with '_' are Parse's {', '.join(SYSTEM_CLASSES)}"
        raise SchemaError(message, code=code)
    return name


def _check_name_in(where: str, kind: str, name: object) -> None:
    """check_name, its message saying where the name is (a load's schema has many classes)."""
    try:
        check_name(kind, name)
    except SchemaError as exc:
        raise SchemaError(f"{where}: {exc.message}", code=exc.code, hint=exc.hint) from None


def make_class(name: str, fields: Mapping[str, Mapping[str, object]]) -> ClassDef:
    """Build a ClassDef from the interchange format's ``{"fields": {...}}`` entry."""
    check_name("class", name)
    out: dict[str, Field] = {n: Field(n, t) for n, t in BUILTIN_FIELDS.items()}
    if not isinstance(fields, Mapping):
        raise SchemaError(f"class {name}: 'fields' must be an object")
    for fname, spec in fields.items():
        _check_name_in(f"class {name}", "field", fname)
        if fname in BUILTIN_FIELDS or fname in RESERVED:
            raise SchemaError(f"class {name}: field '{fname}' is reserved")
        if not isinstance(spec, Mapping) or "type" not in spec:
            raise SchemaError(f"class {name}, field {fname}: expected {{\"type\": ...}}")
        ftype = spec["type"]
        _check_field_keys(name, fname, spec)
        if ftype not in FIELD_TYPES:
            hint = suggest(str(ftype), FIELD_TYPES)
            raise SchemaError(
                f"class {name}, field {fname}: unknown type {ftype!r}", hint=hint
            )
        if (ftype == "ACL") != (fname == ACL_FIELD):
            raise SchemaError(
                f"class {name}, field {fname}: a record's ACL is the field named ACL, of type ACL "
                f"(as in Parse); '{fname}' cannot be {a_type(ftype)}"
            )
        target = spec.get("targetClass")
        if ftype in ("Pointer", "Relation"):
            if target is None:
                raise SchemaError(f"class {name}, field {fname}: {ftype} needs a targetClass")
            if not isinstance(target, str):  # 5 was said to be no targetClass at all
                raise SchemaError(f"class {name}, field {fname}: targetClass must be a class name, not {type_name(target)}")
            _check_name_in(f"class {name}, field {fname}: targetClass", "class", target)
        elif target is not None:
            raise SchemaError(f"class {name}, field {fname}: only Pointer/Relation take targetClass")
        out[fname] = Field(fname, str(ftype), target if isinstance(target, str) else None)
    check_case(f"class {name}: field", out)
    return ClassDef(name, out)


FIELD_KEYS = ("type", "targetClass")
# Keys of Parse's field specs that querylang reads no meaning into: said so by name.
PARSE_FIELD_OPTIONS = ("required", "defaultValue")


def _check_field_keys(class_name: str, field_name: str, spec: Mapping[str, object]) -> None:
    """A field spec's key other than ``type`` and ``targetClass`` is refused: ignored, a
    misspelt one ('requred', 'targetclass') or Parse's 'required' read as if it were kept."""
    for key in spec:
        if key in FIELD_KEYS:
            continue
        shown = cut_name(str(key))
        if key in PARSE_FIELD_OPTIONS:
            # Parse's /schemas answer copied by hand: the importers read it, leaving these out.
            raise SchemaError(f"class {class_name}, field {field_name}: unknown key '{shown}' (Parse's {key} is not "
                              "kept by querylang): remove it (querylang import reads a Parse Server's schema, leaving "
                              "such options out with a note); a field takes only 'type' and 'targetClass'")
        raise SchemaError(f"class {class_name}, field {field_name}: unknown key '{shown}'; a field takes only 'type' "
                          "and 'targetClass'", hint=suggest(str(key), FIELD_KEYS))


def check_case(what: str, names: Iterable[str]) -> None:
    """DuckDB identifiers ignore case: two names that differ only in case would collide."""
    seen: dict[str, str] = {}
    for name in names:
        other = seen.setdefault(name.lower(), name)
        if other != name:
            raise SchemaError(f"{what} names '{other}' and '{name}' differ only in case")


@dataclass
class Schema:
    """All classes known to a database."""

    classes: dict[str, ClassDef] = field(default_factory=dict)
    # Join tables known to hold no edge whose owner or target record is missing (the store
    # keeps this up to date). Queries over them skip the existence checks that make dangling
    # edges invisible (docs/semantics.md#dangling): measured 0.3-2 ms per query at L.
    clean_joins: frozenset[str] = field(default=frozenset(), compare=False)
    # Why a class name is not among the classes, as ClassDef.absent says of fields.
    absent: dict[str, str] = field(default_factory=dict, compare=False)

    def get(self, name: str) -> ClassDef:
        """The class called ``name``, or a SchemaError with a suggestion."""
        cls = self.classes.get(name) if isinstance(name, str) else None
        if cls is None:
            why = (self.absent.get(name) if isinstance(name, str) else None) or self.absent.get("")
            # A database of no classes (a new file, another application's) said only "unknown
            # class 't'", as though the others were there.
            hint = _joined(suggest(str(name), self.classes), why) or (
                None if self.classes else "the database holds no classes: load a data file first")
            raise SchemaError(f"unknown class {cut_name(repr(name))}", hint=hint, code=INVALID_CLASS_NAME)
        return cls

    def __contains__(self, name: object) -> bool:
        return name in self.classes

    def check_targets(self) -> None:
        """Every Pointer/Relation must name a class of this schema; names are case-distinct."""
        check_case("class", self.classes)
        for cls in self.classes.values():
            for f in cls.user_fields:
                if f.target is not None and f.target not in self.classes:
                    raise SchemaError(
                        f"class {cls.name}, field {f.name}: targetClass '{f.target}' is not a class",
                        hint=suggest(f.target, self.classes),
                    )

    def relations(self) -> list[tuple[ClassDef, Field]]:
        """Every Relation field with its owner class, in class order (each has an edge table)."""
        return [(c, f) for c in self.classes.values() for f in c.user_fields if f.type == "Relation"]

    def relation_owners(self, key: str, target: str) -> list[str]:
        """Classes with a Relation field ``key`` that targets ``target`` (docs/semantics.md#related-to)."""
        return [c.name for c, f in self.relations() if f.name == key and f.target == target]

    def to_json(self) -> dict[str, object]:
        return {name: c.to_json() for name, c in self.classes.items()}

    @classmethod
    def from_json(cls, classes: Mapping[str, Mapping[str, object]]) -> Schema:
        schema = cls()
        for name, spec in classes.items():
            if not isinstance(spec, Mapping):
                raise SchemaError(f"class {name}: expected {{\"fields\": ...}}")
            schema.classes[name] = make_class(name, spec.get("fields", {}))  # type: ignore[arg-type]
        schema.check_targets()
        return schema


def given_schema(classes: Mapping[str, Mapping[str, object]]) -> Schema:
    """The schema of an interchange ``classes`` object a caller gave (matches, to_parse_where):
    one of no classes says so of itself, where a database's says to load a data file."""
    schema = Schema.from_json(classes)
    if not schema.classes:
        schema.absent = {"": "the schema given holds no classes"}
    return schema


def _joined(*hints: str | None) -> str | None:
    """The hints given, in one."""
    return "; ".join(h for h in hints if h) or None
