"""querylang.steps: the public hook the load benchmark times a real load through."""

from __future__ import annotations

import querylang
from querylang import steps


def test_a_load_reports_its_steps_and_stops_when_told() -> None:
    heard: list[str] = []
    stop = steps.listen(lambda name, seconds: heard.append(name) if seconds >= 0 else None)
    db = querylang.connect()
    doc = {
        "classes": {
            "Post": {"fields": {"title": {"type": "String"}}},
            "Group": {"fields": {"posts": {"type": "Relation", "targetClass": "Post"}}},
        },
        "records": {"Post": [{"objectId": "p1", "title": "a"}], "Group": [{"objectId": "g1"}]},
        "relations": [{"class": "Group", "objectId": "g1", "key": "posts", "targetClass": "Post", "targetId": "p1"}],
    }
    db.load(doc)
    stop()
    assert {"bulk_columns", "relation_columns", "insert_records", "insert_arrow", "insert_edges", "build_indexes"} <= set(heard)
    heard.clear()
    querylang.connect().load(doc)
    assert heard == []
