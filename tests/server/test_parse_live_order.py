"""More of test_parse_live's side-by-side requests (its fixtures: the same records on serve and
on a real Parse Server 9): the names of an order, read before the where, and the answers serve
keeps apart from Parse's (docs/serve.md's table of differences)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from . import test_parse_live as live
from .test_parse_live import answer

# The same servers' fixtures, one pair per module.
parse, serve, both = live.parse, live.serve, live.both


@pytest.mark.parametrize("cls", ["Post", "NoSuchClass", "_User"])
@pytest.mark.parametrize("master", [True, False], ids=["master", "client"])
@pytest.mark.parametrize(("where", "order", "message"), [
    ({}, "a b", "Invalid field name: a b."),
    ({"a b": 1}, "$x", "Invalid field name: $x."),
    ({"ACL": 1}, "-title,a b", "Invalid field name: a b."),
    ({"title": {"$in": 1}, "c d": 1}, "length", "Invalid field name: length."),
    ({"$or": 1}, "className", "Invalid field name: className."),
    ({"title": {"$regex": 1}}, "a b,1", "Invalid field name: 1."),
    ({"title": {"$regex": "a", "$options": "q"}}, "--n", "Invalid field name: -n."),
    ({"$relatedTo": 1}, "authData.fb.id", "Cannot sort by authData.fb.id"),
], ids=["alone", "key-name", "acl", "or-branch", "or-no-array", "regex", "options", "auth-data"])
def test_the_names_of_an_order_are_read_before_the_where(both: Any, cls: str, master: bool, where: dict[str, Any],
                                                         order: str, message: str) -> None:
    """Found by review: serve read the where before the order (a key name, the ACL, an $or, a
    $regex), and in a class that is not there (the master key's, or a client's in _User) it
    never read the order's names at all, answering no records; Parse Server 9 checks the sort's
    names first (105), in the order of the object it builds of them (whole numbers first)."""
    mine, theirs = both("GET", f"/classes/{cls}", master=master, params={"where": json.dumps(where), "order": order})
    if not master and cls == "NoSuchClass":  # a client may not learn a class is not there: 119 first
        assert answer(mine) == answer(theirs) == (400, {"code": 119, "error": "Permission denied"})
        return
    # A client's $or that is no array is refused before, with its where's hidden fields.
    expected = {"code": 102, "error": "Permission denied"} if not master and "$or" in where else {"code": 105, "error": message}
    assert answer(mine) == answer(theirs) == (400, expected), (mine.text, theirs.text)


@pytest.mark.parametrize("master", [True, False], ids=["master", "client"])
def test_an_order_parse_reads_as_a_creation_date_or_drops(both: Any, master: bool) -> None:
    """_created_at is a name Parse sorts by as createdAt (no 105): serve's answer is the same
    records; a field the class lacks is the one difference left: Parse drops
    it from the sort, serve refuses it (105 naming the field, docs/serve.md)."""
    mine, theirs = both("GET", "/classes/Post", master=master, params={"order": "-_created_at", "keys": "title"})
    assert mine.status_code == theirs.status_code == 200, (mine.text, theirs.text)
    # (serve's records were loaded at one instant, Parse's one after the other: the sets agree)
    assert sorted(r["title"] for r in mine.json()["results"]) == sorted(r["title"] for r in theirs.json()["results"])
    mine, theirs = both("GET", "/classes/Post", master=master, params={"order": "zz"})
    assert theirs.status_code == 200
    assert answer(mine) == (400, {"code": 105, "error": "cannot sort by 'zz': class Post has no such field"})


@pytest.mark.parametrize("master", [True, False], ids=["master", "client"])
@pytest.mark.parametrize("options", ["u", "iu", "su"])
def test_regex_options_with_u_are_refused_where_parse_accepts_them(both: Any, master: bool, options: str) -> None:
    """Parse Server 9 accepts the u option (and ignores it on PostgreSQL); serve keeps the
    options the semantics allow, i, m, s and x, and refuses u as any other letter (102), as
    Parse refuses g and y (docs/serve.md)."""
    where = json.dumps({"title": {"$regex": "alp", "$options": options}})
    mine, theirs = both("GET", "/classes/Post", master=master, params={"where": where, "keys": "title"})
    assert theirs.status_code == 200 and [r["title"] for r in theirs.json()["results"]] == ["alpha"], theirs.text
    assert answer(mine) == (400, {"code": 102, "error": f"'title': Bad $options value for query: {options}"})
    for letter in "gy":
        where = json.dumps({"title": {"$regex": "alp", "$options": letter}})
        mine, theirs = both("GET", "/classes/Post", master=master, params={"where": where})
        assert (mine.status_code, mine.json()["code"]) == (theirs.status_code, theirs.json()["code"]) == (400, 102)


@pytest.mark.parametrize(("where", "parses"), [
    ({"$or": 0}, (200, {"results": []})), ({"$and": None}, (200, {"results": []})), ({"$nor": ""}, (200, {"results": []})),
    ({"$or": 1, "c d": 1}, (500, 1)), ({"$or": {}}, (500, 1)), ({"$and": "x"}, (500, 1)),
])
def test_the_master_keys_logic_operator_that_is_no_array_is_refused(both: Any, where: dict[str, Any],
                                                                   parses: tuple[int, Any]) -> None:
    """Parse Server 9 on PostgreSQL answers the master key's $or, $and or $nor that JavaScript
    finds false (0, null, "") with no records, and one it finds true but no array with a 500;
    serve refuses both, 102 with Parse's own message for a true one (docs/serve.md)."""
    mine, theirs = both("GET", "/classes/Post", master=True, params={"where": json.dumps(where)})
    status, body = parses
    assert theirs.status_code == status
    assert (theirs.json() if status == 200 else theirs.json()["code"]) == body, theirs.text
    op = next(iter(where))
    shape = "an array of at least 1 value" if op == "$nor" else "an array value"
    assert answer(mine) == (400, {"code": 102, "error": f"Bad {op} format - use {shape}."})


