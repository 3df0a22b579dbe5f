"""The first wrong part of a where that serve names (where.in_parse_key_order): Parse Server 9's,
with its words (test_parse_live_writes compares the answers with Parse's)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

import querylang

from .conftest import headers
from .live import start

FIELDS = {"title": {"type": "String"}, "owner": {"type": "Pointer", "targetClass": "Note"}}


@pytest.mark.parametrize(("where", "code", "words"), [
    # Found by review: an empty $nor or one that is no array, beside a key no field may have,
    # was answered in the words of $or; Parse Server 9 (and serve, where the $nor is alone) say this.
    ({"$nor": [], "a b": 1}, 102, "Bad $nor format - use an array of at least 1 value."),
    ({"a b": 1, "$nor": {"title": "x"}}, 102, "Bad $nor format - use an array of at least 1 value."),
    # Found by review: Parse reads a key's $regex and $options in the same pass as the key's
    # name, so a bad one before a key no field may have is named first (serve named the key).
    ({"title": {"$regex": "a", "$options": "q"}, "a b": 1}, 102, "'title': Bad $options value for query: q"),
    ({"$or": [{"title": {"$regex": "a", "$options": "q"}}], "a b": 1}, 102, "'title': Bad $options value for query: q"),
    ({"title": {"$regex": "", "$options": ""}, "a b": 1}, 102, "'title': Bad $options value for query: "),
    ({"title": {"$regex": 0}, "a b": 1}, 102, "'title': $regex value must be a string"),
    ({"title": {"$regex": "a", "$options": 5}, "a b": 1}, 102, "'title': $options value must be a string"),
    # Found by review: an $or's branch that is an array is the object of its indexes, whose
    # keys Parse names before the keys beside the $or (serve named those).
    ({"$or": [[{"title": "x"}]], "c d": 1}, 105, "Invalid key name: 0"),
    # ...and only there: a key no field may have before it is named first, as is one beside
    # $options without a $regex, which Parse does not read.
    ({"a b": 1, "title": {"$regex": "a", "$options": "q"}}, 105, "Invalid key name: a b"),
    ({"title": {"$options": "q"}, "a b": 1}, 105, "Invalid key name: a b"),
])
@pytest.mark.parametrize("sub_query", [False, True], ids=["find", "sub-query"])
def test_the_first_wrong_part_of_a_where_is_named_in_parses_words(client: httpx.Client, where: dict[str, Any], code: int,
                                                                   words: str, sub_query: bool) -> None:
    db = querylang.connect()
    db.load({"classes": {"Post": {"fields": FIELDS}, "Note": {"fields": FIELDS}}})
    sent = {"owner": {"$inQuery": {"className": "Note", "where": where}}} if sub_query else where
    srv = start(db)
    try:
        for master in (False, True):
            r = client.get(f"{srv.url}/classes/Post", params={"where": json.dumps(sent)}, headers=headers(master=master))
            if not master and not isinstance(where.get("$nor", []), list):
                # A client's is refused before its keys are read (test_parse_live_writes).
                assert (r.status_code, r.json()) == (400, {"code": 102, "error": "Permission denied"}), r.text
                continue
            assert (r.status_code, r.json()) == (400, {"code": code, "error": words}), r.text
    finally:
        srv.stop()


@pytest.mark.parametrize("where", [{"c d": 1, "acl": 1}, {"c d": 1, "$or": [{"acl": {"$exists": True}}]}])
@pytest.mark.parametrize("sub_query", [False, True], ids=["find", "sub-query"])
def test_a_key_on_the_acl_field_under_its_own_name_is_named_first(client: httpx.Client, where: dict[str, Any],
                                                                   sub_query: bool) -> None:
    """Found by review: a key on the class's ACL field named by --acl-field was named after a
    key no field may have beside it (105), where its "ACL" is named first, as Parse does."""
    db = querylang.connect()
    fields = {**FIELDS, "acl": {"type": "Object"}}
    db.load({"classes": {"Post": {"fields": fields}, "Note": {"fields": fields}}})
    sent = {"owner": {"$inQuery": {"className": "Note", "where": where}}} if sub_query else where
    srv = start(db, acl_field="acl")
    try:
        for master in (False, True):
            r = client.get(f"{srv.url}/classes/Post", params={"where": json.dumps(sent)}, headers=headers(master=master))
            assert (r.status_code, r.json()) == (400, {"code": 102, "error": "Cannot query on ACL."}), r.text
    finally:
        srv.stop()


def test_a_clients_key_on_password_where_user_holds_no_such_field(client: httpx.Client) -> None:
    """Found by review: a client's where or sort on password in a _User without such a field
    was 119 (as where the field is held and kept from clients); Parse Server 9 has no field of
    that name to hide, so it is read as any field the class lacks, as for the master key
    (serve's 105 naming it: docs/serve.md). A dot path into email in a sort is 119, as Parse
    refuses a sort key whose first field it hides."""
    db = querylang.connect()
    db.load({"classes": {"_User": {"fields": {"username": {"type": "String"}, "email": {"type": "String"}}}},
             "records": {"_User": [{"objectId": "u1", "username": "ann", "email": "a@x"}]}})
    srv = start(db)
    try:
        for where in ({"password": "pw"}, {"$or": [{"password.a": 1}]}):
            mine, master = (client.get(f"{srv.url}/classes/_User", params={"where": json.dumps(where)},
                                       headers=headers(master=m)) for m in (False, True))
            assert (mine.status_code, mine.json()) == (master.status_code, master.json()), mine.text
            assert mine.json()["code"] == 105 and "password" in mine.json()["error"], mine.text
        for order in ("email", "-email.a", "username,email"):
            r = client.get(f"{srv.url}/classes/_User", params={"order": order}, headers=headers())
            assert (r.status_code, r.json()["code"]) == (400, 119), r.text
            assert r.json()["error"] == "This user is not allowed to sort by email on class _User"
    finally:
        srv.stop()
