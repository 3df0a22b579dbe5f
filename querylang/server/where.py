"""A client's ``where`` before it reaches the library: what it may name, and the ACLs of sub-queries.

The library runs a where as given, past any ACL; Parse runs each sub-query (``$inQuery``,
``$notInQuery``, ``$select``, ``$dontSelect``) under the caller's auth. So, without the master
key, every sub-query on a class with an ACL field is narrowed to the records anyone may read,
and a dot path through a Pointer into such a class (a querylang extension Parse does not have,
which would match on fields of records the client may not read) is refused. A key naming the ACL
field itself is refused for everyone, as Parse refuses ``ACL``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import orjson

from querylang.frontends.parse_rest import where_to_filter
from querylang.script.values import truthy

from .acl import PROTECTED
from .body import as_object, check_depth
from .errors import INVALID_JSON, INVALID_KEY_NAME, INVALID_QUERY, OPERATION_FORBIDDEN, ParseError

Schema = Any  # querylang.Schema
AclField = Callable[[str], str | None]  # class name → its ACL field, if it has one
Narrow = Callable[[str], dict[str, Any] | None]  # class name → the condition its sub-queries need
LOGIC = ("$or", "$and", "$nor")
IN_QUERY = ("$inQuery", "$notInQuery")  # {className, where}
SELECT = ("$select", "$dontSelect")  # {query: {className, where}, key}


def read_where(where: Any, max_depth: int) -> Any:
    """The ``where`` parameter as Parse Server reads it: JSON text (``where parameter is not
    valid JSON``, 107), an array the object of its indexes (``[1]`` is ``{"0": 1}``, whose key
    is refused as a field, as Parse refuses it). A where that is no object is 107, where Parse
    answers the master key every record (for ``5``, ``true``) and a client 500."""
    return where_object(where_json(where, max_depth))


def where_object(where: Any) -> Any:
    """read_where's object from the where's JSON read (where_json): never read as JSON again."""
    if isinstance(where, list):
        where = as_object(where)
    if where is not None and not isinstance(where, Mapping):
        # Refused here: the library reads a string as JSON once more, so a where encoded
        # twice would reach it as an object the checks below never saw (ACL-blind).
        raise ParseError(INVALID_JSON, "where must be a JSON object")
    return where


def where_json(where: Any, max_depth: int) -> Any:
    """The ``where`` parameter's JSON read (107 ``where parameter is not valid JSON``), as Parse
    Server's router reads it before it looks for the class; what it holds is read_where's."""
    if isinstance(where, str):
        try:
            where = orjson.loads(where)
        except orjson.JSONDecodeError:
            raise ParseError(INVALID_JSON, "where parameter is not valid JSON") from None
        check_depth(where, max_depth)
    return where


def check_where(schema: Schema, class_name: str, where: Any, acl_field: AclField, master: bool) -> None:
    """Refuse a key on the ACL field (102, as Parse) and, without the master key, a dot path
    through a Pointer into a class with an ACL field, and a key on a field Parse hides from
    clients (acl.PROTECTED; 119, as Parse); at any depth, sub-queries included."""
    for cls, path in _paths(class_name, where):
        _check_path(schema, cls, path, acl_field, master)


# Parse's own hidden fields, which every Parse app's class has (where the database has no such
# class too); a password is hidden only where the database holds one (Parse has no field to
# query by that name: a client's where on it matches no record there).
_PARSE_HIDDEN = {"_User": ("email",)}


def check_protected(schema: Schema, class_name: str, key: str, action: str = "query") -> None:
    """A client may not query or sort on a field Parse hides from clients (its answer would
    tell): ``key`` or the field a dot path of it starts with."""
    cls = schema.classes.get(class_name)
    for name in (key, key.split(".")[0]):
        if name in PROTECTED.get(class_name, ()) and (
                name in _PARSE_HIDDEN.get(class_name, ()) or (cls is not None and name in cls.fields)):
            raise ParseError(OPERATION_FORBIDDEN, f"This user is not allowed to {action} {name} on class {class_name}")


def check_clients_order(schema: Schema, class_name: str, keys: list[str]) -> None:
    """A client's sort keys (read_params.sort_keys), as Parse Server 9 reads them once its
    where is read: one on a field it hides from clients (or a dot path into one) is 119."""
    for key in keys:
        check_protected(schema, class_name, key, "sort by")


def _paths(class_name: str, where: Any) -> Iterator[tuple[str, str]]:
    """Each field key of a where (and a ``$select`` key), with the class it names a field of."""
    if not isinstance(where, Mapping):
        return
    for key, value in where.items():
        if key in LOGIC and isinstance(value, list):
            for item in value:
                yield from _paths(class_name, item)
        elif isinstance(key, str) and not key.startswith("$"):
            yield class_name, key
            for cls, sub, select_key in _sub_queries(value):
                if select_key is not None:
                    yield cls, select_key
                yield from _paths(cls, sub)


def _sub_queries(constraint: Any) -> Iterator[tuple[str, Any, str | None]]:
    """The sub-queries of one field's constraint: (class, where, the ``$select`` key or None)."""
    if not isinstance(constraint, Mapping):
        return
    for op, operand in constraint.items():
        if op in IN_QUERY and isinstance(operand, Mapping) and isinstance(operand.get("className"), str):
            yield operand["className"], operand.get("where"), None
        elif op in SELECT and isinstance(operand, Mapping):
            query = operand.get("query")
            if isinstance(query, Mapping) and isinstance(query.get("className"), str):
                key = operand.get("key")
                yield query["className"], query.get("where"), key if isinstance(key, str) else None


