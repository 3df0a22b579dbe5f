"""Record-level writes on the DuckDB engine at their edges (engines/duckdb/writer.py and the
shared rules of engines/sql/writer.py): what a write the engine cannot make answers."""

from __future__ import annotations

import pytest

import querylang

DOC = {
    "classes": {"T": {"fields": {"s": {"type": "String"}, "n": {"type": "Number"},
                                 "r": {"type": "Relation", "targetClass": "T"}}}},
    "records": {"T": [{"objectId": "t1", "s": "one", "n": 1}, {"objectId": "t2"}]},
}


@pytest.mark.parametrize("write", [
    lambda db: db.create("T", {"s": "new"}),
    lambda db: db.save("T", "t1", {"s": "changed"}),
    lambda db: db.increment("T", "t1", {"n": 1}),
    lambda db: db.delete("T", "t1"),
    lambda db: db.add_relation("T", "t1", "r", "t2"),
    lambda db: db.remove_relation("T", "t1", "r", "t2"),
    lambda db: db.define_class("U", {"x": {"type": "String"}}),
], ids=["create", "save", "increment", "delete", "add_relation", "remove_relation", "define_class"])
def test_a_write_on_a_closed_database_is_a_data_error(tmp_path, write) -> None:
    """duckdb's ConnectionException came out of the transaction's BEGIN, a traceback where the
    PostgreSQL engine answers a DataError saying nothing was changed."""
    path = tmp_path / "x.duckdb"
    db = querylang.connect(path)
    db.load(DOC)
    db.close()
    with pytest.raises(querylang.DataError, match="the database is closed: nothing was changed"):
        write(db)
    with querylang.connect(path) as again:
        assert again.count("T") == 2 and "U" not in again.schema.classes
        t1 = again.find("T", {"objectId": "t1"}).records[0]
        assert (t1["s"], t1["n"]) == ("one", 1)
        assert again.count("T", {"r": {"exists": True}}) == 0
