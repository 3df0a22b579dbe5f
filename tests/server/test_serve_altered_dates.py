"""`querylang serve` on a DuckDB file whose Date column was altered by hand (ALTER TABLE ...
TYPE VARCHAR): a client's or the master key's update of a record's other fields, and an
ACL-checked delete, write as the library's save and delete do, the altered cell left as it is."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

import querylang
from querylang.server import ServerConfig, create_app

APP, MASTER = "dates-app", "dates-master"
OPEN = {"*": {"read": True, "write": True}}
SHUT = {"*": {"read": True}}


@pytest.fixture
def served() -> Iterator[tuple[querylang.Database, TestClient]]:
    db = querylang.connect()
    db.load({"classes": {"Item": {"fields": {"due": {"type": "Date"}, "n": {"type": "Number"},
                                             "tags": {"type": "Relation", "targetClass": "Item"},
                                             "ACL": {"type": "ACL"}}}},
             "records": {"Item": [{"objectId": f"i{k}", "n": k, "ACL": SHUT if k == 4 else OPEN,
                                   "due": {"__type": "Date", "iso": f"2025-01-0{k}T00:00:00.000Z"}}
                                  for k in range(1, 5)]}})
    con = db.store.con
    for (index,) in con.execute("SELECT index_name FROM duckdb_indexes() WHERE table_name = 'Item'").fetchall():
        con.execute(f'DROP INDEX "{index}"')  # DuckDB alters no table that has an index
    con.execute('ALTER TABLE "Item" ALTER "due" TYPE VARCHAR')
    config = ServerConfig(app_id=APP, master_key=MASTER, allow_client_writes=True)
    logging.getLogger("querylang").disabled = True  # what a 500 would log: the test names it
    try:
        with TestClient(create_app(db, config), base_url="http://localhost", raise_server_exceptions=False) as client:
            yield db, client
    finally:
        logging.getLogger("querylang").disabled = False
        db.close()


def _row(db: querylang.Database, oid: str) -> Any:
    return db.store.con.execute('SELECT "due", "n" FROM "Item" WHERE "objectId" = ?', [oid]).fetchone()


def test_an_update_of_other_fields_leaves_the_altered_date_as_it_is(served: tuple[querylang.Database, TestClient]) -> None:
    """Found by review: serve's update is the library's update, whose change gets the record as
    find gives it: every update of such a record was a 500 (code 1) naming the column, where
    the library's save of its other fields writes them."""
    db, client = served
    client_h = {"X-Parse-Application-Id": APP}
    master_h = {**client_h, "X-Parse-Master-Key": MASTER}
    due = _row(db, "i1")[0]
    for h, body, n in ((client_h, {"n": 10}, 10), (client_h, {"n": {"__op": "Increment", "amount": 2}}, 12),
                       (master_h, {"n": 20}, 20), (master_h, {"n": {"__op": "Increment", "amount": 1}}, 21)):
        r = client.put("/parse/classes/Item/i1", json=body, headers=h)
        assert r.status_code == 200 and "updatedAt" in r.json(), r.text
        assert _row(db, "i1") == (due, n)
    # The record's ACL is still read: a client may not write one closed to it.
    r = client.put("/parse/classes/Item/i4", json={"n": 1}, headers=client_h)
    assert (r.status_code, r.json()["code"]) == (404, 101), r.text
    assert _row(db, "i4")[1] == 4


def test_a_checked_delete_deletes_the_record(served: tuple[querylang.Database, TestClient]) -> None:
    """Found by review: a client's delete gets the record's ACL checked, on the record as find
    gives it: a 500 naming the column, where the library deletes it."""
    db, client = served
    client_h = {"X-Parse-Application-Id": APP}
    r = client.delete("/parse/classes/Item/i4", headers=client_h)
    assert (r.status_code, r.json()["code"]) == (404, 101), r.text
    assert _row(db, "i4") is not None
    r = client.delete("/parse/classes/Item/i2", headers=client_h)
    assert r.status_code == 200 and r.json() == {}, r.text
    assert _row(db, "i2") is None
    r = client.delete("/parse/classes/Item/i3", headers={**client_h, "X-Parse-Master-Key": MASTER})
    assert r.status_code == 200 and _row(db, "i3") is None, r.text


def test_an_operation_on_no_field_of_a_value_is_the_bodys_error(served: tuple[querylang.Database, TestClient]) -> None:
    """Found by review: db.update refuses a reads= naming no field the record holds a value of;
    serve names in it only those of its operations, and an Add to a Relation, or an Increment
    of a field the class lacks, is still Parse's error of the body (not a 500 of the reads)."""
    db, client = served
    client_h = {"X-Parse-Application-Id": APP}
    due = _row(db, "i1")
    for h in (client_h, {**client_h, "X-Parse-Master-Key": MASTER}):
        for body, answer in (
            ({"tags": {"__op": "Add", "objects": [1]}},
             {"code": 111, "error": "schema mismatch for Item.tags; expected Relation but got Array (Add)"}),
            ({"nope": {"__op": "Increment", "amount": 1}}, {"code": 105, "error": "class Item has no field 'nope'"}),
        ):
            r = client.put("/parse/classes/Item/i1", json=body, headers=h)
            assert (r.status_code, r.json()) == (400, answer), r.text
    assert _row(db, "i1") == due