def _check_path(schema: Schema, class_name: str, path: str, acl_field: AclField, master: bool) -> None:
    """Follow a dotted key through the schema; what the library would refuse is left to it."""
    cls = schema.classes.get(class_name)
    parts = path.split(".")
    guarded = None  # the first class with ACLs the path reaches through a Pointer
    for i, part in enumerate(parts):
        if cls is None:
            break
        if part == acl_field(cls.name):
            raise ParseError(INVALID_QUERY, "Cannot query on ACL.")
        if not master:
            check_protected(schema, cls.name, part)
        f = cls.fields.get(part)
        if f is None or i == len(parts) - 1 or f.type != "Pointer":
            break  # an unknown field, the last segment, or a path inside an Object field
        cls = schema.classes.get(f.target)
        if guarded is None and cls is not None and acl_field(cls.name) is not None:
            guarded = cls.name
    if guarded is not None and not master:
        raise ParseError(
            INVALID_QUERY,
            f"'{path}' queries {guarded} through a Pointer, and {guarded} has ACLs: "
            "a query through a Pointer into a class with ACLs needs the master key",
        )


def related_owners(where: Any) -> Iterator[str]:
    """The class of each ``$relatedTo`` object in a where, at any depth."""
    if isinstance(where, list):
        for item in where:
            yield from related_owners(item)
    elif isinstance(where, Mapping):
        for key, value in where.items():
            if key == "$relatedTo" and isinstance(value, Mapping) and isinstance(value.get("object"), Mapping):
                owner = value["object"].get("className")
                if isinstance(owner, str):
                    yield owner
            else:
                yield from related_owners(value)


def _each_operator(where: Any, change: Callable[[str, Any], Any]) -> Any:
    """A copy of ``where`` with every field constraint's operand replaced by ``change(op,
    operand)``, inside $and/$or/$nor too (the sub-query walkers below recurse through it)."""
    if not isinstance(where, Mapping):
        return where
    out: dict[str, Any] = {}
    for key, value in where.items():
        if key in LOGIC and isinstance(value, list):
            out[key] = [_each_operator(item, change) for item in value]
        elif isinstance(key, str) and not key.startswith("$") and isinstance(value, Mapping):
            out[key] = {op: change(op, operand) for op, operand in value.items()}
        else:
            out[key] = value
    return out


def readable_sub_queries(where: Any, narrow: Narrow) -> Any:
    """A copy of ``where`` whose every sub-query (at any depth) on a class for which
    ``narrow(class)`` gives a condition also requires that condition."""
    return _each_operator(where, lambda op, operand: _narrowed(op, operand, narrow))


def _narrowed(op: str, operand: Any, narrow: Narrow) -> Any:
    """One operator of a constraint, its sub-query (if it is one) narrowed."""
    if op in IN_QUERY and isinstance(operand, Mapping) and isinstance(operand.get("className"), str):
        return {**operand, "where": _and(readable_sub_queries(operand.get("where"), narrow), narrow(operand["className"]))}
    if op in SELECT and isinstance(operand, Mapping):
        query = operand.get("query")
        if isinstance(query, Mapping) and isinstance(query.get("className"), str):
            where = readable_sub_queries(query.get("where"), narrow)
            # A $select may leave out its where (the iOS SDK does): that is every record.
            where = _and({} if where is None else where, narrow(query["className"]))
            return {**operand, "query": {**query, "where": where}}
    return operand


