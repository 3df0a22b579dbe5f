"""The Parse JS SDK (npm ``parse``, run by node) against the server: its answers equal db.query."""

from __future__ import annotations

from pathlib import Path

from .components import run_node
from .live import APP_ID, MASTER_KEY, LiveServer

JS = Path(__file__).parent / "js"


def test_sdk_queries(shared: LiveServer) -> None:
    got = run_node(JS / "sdk_queries.js", shared.url, APP_ID, MASTER_KEY)
    db = shared.db

    def ids(script: str, **kw: object) -> list[str]:
        return db.query(kw.pop("cls", "Post"), script, limit=1000, **kw).ids  # type: ignore[arg-type]

    assert got["equalTo"] == ids("where({ score: { equalTo: 13 } }); sort(['objectId'])")
    assert got["pointerEqualTo"] == ids("where({ Owner: { pointsTo: 'p015' } }); sort(['-createdAt'])", cls="Comment")
    assert got["containedIn"] == ids("where({ tags: { containedIn: ['ui', 'db'] } }); sort(['objectId'])")
    assert got["greaterThan"] == ids("where({ likes: { greaterThan: 20 } }); sort(['-likes', 'objectId'])", cls="Comment")
    assert got["matchesQuery"] == ids(
        "where({ Owner: { matchesQuery: { score: { greaterThanOrEqualTo: 12 } } } }); sort(['objectId'])", cls="Comment")
    assert got["relation"] == ids("where({ relatedTo: { id: 'g2', key: 'posts' } }); sort(['objectId'])")
    assert got["relationRedirected"] == {"ids": got["relation"], "classNames": ["Post"]}
    assert got["relationHolds"] == ids("where({ posts: { pointsTo: 'p020' } }); sort(['objectId'])", cls="Group")
    owner = db.find("Comment", {"objectId": "c001"}, include="Owner").records[0]["Owner"]
    assert got["include"] == {"owner": owner["objectId"], "title": owner["title"], "fetched": True}
    assert got["count"] == db.count("Comment", "where({ flagged: { equalTo: true } })")
    assert got["page"] == db.query("Comment", sort=["createdAt", "objectId"], skip=10, limit=5).ids
    flagged = db.query("Comment", "where({ flagged: { equalTo: true } })", limit=3, count=True)
    assert got["withCount"] == {"ids": flagged.ids, "count": flagged.count}
    assert got["error"]["code"] == 105 and "scroe" in got["error"]["message"]
    assert got["notFound"] == {"code": 101, "message": "Object not found."}
    for key in ("equalTo", "pointerEqualTo", "containedIn", "greaterThan", "matchesQuery", "relation", "relationHolds", "page"):
        assert got[key], f"{key} matched nothing: the comparison would be vacuous"


def test_sdk_writes(fresh: LiveServer) -> None:
    users = fresh.db.count("User")
    got = run_node(JS / "sdk_writes.js", fresh.url, APP_ID, MASTER_KEY)
    assert got["afterSave"] == {"score": 7, "tags": ["a", "b"]}
    assert got["inRelation"] == 1 and got["afterRemove"] == 0
    assert got["fetched"] == {"title": "edited", "score": 7, "author": "u01",
                              "publishedAt": "2025-03-04T05:06:07.000Z", "lat": 10}
    assert len(got["batch"]) == 3
    assert got["afterDestroy"] == 101 and got["badSave"] == 111
    assert got["config"] == {"greeting": "hi", "launch": "2025-01-02T03:04:05.000Z", "secret": None, "masterSecret": "s3"}
    db = fresh.db
    assert db.count("Post", {"objectId": {"equalTo": got["created"]}}) == 0
    assert db.count("User") == users  # saveAll's three users destroyed again
    assert db.query("Post", "where({ relatedTo: { id: 'g1', key: 'posts' } })").ids  # the group kept its posts
