"""Noodl's visual filter and sorting (the Query Records node's "simple" mode) → filter objects.

The editor stores a tree of groups and rules (docs/semantics.md#front-ends; Noodl's
``convertVisualFilter``)::

    {"combinator": "and", "rules": [
        {"property": "score", "operator": "greater than", "input": "MinScore"},
        {"property": "title", "operator": "contain", "value": "parse"},
        {"operator": "related to", "relatedTo": "Group", "relationProperty": "posts",
         "input": "GroupId"},
        {"combinator": "or", "rules": [...]}]}

>>> visual_to_filter({"combinator": "and", "rules": [
...     {"property": "score", "operator": "greater than", "input": "Min"},
...     {"property": "title", "operator": "equal to", "input": "Title"}]}, {"Min": 3})
{'score': {'greaterThan': 3}}
>>> visual_sort([{"property": "createdAt", "order": "descending"}, {"property": "title"}])
['-createdAt', 'title']

Rules as Noodl reads them (docs/semantics.md#undefined): a rule reads its value from ``inputs[rule["input"]]`` when it
names an input, else from ``rule["value"]``; a rule whose value is undefined (the input is not
in ``inputs``) is skipped; a group whose rules are all skipped disappears; ``exist``/``not
exist`` never depend on a value. With ``schema`` and ``class_name``, a value on a Date property
becomes a Date, as Noodl does. Deliberate differences from Noodl:

- **contain** matches the text literally, case-insensitively: the value is escaped before it
  becomes ``matchesRegex`` with options ``i``. Noodl passes it unescaped, so "1+1" or "a.b"
  would be read as a regex and "(" makes the query fail.
- **points to** on a Relation property means "holds" (Noodl sends ``$eq`` Pointer, which Parse
  does not read on a Relation, so the rule matches nothing there, docs/semantics.md#relations).
- An unknown operator or combinator is an error (Noodl ignores the rule), as is a rule
  without a property.
- A number on a Date property is milliseconds since 1970, as on every Date field (Noodl reads
  ``new Date('1704067200000')``, an Invalid Date).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from querylang.errors import LimitExceeded, QueryError, QueryTypeError
from querylang.frontends.filters import MAX_FILTER_DEPTH
from querylang.frontends.operands import DATE_FORMS, short
from querylang.frontends.sort_paging import build_sort
from querylang.model.jsvalues import UNDEFINED, JSDate, described, type_name
from querylang.model.operators import VISUAL
from querylang.model.schema import Schema, suggest
from querylang.model.values import OUTSIDE_YEARS, date_from, outside_years
from querylang.script.date_text import parse_date

__all__ = ["visual_to_filter", "visual_sort", "VISUAL_OPERATORS"]

VISUAL_OPERATORS = VISUAL
COMBINATORS = ("and", "or")
# PCRE metacharacters outside a character class (docs/semantics.md#regex); everything else is literal as written.
_REGEX_SPECIAL = set("\\^$.|?*+()[]{}")


def visual_to_filter(
    visual: Mapping[str, Any] | None,
    inputs: Mapping[str, Any] | None = None,
    schema: Schema | None = None,
    class_name: str | None = None,
) -> dict[str, Any]:
    """The filter object for a stored visual filter (``{}`` when every rule is skipped)."""
    # As a script's Inputs: a list or a string failed with Python's AttributeError at the first
    # rule's lookup, and a key that is no name (5) was never found, without a word.
    if inputs is not None and not isinstance(inputs, Mapping):
        raise QueryTypeError(f"inputs must be a mapping of names to values, not {type_name(inputs)}")
    for name in inputs or {}:
        if type(name) is not str:
            raise QueryTypeError(f"input names must be strings, not {described(name, 60)}")
    if visual is None:
        return {}
    date_fields = _date_fields(schema, class_name)
    out = _node(visual, inputs or {}, date_fields)
    return out if out is not None else {}


def _date_fields(schema: Schema | None, class_name: str | None) -> set[str]:
    """Properties whose values Noodl turns into Dates (its schema cache; ours is the schema)."""
    if schema is None or class_name is None:
        return set()
    cls = schema.get(class_name)
    return {f.name for f in cls.fields.values() if f.type == "Date"}


def _node(
    node: object, inputs: Mapping[str, Any], date_fields: set[str], depth: int = 0, path: str = ""
) -> dict[str, Any] | None:
    """One group or rule; ``path`` is where it sits in the stored tree (``rules[1].rules[0]``)."""
    if not isinstance(node, Mapping):
        raise _placed(QueryTypeError(f"must be an object, got {type_name(node)}"), path)
    if "combinator" in node or "rules" in node:
        # Groups are walked recursively: without a bound, a deep (or cyclic) tree ended in
        # Python's RecursionError rather than a QueryError.
        if depth >= MAX_FILTER_DEPTH:
            raise LimitExceeded(f"visual filter nests too deeply (max {MAX_FILTER_DEPTH} levels)")
        return _group(node, inputs, date_fields, depth + 1, path)
    try:
        return _rule(node, inputs, date_fields)
    except QueryError as exc:
        raise _placed(exc, path, node.get("property")) from None


def _placed(exc: QueryError, path: str, prop: object = None) -> QueryError:
    """The error with the place of its rule or group in the stored tree, and the rule's property
    (Noodl's editor writes groups of groups, so "unknown visual filter operator None" alone left
    the user to search every rule for the one meant)."""
    where = f"visual filter {'group' if prop is _GROUP else 'rule'}" + (f" at {path}" if path else "")
    if isinstance(prop, str) and prop and f"'{prop}'" not in exc.message:
        where += f" (property '{prop}')"
    exc.message = f"{where}: {exc.message}"
    exc.args = (exc.message,)
    return exc


_GROUP = object()  # _placed's prop for a group's own errors


def _group(
    group: Mapping[str, Any], inputs: Mapping[str, Any], date_fields: set[str], depth: int, path: str
) -> dict[str, Any] | None:
    """``{combinator, rules}`` → ``{and|or: [...]}`` of the rules that remain (docs/semantics.md#undefined)."""
    combinator = group.get("combinator", "and")
    if combinator not in COMBINATORS:
        error = QueryError(f"unknown combinator {short(combinator)}", hint=suggest(str(combinator), COMBINATORS))
        raise _placed(error, path, _GROUP)
    rules = group.get("rules", [])
    if not isinstance(rules, list | tuple):  # a Python tuple too: "must be an array, got array" said nothing
        raise _placed(QueryTypeError(f"'rules' must be an array, got {type_name(rules)}"), path, _GROUP)
    prefix = f"{path}." if path else ""
    nodes = (_node(r, inputs, date_fields, depth, f"{prefix}rules[{i}]") for i, r in enumerate(rules))
    kept = [f for f in nodes if f is not None]
    if not kept:
        return None  # every rule skipped: the group disappears
    if len(kept) == 1:
        return kept[0]
    return {combinator: kept}


def _rule(rule: Mapping[str, Any], inputs: Mapping[str, Any], date_fields: set[str]) -> dict[str, Any] | None:
    """One rule → a one-key filter object, or None when its value is undefined."""
    operator = rule.get("operator")
    # Only text names an operator: a list or an object would not even be looked up (unhashable).
    if not isinstance(operator, str) or operator not in VISUAL_OPERATORS:
        hint = suggest(str(operator), VISUAL_OPERATORS)
        raise QueryError(f"unknown visual filter operator {short(operator)}", hint=hint)
    if operator == "related to":
        return _related_to(rule, inputs)
    prop = rule.get("property")
    if not isinstance(prop, str) or not prop:
        raise QueryError(f"the '{operator}' rule needs a property")
    if operator in ("exist", "not exist"):
        return {prop: {"exists": operator == "exist"}}
    value = _rule_value(rule, inputs)
    if value is UNDEFINED:
        return None
    if prop in date_fields:
        value = _as_date(prop, value)
    if operator == "contain":
        if not isinstance(value, str):
            raise QueryTypeError(f"'contain' on '{prop}' needs text, got {type_name(value)}")
        return {prop: {"matchesRegex": regex_literal(value), "options": "i"}}
    return {prop: {VISUAL_OPERATORS[str(operator)]: value}}


def _rule_value(rule: Mapping[str, Any], inputs: Mapping[str, Any]) -> Any:
    """The input's value when the rule names an input (undefined if not given), else ``value``."""
    if rule.get("input") is not None:
        return inputs.get(_input_name(rule), UNDEFINED)
    return rule.get("value", UNDEFINED)


def _input_name(rule: Mapping[str, Any]) -> str:
    """The rule's ``input``: the name of an input, so text (a list or an object there would
    not even be looked up in ``inputs``)."""
    name = rule["input"]
    if not isinstance(name, str):
        raise QueryTypeError(f"the '{rule.get('operator')}' rule's input must be an input name, got {type_name(name)}")
    return name


def _related_to(rule: Mapping[str, Any], inputs: Mapping[str, Any]) -> dict[str, Any] | None:
    """``related to`` → ``relatedTo: {id, key, className}``; the id comes from an input only."""
    oid = inputs.get(_input_name(rule), UNDEFINED) if rule.get("input") is not None else UNDEFINED
    if oid is UNDEFINED:
        return None
    out: dict[str, Any] = {"id": oid, "key": rule.get("relationProperty")}
    if rule.get("relatedTo") is not None:
        out["className"] = rule["relatedTo"]
    return {"relatedTo": out}


def _as_date(prop: str, value: Any) -> Any:
    """A value on a Date property as a Date (Noodl: ``new Date(value.toString())``).

    A number is left for the filter to read as milliseconds since 1970, as on every Date field
    (docs/semantics.md#dates); Noodl's ``new Date('1704067200000')`` is an Invalid Date.
    """
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    d = date_from(value)
    if d is None and isinstance(value, str):
        # What new Date(text) reads, as a script's: ISO forms without a day or a month too
        # ('2024', '2024-06'), which Noodl's new Date(value.toString()) takes.
        js = JSDate(parse_date(value))
        d = date_from(js)
        if d is None and js.valid:  # a JavaScript Date no record's date can hold
            raise QueryTypeError(f"'{prop}' is a Date: {value!r:.60} is {OUTSIDE_YEARS}")
    if d is None and outside_years(value):
        raise QueryTypeError(f"'{prop}' is a Date: {short(value)} is {OUTSIDE_YEARS}")
    if d is None:
        raise QueryTypeError(f"'{prop}' is a Date: cannot read {short(value)} as a date ({DATE_FORMS})")
    return d


def regex_literal(text: str) -> str:
    """A pattern matching ``text`` literally (PCRE metacharacters escaped)."""
    return "".join("\\" + c if c in _REGEX_SPECIAL else c for c in text)


def visual_sort(
    sorting: Sequence[Mapping[str, Any]] | None, schema: Schema | None = None, class_name: str | None = None
) -> list[str]:
    """The visual sorting list → sort keys (``[{property, order}]`` → ``['-createdAt']``, as Noodl's queryutils).

    With ``schema`` and ``class_name``, each entry's property is checked against the class here,
    so that an unknown or unsortable one is an error naming its entry."""
    if sorting is None:
        return []
    if not isinstance(sorting, Sequence) or isinstance(sorting, str):
        raise QueryTypeError(f"the visual sorting must be an array, got {type_name(sorting)}")
    cls = schema.get(class_name) if schema is not None and class_name is not None else None
    keys = []
    # Each error names its entry (sorting[1]): Noodl's editor stores an entry added and never
    # set up as {}, and "needs a property" alone did not say which of the sorts it was.
    for i, item in enumerate(sorting):
        if not isinstance(item, Mapping) or not isinstance(item.get("property"), str) or not item["property"]:
            raise QueryTypeError(f"visual sorting[{i}]: each visual sorting entry needs a property")
        order = item.get("order", "ascending")
        if order not in ("ascending", "descending"):
            hint = suggest(str(order), ("ascending", "descending"))
            raise QueryError(f"visual sorting[{i}] (property '{item['property']}'): unknown sort order {short(order)}", hint=hint)
        key = ("-" if order == "descending" else "") + item["property"]
        if cls is not None:
            # Checked later with the whole sort, "cannot sort by 'titel'" did not say which of
            # the entries it was (docs/semantics.md#front-ends promises the entry).
            try:
                build_sort([key], cls)
            except QueryError as exc:
                where = f"visual sorting[{i}]"
                if f"'{item['property']}'" not in exc.message:
                    where += f" (property '{item['property']}')"
                exc.message = f"{where}: {exc.message}"
                exc.args = (exc.message,)
                raise
        keys.append(key)
    return keys