def _and(where: Any, condition: dict[str, Any] | None) -> Any:
    """``where`` and ``condition`` (a where the library would refuse is passed on for it to refuse)."""
    if condition is None or not isinstance(where, Mapping):
        return where
    return {"$and": [where, condition]}


def sub_queries_in_no_class(where: Any, reads_nothing: Callable[[str], bool]) -> Any:
    """A copy of ``where`` whose every sub-query (at any depth) on a class where
    ``reads_nothing(class)`` is answered as Parse Server 9 answers it, over no records: a
    ``$inQuery`` or ``$select`` matches nothing (``$in: []``), a ``$notInQuery`` or
    ``$dontSelect`` leaves its field unconstrained (the library refuses a class that is not there).
    The where of such a sub-query is read before, in its turn (read_in_no_class)."""
    if not isinstance(where, Mapping):
        return where
    out: dict[str, Any] = {}
    for key, value in where.items():
        if key in LOGIC and isinstance(value, list):
            out[key] = [sub_queries_in_no_class(item, reads_nothing) for item in value]
        elif isinstance(key, str) and not key.startswith("$") and isinstance(value, Mapping):
            out[key] = _constraint_in_no_class(value, reads_nothing)
        else:
            out[key] = value
    return out


def read_in_no_class(where: Any, reads_nothing: Callable[[str], bool]) -> None:
    """The where of a sub-query over no records (sub_queries_in_no_class drops it, so the
    library never reads it) read as Parse Server 9 reads it before it finds no table: a key no
    class may have (105), an unknown operator (102), a key on the ACL (102) is refused. A where
    that is no object Parse passes over."""
    if isinstance(where, Mapping):
        where_to_filter(sub_queries_in_no_class(where, reads_nothing))