@pytest.mark.parametrize(("params", "action", "name"), [
    ({"where": {"email": "x"}}, "query", "email"), ({"where": {"$or": [{"email.a": "x"}]}}, "query", "email"),
    ({"order": "-email"}, "sort by", "email"),
])
def test_a_clients_query_on_a_hidden_field_names_it_where_parse_says_permission_denied(
        both: Any, params: dict[str, Any], action: str, name: str) -> None:
    """Parse Server 9 answers a client's where or sort on a field it hides from clients (_User's
    email) 119 "Permission denied"; serve gives the same code, naming the field and the class
    (docs/serve.md). The master key's is no refusal on either."""
    sent = {k: json.dumps(v) if k == "where" else v for k, v in params.items()}
    mine, theirs = both("GET", "/classes/_User", params=sent)
    assert answer(theirs) == (400, {"code": 119, "error": "Permission denied"})
    assert answer(mine) == (400, {"code": 119, "error": f"This user is not allowed to {action} {name} on class _User"})
    if "order" in params:
        mine, theirs = both("GET", "/classes/_User", master=True, params=sent)
        assert answer(mine) == answer(theirs) == (200, {"results": []})


@pytest.mark.parametrize(("path", "params"), [
    ("/classes/Post", {"explain": "true"}), ("/classes/Post", {"explain": "x", "where": json.dumps({"a b": 1}), "order": "a b"}),
    ("/classes/Post", {"explain": "1", "limit": "x"}), ("/classes/NoSuchClass", {"explain": "true"}),
    ("/classes/_User", {"explain": "true", "count": "1", "limit": "0"}),
    ("/classes/Post", {"explain": "true", "where": json.dumps({"owner": {"$inQuery": {"className": "Nope", "where": {}}}})}),
])
def test_a_clients_explain_is_refused_before_the_class_and_the_where(both: Any, path: str, params: dict[str, Any]) -> None:
    """Found by a side-by-side sweep: serve ignored a client's explain (the records, or the
    first thing wrong in the where, the class or the limit); Parse Server 9 refuses it first,
    once the where's JSON is read (102), in a batch too. A false one (0, "", false) is none."""
    expected = (400, {"code": 102, "error": "Using the explain query parameter requires the master key"})
    mine, theirs = both("GET", path, params=params)
    assert answer(mine) == answer(theirs) == expected, (mine.text, theirs.text)
    mine, theirs = both("GET", path, params={**params, "where": "{bad"})
    assert answer(mine) == answer(theirs) == (400, {"code": 107, "error": "where parameter is not valid JSON"})
    sub = [{"method": "GET", "path": "/parse" + path, "body": {"explain": True}}]
    mine, theirs = both("POST", "/batch", json={"requests": sub})
    assert answer(mine) == answer(theirs) == (200, [{"error": expected[1]}]), (mine.text, theirs.text)
    for false in ("0", "", "false"):
        mine, theirs = both("GET", "/classes/Post", params={"explain": false, "keys": "title"})
        assert mine.status_code == theirs.status_code == 200, (false, mine.text, theirs.text)
        assert [r["title"] for r in mine.json()["results"]] == [r["title"] for r in theirs.json()["results"]] == ["alpha"]


