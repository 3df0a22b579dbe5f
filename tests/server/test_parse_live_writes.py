"""More of test_parse_live's side-by-side requests (its fixtures: the same records on serve and
on a real Parse Server 9): a client's writes in _User and _Role, and the order in which the
wrong parts of a where are named."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from . import test_parse_live as live
from .test_parse_live import Side, answer

# The same servers' fixtures, one pair per module.
parse, serve, both = live.parse, live.serve, live.both


@pytest.mark.parametrize("body", [{}, {"username": ""}, {"username": "ann-signup"},
                                  {"username": "ann-signup", "password": ""}, {"username": "ann-signup", "emailVerified": True}])
def test_a_clients_create_of_a_user_without_a_username_or_password(both: Any, body: dict[str, Any]) -> None:
    """Found by review: serve made a _User record from a client's create without a password;
    Parse Server 9's sign-up needs a username (200) and a password (201), before anything else
    in the body is read (serve's live database has no _User: answered the same)."""
    mine, theirs = both("POST", "/classes/_User", json=body)
    assert answer(mine) == answer(theirs), (mine.text, theirs.text)
    assert mine.json()["code"] in (200, 201)


def test_parse_requires_a_roles_name_and_acl(parse: Side) -> None:
    """The reference for test_serve_writes_edges' test of a role without a name or an ACL
    (serve's live database here has no _Role): Parse Server 9 refuses both, from the master key
    too, 111 "name is required." / "ACL is required.", and an update that deletes one, also of
    a record that is not there."""
    delete = {"__op": "Delete"}
    with httpx.Client(timeout=30, limits=httpx.Limits(max_keepalive_connections=0)) as client:
        made = client.post(f"{parse.url}/classes/_Role", headers=parse.headers(master=True),
                           json={"name": "Live", "ACL": {"*": {"read": True, "write": True}}})
        assert made.status_code == 201, made.text
        try:
            for master in (False, True):
                for body, missing in (({"name": "Admin"}, "ACL"), ({"ACL": {}}, "name"), ({"name": "", "ACL": {}}, "name")):
                    r = client.post(f"{parse.url}/classes/_Role", json=body, headers=parse.headers(master))
                    assert answer(r) == (400, {"code": 111, "error": f"{missing} is required."}), r.text
                for body, missing in (({"ACL": delete}, "ACL"), ({"name": delete}, "name")):
                    for oid in (made.json()["objectId"], "nobody"):
                        r = client.put(f"{parse.url}/classes/_Role/{oid}", json=body, headers=parse.headers(master))
                        assert answer(r) == (400, {"code": 111, "error": f"{missing} is required."}), r.text
        finally:
            client.delete(f"{parse.url}/classes/_Role/{made.json()['objectId']}", headers=parse.headers(master=True))


EXISTING_CLASS_ORDER = [
    ({"owner": {"$notInQuery": {"className": "Note", "where": {"a b": 1}}},
      "title": {"$dontSelect": {"query": {"className": "Note", "where": {"c d": 1}}, "key": "title"}}}, "c d"),
    ({"owner": {"$inQuery": {"className": "Note", "where": {
        "owner": {"$notInQuery": {"className": "Note", "where": {"ACL": 1}}},
        "title": {"$dontSelect": {"query": {"className": "Note", "where": {"q r": 1}}, "key": "title"}}}}}}, "q r"),
    ({"title": {"$select": {"query": {"className": "Note", "where": {"e f": 1}}, "key": "title"}}, "g h": 1}, "e f"),
    # A key on the ACL first, in an $or's where too, as Parse looks for those before the keys.
    ({"owner": {"$inQuery": {"className": "Note", "where": {"c d": 1, "$or": [{"ACL": 1}]}}}}, "ACL"),
]


@pytest.mark.parametrize("master", [True, False], ids=["master", "client"])
@pytest.mark.parametrize(("where", "key"), EXISTING_CLASS_ORDER, ids=[k for _, k in EXISTING_CLASS_ORDER])
def test_a_sub_querys_where_in_a_class_there_is_read_in_its_turn(both: Any, master: bool, where: dict[str, Any],
                                                                  key: str) -> None:
    """Found by review: the where of a sub-query into a class that is there was checked in its
    turn for a key on the ACL only; a key no class may have was found as the whole where was
    read, in the order of its keys (a $notInQuery's before a $dontSelect's beside it, a key on
    the ACL in a later sub-query before it), where Parse Server 9 runs each $dontSelect first."""
    mine, theirs = both("GET", "/classes/Post", master=master, params={"where": json.dumps(where)})
    code = 102 if key == "ACL" else 105
    assert (mine.status_code, mine.json().get("code")) == (theirs.status_code, theirs.json().get("code")) == (400, code), (
        mine.text, theirs.text)
    if code == 105:
        assert theirs.json()["error"] == f"Invalid key name: {key}"
        assert key in mine.json()["error"], mine.text


def test_a_clients_find_in_a_class_that_is_not_there_is_refused_before_its_sub_queries(both: Any) -> None:
    """Found by review: a client's find in a class that is not there read its sub-queries first
    (a key on the ACL in one: 102 "Cannot query on ACL."); Parse Server 9 refuses the class
    before it runs them, 119."""
    where = {"owner": {"$inQuery": {"className": "Note", "where": {"ACL": 1}}}, "title": {"$select": {
        "query": {"className": "Note", "where": {"a b": 1}}, "key": "title"}}}
    mine, theirs = both("GET", "/classes/NoSuchClass", params={"where": json.dumps(where)})
    assert answer(mine) == answer(theirs) == (400, {"code": 119, "error": "Permission denied"})


@pytest.mark.parametrize(("method", "path", "body", "code"), [
    ("PUT", "/classes/_User/nobody", {"emailVerified": True}, 119),
    ("PUT", "/classes/_User/nobody", {"emailVerified": False, "username": 5}, 119),
    ("POST", "/classes/_User", {"username": "u", "password": "p", "emailVerified": True}, 119),
    ("PUT", "/classes/_Role/nobody", {"name": {"__op": "Delete"}}, 111),
    ("PUT", "/classes/_Role/nobody", {"ACL": {"__op": "Delete"}, "name": "x"}, 111),
])
def test_a_clients_write_of_email_verification_or_a_roles_required_field(both: Any, method: str, path: str,
                                                                         body: dict[str, Any], code: int) -> None:
    """Found by review: a client's update in _User naming emailVerified was 206 (a type wrong
    beside it 111), where Parse Server 9 refuses it before it reads the rest, 119 "Permission
    denied" ("Clients aren't allowed to manually update email verification."); an update that
    deletes a _Role's name or ACL where the database has no _Role was 101, Parse's 111 "... is
    required." (serve's live database has neither class)."""
    mine, theirs = both(method, path, json=body)
    assert answer(mine) == answer(theirs), (mine.text, theirs.text)
    assert theirs.json()["code"] == code


KEY_ORDER = [({"c d": 1, "$or": [{"e f": 1}]}, 105, "e f"), ({"c d": 1, "$and": [{"e f": 1}]}, 105, "e f"),
             ({"c d": 1, "$or": [{"ACL": 1}]}, 102, None), ({"c d": 1, "ACL": 0}, 105, "c d")]


@pytest.mark.parametrize("place", ["find", "sub-query", "sub-query into no class", "find in no class"])
@pytest.mark.parametrize(("where", "code", "key"), KEY_ORDER, ids=[json.dumps(w) for w, _, _ in KEY_ORDER])
def test_the_first_wrong_key_of_a_where_is_parses(both: Any, place: str, where: dict[str, Any], code: int,
                                                   key: str | None) -> None:
    """Found by review: a where's keys were read in their order, so of two wrong keys the first
    written was named; Parse Server 9 looks for a key on the ACL (one JavaScript takes as true),
    then in the branches of $or, $and and $nor, then at the keys beside them (the master key's,
    in a find, in a sub-query, in a class that is not there too)."""
    cls, sent = {"find": ("Post", where), "find in no class": ("NoSuchClass", where),
                 "sub-query": ("Post", {"owner": {"$inQuery": {"className": "Note", "where": where}}}),
                 "sub-query into no class": ("Post", {"owner": {"$inQuery": {"className": "NoSuchClass", "where": where}}})}[place]
    mine, theirs = both("GET", f"/classes/{cls}", master=True, params={"where": json.dumps(sent)})
    assert (mine.status_code, mine.json().get("code")) == (theirs.status_code, theirs.json().get("code")) == (400, code), (
        mine.text, theirs.text)
    if key is not None:
        assert mine.json()["error"] == theirs.json()["error"] == f"Invalid key name: {key}"


@pytest.mark.parametrize("where", [{"$or": 1, "a b": 1}, {"$and": {"x": 1}, "a b": 1}, {"$nor": [], "a b": 1}],
                         ids=["or", "and", "nor"])
def test_a_logic_operator_that_is_no_array_is_named_before_the_keys_beside_it(both: Any, where: dict[str, Any]) -> None:
    """As Parse Server 9 reads a sub-query's where: an $or or $and that is no array (a $nor no
    array of one branch at least) is 102 "Bad $or format - use an array value." before a key
    no field may have beside it."""
    sent = {"owner": {"$inQuery": {"className": "Note", "where": where}}}
    mine, theirs = both("GET", "/classes/Post", params={"where": json.dumps(sent)})
    assert (mine.status_code, mine.json().get("code")) == (theirs.status_code, theirs.json().get("code")) == (400, 102), (
        mine.text, theirs.text)


@pytest.mark.parametrize("where", [
    {"$nor": [], "a b": 1},
    {"title": {"$regex": "a", "$options": "q"}, "a b": 1}, {"$or": [{"title": {"$regex": "a", "$options": "q"}}], "a b": 1},
    {"a b": 1, "title": {"$regex": "a", "$options": "q"}}, {"title": {"$regex": "", "$options": ""}, "a b": 1},
    {"title": {"$regex": 0}, "a b": 1}, {"title": {"$regex": "a", "$options": 5}, "a b": 1}, {"title": {"$options": "q"}, "a b": 1},
    {"$or": [[{"title": "x"}]], "c d": 1},
], ids=["nor-empty", "options-first", "options-in-or", "key-first", "empty-regex", "regex-number", "options-number",
        "options-alone", "array-branch"])
@pytest.mark.parametrize("sub_query", [False, True], ids=["find", "sub-query"])
def test_a_bad_nor_or_options_is_named_as_parse_names_it(both: Any, where: dict[str, Any], sub_query: bool) -> None:
    """The reference for test_where_key_order: Parse Server 9 reads a key's $regex and $options
    in the same pass as its name, and says of a $nor that is empty or no array "Bad $nor format - use an
    array of at least 1 value." (serve names the field its $options belongs to too)."""
    sent = {"owner": {"$inQuery": {"className": "Note", "where": where}}} if sub_query else where
    mine, theirs = both("GET", "/classes/Post", params={"where": json.dumps(sent)})
    assert (mine.status_code, mine.json()["code"]) == (theirs.status_code, theirs.json()["code"]), (mine.text, theirs.text)
    assert theirs.json()["error"] in mine.json()["error"], (mine.text, theirs.text)


def test_parse_leaves_a_roles_acl_as_it_is_for_a_null_acl(parse: Side) -> None:
    """The reference for test_serve_writes_edges' test of a role's null ACL: Parse Server 9's
    update of a _Role with "ACL": null leaves the role's ACL as it was."""
    with httpx.Client(timeout=30, limits=httpx.Limits(max_keepalive_connections=0)) as client:
        made = client.post(f"{parse.url}/classes/_Role", headers=parse.headers(master=True),
                           json={"name": "LiveNull", "ACL": {"*": {"read": True}}})
        assert made.status_code == 201, made.text
        url = f"{parse.url}/classes/_Role/{made.json()['objectId']}"
        try:
            r = client.put(url, json={"ACL": None}, headers=parse.headers(master=True))
            assert r.status_code == 200, r.text
            assert client.get(url, headers=parse.headers(master=True)).json()["ACL"] == {"*": {"read": True}}
        finally:
            client.delete(url, headers=parse.headers(master=True))


@pytest.mark.parametrize("master", [True, False], ids=["master", "client"])
def test_a_null_acl_in_an_update_leaves_the_records_acl_as_it_is(parse: Side, serve: Side, master: bool) -> None:
    """Found by review: an update with "ACL": null of a record in a class other than _Role left
    the record without an ACL, so a client allowed to write it opened it to everyone's reads
    and writes; Parse Server 9 leaves the ACL as it is (and a create's null is no ACL, on both)."""
    acl = {"*": {"read": True, "write": True}}
    out = []
    with httpx.Client(timeout=30, limits=httpx.Limits(max_keepalive_connections=0)) as client:
        for side in (serve, parse):
            made = client.post(f"{side.url}/classes/Note", headers=side.headers(master), json={"title": "n", "ACL": acl})
            bare = client.post(f"{side.url}/classes/Note", headers=side.headers(master), json={"title": "b", "ACL": None})
            assert (made.status_code, bare.status_code) == (201, 201), (made.text, bare.text)
            url = f"{side.url}/classes/Note/{made.json()['objectId']}"
            seen = []
            for body in ({"title": "t", "ACL": None}, {"ACL": None}):
                r = client.put(url, headers=side.headers(master), json=body)
                assert r.status_code == 200, r.text
                seen.append({k: v for k, v in client.get(url, headers=side.headers(True)).json().items()
                             if k in ("title", "ACL")})
            got = client.get(f"{side.url}/classes/Note/{bare.json()['objectId']}", headers=side.headers(True)).json()
            out.append((seen, "ACL" in got))
    assert out[0] == out[1] == ([{"title": "t", "ACL": acl}] * 2, False)


@pytest.mark.parametrize("where", [{"$or": 0, "a b": 1}, {"a b": 1, "$and": None}, {"$nor": "", "a b": 1},
                                   {"$or": [{"$and": False}], "a b": 1}],
                         ids=["or-0", "and-null", "nor-empty-text", "inside-or"])
@pytest.mark.parametrize("place", ["find", "$inQuery", "$select", "find in _Role"])
@pytest.mark.parametrize("master", [True, False], ids=["master", "client"])
def test_a_clients_logic_operator_that_is_no_array_is_permission_denied(both: Any, where: dict[str, Any], place: str,
                                                                        master: bool) -> None:
    """Found by review: a client's where whose $or, $and or $nor is no array, even one
    JavaScript takes as false (0, null, ""), is 102 "Permission denied" on Parse Server 9
    (read after the sub-queries run, before the where's keys), where serve named the key no
    field may have beside it (105) or the operator; the master key's is read past it to the
    key beside it (105)."""
    sent = {"find": where, "$inQuery": {"owner": {"$inQuery": {"className": "Note", "where": where}}},
            "$select": {"title": {"$select": {"query": {"className": "Note", "where": where}, "key": "title"}}},
            "find in _Role": where}[place]
    cls = "_Role" if place == "find in _Role" else "Post"  # serve's database has no _Role: no records there
    mine, theirs = both("GET", f"/classes/{cls}", master=master, params={"where": json.dumps(sent)})
    assert (mine.status_code, mine.json()["code"]) == (theirs.status_code, theirs.json()["code"]), (mine.text, theirs.text)
    if master:
        assert answer(mine) == answer(theirs) == (400, {"code": 105, "error": "Invalid key name: a b"})
    else:
        assert answer(mine) == answer(theirs) == (400, {"code": 102, "error": "Permission denied"})


def test_regex_options_that_are_null(both: Any) -> None:
    """Found by review: "$options": null beside a $regex was read as no options (200); Parse
    Server 9 refuses it, 102 "$options value must be a string", in a sub-query's where too."""
    where = {"title": {"$regex": "al", "$options": None}}
    for sent in (where, {"owner": {"$inQuery": {"className": "Note", "where": where}}}):
        mine, theirs = both("GET", "/classes/Post", params={"where": json.dumps(sent)})
        assert (mine.status_code, mine.json()["code"]) == (theirs.status_code, theirs.json()["code"]) == (400, 102), (
            mine.text, theirs.text)
        assert theirs.json()["error"] == "$options value must be a string"
        assert theirs.json()["error"] in mine.json()["error"] and "title" in mine.json()["error"], mine.text


@pytest.mark.parametrize("where", [{"a.0": 1, "a": "x"}, {"a": "x", "a.0": 1}])
def test_a_dotted_key_beside_its_field_in_a_class_not_there(both: Any, where: dict[str, Any]) -> None:
    """Asked by the last review (serve 107, Parse 101?): both answer the master key's find in
    a class that is not there no records, and a client 119."""
    mine, theirs = both("GET", "/classes/NoSuchClass", master=True, params={"where": json.dumps(where)})
    assert answer(mine) == answer(theirs) == (200, {"results": []})
    mine, theirs = both("GET", "/classes/NoSuchClass", params={"where": json.dumps(where)})
    assert answer(mine) == answer(theirs) == (400, {"code": 119, "error": "Permission denied"})


@pytest.mark.parametrize("value", [{"__op": "AddRelation", "objects": []}, {"__op": "RemoveRelation", "objects": []},
                                   {"__op": "Nope"}], ids=["add-none", "remove-none", "unknown-op"])
@pytest.mark.parametrize("field", ["title", "rel"])
def test_an_operation_parse_fails_with_a_500_is_a_400_naming_the_field(both: Any, value: dict[str, Any],
                                                                        field: str) -> None:
    """A documented difference (docs/serve.md): Parse Server 9 fails a create or an update
    holding an AddRelation or RemoveRelation of no objects, or an __op it does not know, with
    500 "Internal server error." (code 1); serve answers 400 naming the field (105 for a field
    the class lacks, 107 for an operation it does not know; on a Relation field it takes the
    first two as no change)."""
    for method, path in (("POST", "/classes/Note"), ("PUT", "/classes/Post/p1")):
        mine, theirs = both(method, path, master=True, json={field: value})
        assert answer(theirs) == (500, {"code": 1, "message": "Internal server error."}), theirs.text
        assert mine.status_code == 400 and mine.json()["code"] in (105, 107, 111), mine.text
        assert field in mine.json()["error"], mine.text


@pytest.mark.parametrize(("where", "parses"), [({"$or": [{"title": "alpha"}, 5]}, ["p1"]), ({"$or": [{"title": "alpha"}, {}]}, ["p1"]),
                                               ({"$and": [{"title": "alpha"}, True]}, ["p1"]), ({"$or": [5]}, 500)],
                         ids=["or-number", "or-empty", "and-true", "only-number"])
def test_a_logic_branch_that_is_no_where_object(both: Any, where: dict[str, Any], parses: Any) -> None:
    """A documented difference (docs/serve.md): Parse Server 9 on PostgreSQL drops a branch of
    $or or $and that sets no condition, a number, true or {} (so {} in an $or matches nothing
    more), and fails one holding only such a branch (500); serve reads them as MongoDB does:
    {} matches every record, anything else is 107 naming the branch."""
    mine, theirs = both("GET", "/classes/Post", master=True, params={"where": json.dumps(where)})
    if parses == 500:
        assert theirs.status_code == 500, theirs.text
    else:
        assert theirs.status_code == 200 and [r["objectId"] for r in theirs.json()["results"]] == parses, theirs.text
    if where == {"$or": [{"title": "alpha"}, {}]}:
        assert sorted(r["objectId"] for r in mine.json()["results"]) == ["p1", "p2"], mine.text
    else:
        assert mine.status_code == 400 and mine.json()["code"] == 107 and "item" in mine.json()["error"], mine.text


@pytest.mark.parametrize("body", [{"name": "Solo"}, {}, {"ACL": {}}, {"name": "", "ACL": {}}, {"name": 5, "ACL": {}},
                                  {"a b": 1, "name": "Solo"}], ids=["no-acl", "empty", "no-name", "empty-name",
                                                                     "name-number", "bad-field"])
@pytest.mark.parametrize("master", [True, False], ids=["master", "client"])
def test_a_create_in_role_where_the_database_has_none_reads_the_body_first(both: Any, body: dict[str, Any],
                                                                           master: bool) -> None:
    """Found by review: a create in _Role where serve's database has none was 119 for a client
    (103 for the master key) whatever its body; Parse Server 9, which always has _Role, reads
    the body first: a role without a name or an ACL is 111 "... is required.", a name of
    another type 111, a field it could not make 105 (a whole role it makes: docs/serve.md)."""
    mine, theirs = both("POST", "/classes/_Role", master=master, json=body)
    assert answer(mine) == answer(theirs), (mine.text, theirs.text)
    assert theirs.json()["code"] in (105, 111)


@pytest.mark.parametrize("where", [{"email": "x"}, {"$or": 0, "email.a": "x"}, {"$or": [{"email": "x"}], "$and": 0},
                                   {"$or": [{"$and": 0}], "$nor": [{"email": "x"}]}],
                         ids=["key", "before-or", "in-or-before-and", "and-inside-or-first"])
def test_a_clients_key_on_a_hidden_field_is_named_in_parses_turn(both: Any, where: dict[str, Any]) -> None:
    """Found by review: Parse Server 9 reads a client's where level by level, a key on a field
    it hides from clients (_User's email: 119) before an $or, $and or $nor that is no array
    beside it (102), and the branches of each in their turn; serve named the logic operator
    first, and answered a client's find in _User where its database has none no records."""
    mine, theirs = both("GET", "/classes/_User", params={"where": json.dumps(where)})
    assert (mine.status_code, mine.json()["code"]) == (theirs.status_code, theirs.json()["code"]), (mine.text, theirs.text)
    assert theirs.json()["code"] == (102 if where.get("$nor") else 119)


@pytest.mark.parametrize("params", [{"where": {"password": "pw"}}, {"where": {"ACL": 1, "password": "pw"}},
                                    {"where": {"$or": [{"password.a": 1}]}}, {"order": "email"}, {"order": "-email.a"},
                                    {"where": {"title": 1}, "order": "username,email"}],
                         ids=["password", "acl-before-password", "password-in-or", "order", "order-dot-path", "order-second"])
def test_a_clients_read_in_user_where_the_database_has_none(both: Any, params: dict[str, Any]) -> None:
    """Found by review: a client's where on password in _User, where serve's database has no
    _User, was 119 (before a key on the ACL beside it too) since the where is read level by
    level; Parse Server 9 has no field of that name to hide (no records, or the ACL's 102).
    And a client's sort by email there answered no records, where Parse refuses it (119)."""
    sent = {k: json.dumps(v) if k == "where" else v for k, v in params.items()}
    mine, theirs = both("GET", "/classes/_User", params=sent)
    assert (mine.status_code, mine.json().get("code")) == (theirs.status_code, theirs.json().get("code")), (
        mine.text, theirs.text)
    if theirs.status_code == 200:
        assert mine.json() == theirs.json() == {"results": []}
    elif "order" in params:
        assert theirs.json()["code"] == 119 and "sort by email on class _User" in mine.json()["error"], mine.text


POINTERS_PARSE_REFUSES = [
    ("n1", "schema mismatch for Post.owner; expected Pointer<Note> but got String"),
    ({"__type": "Pointer", "objectId": "n1"}, "This is not a valid Pointer"),
    ({"__type": "Object", "className": "Note", "objectId": "n1"}, "This is not a valid Object"),
]


@pytest.mark.parametrize(("value", "message"), POINTERS_PARSE_REFUSES, ids=["bare-id", "no-class", "object"])
def test_a_pointer_field_written_as_no_pointer_is_refused(both: Any, value: Any, message: str) -> None:
    """Found by review: a Pointer field written as a bare objectId, as a Pointer without its
    className or as an embedded record ({"__type": "Object"}, what an include answers) was
    stored; Parse Server 9 refuses each, in a create and in an update, 111 (an app that wrote
    so against serve failed on Parse)."""
    for method, path in (("POST", "/classes/Post"), ("PUT", "/classes/Post/p1")):
        mine, theirs = both(method, path, master=True, json={"owner": value})
        assert answer(theirs) == (400, {"code": 111, "error": message}), theirs.text
        # serve's words name the field too (as its other 111s), Parse's inside them.
        assert (mine.status_code, mine.json()["code"]) == (400, 111), (method, mine.text)
        assert message.lower() in mine.json()["error"].lower() and "Post.owner" in mine.json()["error"], mine.text


def test_an_acl_is_answered_as_the_permissions_it_grants(both: Any) -> None:
    """Found by review: an ACL was answered as written, a false permission and an entry that
    grants nothing included; Parse Server 9 keeps an ACL as who may read and who may write, and
    answers only what it grants ({"*": {"read": false, "write": true}} is {"*": {"write":
    true}}, {"u1": {}} goes), after a create and an update, in a get and a find."""
    acls = [({"*": {"read": False, "write": True}}, {"*": {"write": True}}),
            ({"u1": {"read": False}, "*": {"read": True, "write": False}, "role:A": {}}, {"*": {"read": True}}),
            ({"*": {"read": False, "write": False}}, {})]
    made = []
    try:
        for i, (acl, granted) in enumerate(acls):
            mine, theirs = both("POST", "/classes/Note", master=True, json={"objectId": f"acl{i}", "ACL": acl})
            assert mine.status_code == theirs.status_code == 201, (mine.text, theirs.text)
            made.append(f"acl{i}")
            for method, body in (("GET", None), ("PUT", {"ACL": acl})):
                if body is not None:
                    mine, theirs = both("PUT", f"/classes/Note/acl{i}", master=True, json=body)
                    assert mine.status_code == theirs.status_code == 200, (mine.text, theirs.text)
                mine, theirs = both("GET", f"/classes/Note/acl{i}", master=True)
                assert mine.json()["ACL"] == theirs.json()["ACL"] == granted, (method, mine.text, theirs.text)
                mine, theirs = both("GET", "/classes/Note", master=True, params={"where": json.dumps({"objectId": f"acl{i}"})})
                assert [r["ACL"] for r in mine.json()["results"]] == [r["ACL"] for r in theirs.json()["results"]] == [granted]
    finally:
        for oid in made:
            both("DELETE", f"/classes/Note/{oid}", master=True)


def test_a_session_token_is_passed_over(both: Any) -> None:
    """A documented difference (docs/serve.md, "ACLs"): serve signs no one in, so a request
    carrying a session token is answered as a client's without a user, where Parse Server 9
    answers a token it does not know 209 "Invalid session token"."""
    mine, theirs = both("GET", "/classes/Post/p1", headers={"X-Parse-Session-Token": "r:not-issued"})
    assert answer(theirs) == (400, {"code": 209, "error": "Invalid session token"}), theirs.text
    plain, _ = both("GET", "/classes/Post/p1")
    assert answer(mine) == answer(plain) and mine.json()["objectId"] == "p1", mine.text
    mine, _ = both("GET", "/classes/Post/p2", headers={"X-Parse-Session-Token": "r:not-issued"})
    assert answer(mine) == (404, {"code": 101, "error": "Object not found."})  # the master key's alone