def _constraint_in_no_class(constraint: Mapping[str, Any], reads_nothing: Callable[[str], bool]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    nothing = dropped = False
    for op, operand in constraint.items():
        query = operand.get("query") if op in SELECT and isinstance(operand, Mapping) else operand
        if op not in (*IN_QUERY, *SELECT) or not isinstance(query, Mapping) or not isinstance(query.get("className"), str):
            out[op] = operand
        elif reads_nothing(query["className"]):
            nothing = nothing or op in ("$inQuery", "$select")
            dropped = True  # the other two exclude nothing: left out
        else:
            inner = sub_queries_in_no_class(query.get("where"), reads_nothing)
            query = {**query, "where": inner} if "where" in query else query
            out[op] = {**operand, "query": query} if op in SELECT else query
    if nothing:
        out["$in"] = []  # with whatever else the field must match: still no record
    if dropped and not out:
        return {"$nin": []}  # every record: {} would ask for an empty object
    return out


def redirected_sub_queries(where: Any, redirect: Callable[[str, Any], str]) -> Any:
    """A copy of ``where`` whose every sub-query (at any depth) that carries Parse's
    ``redirectClassNameForKey`` runs on the class ``redirect(className, key)`` names: the JS SDK
    sends it for ``matchesQuery(key, obj.relation(r).query())`` when it does not know the
    Relation's target class, as it does for a top-level find."""
    return _each_operator(where, lambda op, operand: _redirected(op, operand, redirect))


def _redirected(op: str, operand: Any, redirect: Callable[[str, Any], str]) -> Any:
    if op in IN_QUERY and isinstance(operand, Mapping) and isinstance(operand.get("className"), str):
        return _retarget({**operand, "where": redirected_sub_queries(operand.get("where"), redirect)}, redirect)
    if op in SELECT and isinstance(operand, Mapping):
        query = operand.get("query")
        if isinstance(query, Mapping) and isinstance(query.get("className"), str):
            if "where" in query:
                query = {**query, "where": redirected_sub_queries(query["where"], redirect)}
            return {**operand, "query": _retarget(query, redirect)}
    return operand


def _retarget(query: Mapping[str, Any], redirect: Callable[[str, Any], str]) -> dict[str, Any]:
    out = {k: v for k, v in query.items() if k != "redirectClassNameForKey"}
    if "redirectClassNameForKey" in query:
        out["className"] = redirect(query["className"], query["redirectClassNameForKey"])
    return out


def related_in_no_class(where: Any, absent: Callable[[str], bool]) -> Any:
    """A copy of ``where`` in which a ``$relatedTo`` whose object's class is ``absent`` matches
    no record, as Parse Server 9 answers it (it finds no Relation edges there; the library
    refuses a class that is not there), in ``$or``, ``$and`` and ``$nor`` too, and in the where
    of a sub-query (Parse runs each as a query of its own)."""
    if not isinstance(where, Mapping):
        return where
    out: dict[str, Any] = {}
    nothing = False
    for key, value in where.items():
        if key in LOGIC and isinstance(value, list):
            out[key] = [related_in_no_class(item, absent) for item in value]
        elif key == "$relatedTo" and isinstance(value, Mapping) and isinstance(value.get("object"), Mapping) \
                and isinstance(value["object"].get("className"), str) and absent(value["object"]["className"]):
            nothing = True
        elif isinstance(key, str) and not key.startswith("$") and isinstance(value, Mapping):
            out[key] = {op: _related_in_sub_query(op, operand, absent) for op, operand in value.items()}
        else:
            out[key] = value
    if not nothing:
        return out
    no_record: dict[str, Any] = {"objectId": {"$in": []}}
    return {"$and": [out, no_record]} if out else no_record


def _related_in_sub_query(op: str, operand: Any, absent: Callable[[str], bool]) -> Any:
    """One operator of a field's constraint, the where of its sub-query (if it is one) through
    related_in_no_class."""
    if op in IN_QUERY and isinstance(operand, Mapping) and isinstance(operand.get("where"), Mapping):
        return {**operand, "where": related_in_no_class(operand["where"], absent)}
    query = operand.get("query") if op in SELECT and isinstance(operand, Mapping) else None
    if isinstance(query, Mapping) and isinstance(query.get("where"), Mapping):
        return {**operand, "query": {**query, "where": related_in_no_class(query["where"], absent)}}
    return operand


RUN_ORDER = ("$select", "$dontSelect", "$inQuery", "$notInQuery")  # Parse's RestQuery replaces them so


def in_parse_order(where: Any, reach: Callable[[str], None], own: Callable[[str, Any], None]) -> None:
    """Each sub-query of ``where`` in the order Parse Server 9 runs them: every ``$select``
    (anywhere, inside other sub-queries too, first found first), then every ``$dontSelect``,
    ``$inQuery``, ``$notInQuery``; running one, ``reach(class)``, then the sub-queries of its
    where in the same order, then ``own(class, its where)``. So the first error is Parse's."""
    done: set[tuple[int, str]] = set()  # (the object holding it, the kind): Parse takes it out

    def run(node: Any) -> None:
        # Each kind's operands listed in one walk, then taken first found first, skipping the
        # ones an earlier sub-query ran inside it: the first not run yet is the one Parse finds.
        # (Looked for from the top after each one, the where was walked once per sub-query.)
        found = _operands(node)
        for kind in RUN_ORDER:
            for field, holder in found[kind]:
                if (id(holder), kind) in done:
                    continue
                done.add((id(holder), kind))
                query = _proper(kind, holder[kind], field)
                if query is None:
                    continue  # a class named by no text: the library says what is wrong
                reach(query["className"])
                run(query.get("where"))
                own(query["className"], query.get("where"))

    run(where)


def _proper(kind: str, operand: Any, field: str | None) -> Mapping[str, Any] | None:
    """The query of a sub-query operand, checked as Parse Server 9 checks it as it comes to it:
    a shape it cannot run is 102 "improper usage of $inQuery" there, before any sub-query after
    it (a $inQuery without a where beside one into a class that is not there: the 102 first)."""
    if kind in SELECT:
        query = operand.get("query") if isinstance(operand, Mapping) else None
        proper = isinstance(query, Mapping) and len(operand) == 2 and truthy(query.get("className")) \
            and truthy(operand.get("key"))
    else:
        query = operand
        proper = isinstance(query, Mapping) and truthy(query.get("where")) and truthy(query.get("className"))
    if not proper or not isinstance(query, Mapping):
        raise ParseError(INVALID_QUERY, f"'{field}': improper usage of {kind}" if field else f"improper usage of {kind}")
    return query if isinstance(query.get("className"), str) else None


def _operands(node: Any) -> dict[str, list[tuple[str | None, Mapping[str, Any]]]]:
    """Each kind's sub-query operands in ``node`` (what Parse takes for one: any value there
    JavaScript takes as true), as (the field it constrains, if any, the object holding it),
    depth first, an operand before what it holds."""
    out: dict[str, list[tuple[str | None, Mapping[str, Any]]]] = {kind: [] for kind in RUN_ORDER}

    def walk(node: Any, field: str | None) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item, None)
        elif isinstance(node, Mapping):
            for kind in RUN_ORDER:
                if truthy(node.get(kind)):
                    out[kind].append((field, node))
            for key, value in node.items():
                walk(value, key if isinstance(key, str) and not key.startswith("$") else None)

    walk(node, None)
    return out