@pytest.mark.parametrize("cls", ["_Installation", "_Hooks", "_Audience", "_Join:fans:Post", "_Session"])
def test_a_clients_explain_in_a_class_only_the_master_key_reads(both: Any, cls: str) -> None:
    """Found by review: serve refused a client's explain there (102) before the class, where
    Parse Server 9 refuses the class first (119), a join table too, but for _Session, which it
    refuses later."""
    mine, theirs = both("GET", f"/classes/{cls}", params={"explain": "true"})
    expected = {"code": 102, "error": "Using the explain query parameter requires the master key"}
    if cls != "_Session":
        expected = {"code": 119, "error": "Permission denied"}
    assert answer(mine) == answer(theirs) == (400, expected), (mine.text, theirs.text)


@pytest.mark.parametrize("master", [True, False], ids=["master", "client"])
@pytest.mark.parametrize(("order", "message"), [
    ("\ufeff-n\u3000", None), ("-n\x1f", "Invalid field name: n\x1f."), ("a b,,n", "Invalid field name: a b."),
    ("n,a b,", "Invalid field name: a b."), ("-$x,-", "Invalid field name: $x."), ("a b,1,", "Invalid field name: 1."),
], ids=["bom", "unit-separator", "empty-after", "empty-last", "dash", "number"])
def test_an_orders_items_are_trimmed_and_read_in_their_turn(both: Any, master: bool, order: str, message: str | None) -> None:
    """Found by review: serve trimmed an order's items as Python does (a BOM kept, 105; a \\x1f
    dropped, sorted by n) and refused an empty one before any other name; Parse Server 9 trims
    them as JavaScript does and reads them in their turn (an empty one alone keeps serve's words,
    docs/serve.md)."""
    mine, theirs = both("GET", "/classes/Post", master=master, params={"order": order, "keys": "title"})
    if message is None:
        assert mine.status_code == theirs.status_code == 200, (mine.text, theirs.text)
        assert [r["title"] for r in mine.json()["results"]] == [r["title"] for r in theirs.json()["results"]]
        return
    assert answer(mine) == answer(theirs) == (400, {"code": 105, "error": message}), (mine.text, theirs.text)


def test_a_clients_hidden_field_beside_an_empty_key_in_an_order(both: Any) -> None:
    """Found by review: -email, was 105 (the empty key), where Parse Server 9 refuses the hidden
    field first (119; serve names it, docs/serve.md)."""
    mine, theirs = both("GET", "/classes/_User", params={"order": "-email,"})
    assert answer(theirs) == (400, {"code": 119, "error": "Permission denied"})
    assert answer(mine) == (400, {"code": 119, "error": "This user is not allowed to sort by email on class _User"})


@pytest.mark.parametrize("cls", ["_Installation", "_Hooks", "_Join:fans:Post", "_Session"])
def test_a_where_that_is_no_json_in_a_class_only_the_master_key_reads(both: Any, cls: str) -> None:
    """Found by review: serve refused the class first (119, 209 in _Session), where Parse
    Server 9 reads the where's JSON first (107)."""
    mine, theirs = both("GET", f"/classes/{cls}", params={"where": "{bad"})
    assert answer(mine) == answer(theirs) == (400, {"code": 107, "error": "where parameter is not valid JSON"}), (mine.text, theirs.text)


@pytest.mark.parametrize("order", ["--email", "\x1femail", "\ufeff-email"])
def test_a_clients_order_reads_its_hidden_fields_as_parse_reads_its_keys(both: Any, order: str) -> None:
    """Found by review: serve took --email and \\x1femail for email (119); Parse Server 9 drops
    one - and trims as JavaScript does, so neither is its hidden field (105 for the name)."""
    mine, theirs = both("GET", "/classes/_User", params={"order": order})
    if order.startswith("\ufeff"):  # email: 119, in serve's words (docs/serve.md)
        assert (mine.json()["code"], theirs.json()["code"]) == (119, 119), (mine.text, theirs.text)
        return
    assert answer(mine) == answer(theirs) == (400, {"code": 105, "error": f"Invalid field name: {order.removeprefix('-')}."})