# The keys Parse Server 9 takes in a where (its validateQuery): a field name, a dot path, the
# logic operators, its own hidden columns (refused later here), and $relatedTo, which it
# replaces before.
_QUERY_KEY = re.compile(r"[a-zA-Z][a-zA-Z0-9_.]*")
_REGEX_OPTIONS = re.compile(r"[imxs]+")
_SPECIAL_KEYS = frozenset({*LOGIC, "$relatedTo", "_rperm", "_wperm", "_perishable_token", "_email_verify_token",
                           "_email_verify_token_expires_at", "_account_lockout_expires_at", "_failed_login_count"})


def in_parse_key_order(where: Any, acl_field: str | None = None) -> None:
    """The first of a where's keys Parse Server 9 refuses, as it looks for them: a key on the
    ACL (102), then in each branch of $or, $and and $nor, then each key in its turn: its
    $regex and $options (102), then its name, one no field may have (105), whatever the order
    of the keys (the library reads them in their order). Sub-queries are
    not entered: Parse reads their wheres as it runs them (in_parse_order)."""
    if not isinstance(where, Mapping):
        return
    if truthy(where.get("ACL")) or (acl_field is not None and truthy(where.get(acl_field))):
        # The class's ACL field under the --acl-field name too, as serve refuses it as ACL.
        raise ParseError(INVALID_QUERY, "Cannot query on ACL.")
    for op in LOGIC:
        branches = where.get(op)
        if not truthy(branches):
            continue
        if op == "$nor" and (not isinstance(branches, list) or not branches):
            raise ParseError(INVALID_QUERY, "Bad $nor format - use an array of at least 1 value.")
        if not isinstance(branches, list):
            raise ParseError(INVALID_QUERY, f"Bad {op} format - use an array value.")
        for branch in branches:
            # A branch that is an array is read as the object of its indexes, as Parse reads it.
            in_parse_key_order(as_object(branch) if isinstance(branch, list) else branch, acl_field)
    for key, value in where.items():
        if isinstance(value, Mapping) and "$regex" in value:
            _check_regex(key, value)  # in the same pass, before the key's own name, as Parse
        if isinstance(key, str) and not _QUERY_KEY.fullmatch(key) and key not in _SPECIAL_KEYS:
            raise ParseError(INVALID_KEY_NAME, f"Invalid key name: {key}")


def check_clients_where(schema: Schema, class_name: str, where: Any) -> None:
    """A client's where, as Parse Server 9 reads it after its sub-queries are run and before
    its keys (its check of protected fields): at each level, a key on a field Parse hides
    from clients (119), then an $or, $and or $nor given any value but an array, null, 0 or ""
    too (which the master key's where is read past), 102 "Permission denied", then the
    branches of each array in their turn."""
    if not isinstance(where, Mapping):
        return
    for key in where:
        if isinstance(key, str):
            check_protected(schema, class_name, key)
    for op in LOGIC:
        if op not in where:
            continue
        if not isinstance(where[op], list):
            raise ParseError(INVALID_QUERY, "Permission denied")
        for branch in where[op]:
            check_clients_where(schema, class_name, branch)


def _check_regex(key: str, ops: Mapping[str, Any]) -> None:
    """A $regex and its $options as Parse Server 9 reads them with the keys of a where (102):
    the pattern text (an empty one too), the options text matching [imxs]+ (null is no text:
    Parse refuses it, where the library reads it as no options)."""
    if not isinstance(ops["$regex"], str):
        raise ParseError(INVALID_QUERY, f"'{key}': $regex value must be a string")
    if "$options" not in ops:
        return
    options = ops["$options"]
    if not isinstance(options, str):
        raise ParseError(INVALID_QUERY, f"'{key}': $options value must be a string")
    if not _REGEX_OPTIONS.fullmatch(options):
        raise ParseError(INVALID_QUERY, f"'{key}': Bad $options value for query: {options}")
