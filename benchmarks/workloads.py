"""The named workloads: a filter script, its inputs, the hand-written SQL and the Mongo query.

Each workload is what a Noodl user would write in a Query Records node: a filter *script* with
``Inputs``, plus the node's settings (limit, skip, count). Next to it, the same question asked
three other ways, so every contender answers it on the same data:

- ``hand``: the SQL a person would write over querylang's own tables (layout.py), with bound
  parameters — the floor;
- ``mongo``: the MongoDB query (run by mongomock; Relations through a join collection, as Parse
  stores them);
- ``parse``: the Parse REST request (``--with-parse``).

``inputs(rng, scale)`` draws new inputs for every run (so "warm" means a cached plan, not a cached
answer). A workload of several ``steps`` feeds each step's ids into the next step's inputs.

To change a workload, edit its entry in ``WORKLOADS``; ``filter`` is the same condition as a
filter object, used only while ``querylang.script`` is not importable.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .generate import CATEGORIES, TAGS, WORDS, Scale, group_id, post_id, user_id

Inputs = dict[str, Any]

# --- the hand-written SQL's column lists (the columns querylang reads back) --------------------
POST_COLS = (
    '"objectId", "createdAt", "updatedAt", "title", "category", "likes", "rating", "published", '
    '"publishedAt", "tags", "meta", "author", "location:lat", "location:lng", ":nulls"'
)
COMMENT_COLS = '"objectId", "createdAt", "updatedAt", "text", "likes", "flagged", "Owner", "author", ":nulls"'
GROUP_COLS = '"objectId", "createdAt", "updatedAt", "name", "kind", ":nulls"'
POSTS_JOIN = '"_join:posts:Group"'


@dataclass(frozen=True)
class Step:
    """One querylang query: class, script, node settings; ``feed`` makes its inputs from the
    workload's inputs and the previous step's ids."""

    class_name: str
    script: str
    filter: Callable[[Inputs], Mapping[str, Any]]
    sort: tuple[str, ...] = ()
    limit: int | None = None
    skip: Callable[[Inputs], int] | None = None
    count: bool = False
    feed: Callable[[Inputs, list[str]], Inputs] | None = None

    def options(self, inputs: Inputs) -> dict[str, Any]:
        return {
            "limit": self.limit,
            "skip": self.skip(inputs) if self.skip else None,
            "count": self.count,
        }


@dataclass(frozen=True)
class Hand:
    """Hand-written SQL: a rows statement and/or a count statement, each with its parameters."""

    sql: str | None
    params: Callable[[Inputs], list[Any]]
    count_sql: str | None = None
    count_params: Callable[[Inputs], list[Any]] | None = None


@dataclass(frozen=True)
class Workload:
    name: str
    about: str
    steps: tuple[Step, ...]
    inputs: Callable[[random.Random, Scale], Inputs]
    hand: Hand
    # mongo(db, inputs) -> (ids or None, count or None); db is a mongomock database
    mongo: Callable[[Any, Inputs], tuple[list[str] | None, int | None]]
    # parse(inputs) -> list of (className, params) REST queries; later ones get "$ids" filled
    parse: Callable[[Inputs], list[dict[str, Any]]] = field(default=lambda i: [])
    # The fastest hand SQL found when it is not ``hand`` (contender ``hand_best``; noodl_shape.py).
    best: Hand | None = None
    # Whether the slow contenders (reference, mongomock, Parse Server) answer it.
    slow: bool = True

    @property
    def class_name(self) -> str:
        return self.steps[-1].class_name

    @property
    def script(self) -> str:
        return "\n// then\n".join(s.script for s in self.steps)


# --- helpers --------------------------------------------------------------------------------


def _ids(cursor: Any) -> list[str]:
    return [d["_id"] for d in cursor]


def _ptr(cls: str, oid: str) -> dict[str, str]:
    return {"__type": "Pointer", "className": cls, "objectId": oid}


def _date(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def _post(rng: random.Random, sc: Scale) -> str:
    return post_id(rng.randrange(sc.posts))


def _group(rng: random.Random, sc: Scale) -> str:
    return group_id(rng.randrange(sc.groups))


def _pattern(rng: random.Random) -> str:
    w = rng.choice(WORDS)
    return "^" + "".join(c.upper() if rng.random() < 0.5 else c for c in w)


def _since(rng: random.Random) -> str:
    d = datetime(2023, 1, 1, tzinfo=UTC) + timedelta(days=rng.randrange(0, 900))
    return d.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _mongo_posts_in_group(db: Any, gid: str) -> list[str]:
    return [e["relatedId"] for e in db["_Join:posts:Group"].find({"owningId": gid}, {"relatedId": 1})]


# --- the workloads --------------------------------------------------------------------------

TEN_CONDITIONS = """\
where({ and: [
  { published: { equalTo: true } },
  { likes: { greaterThanOrEqualTo: Inputs.MinLikes } },
  { likes: { lessThan: 100000 } },
  { rating: { greaterThan: Inputs.MinRating } },
  { category: { containedIn: Inputs.Categories } },
  { category: { notEqualTo: 'misc' } },
  { title: { exists: true } },
  { tags: { exists: true } },
  { meta: { exists: true } },
  { location: { exists: true } },
  { publishedAt: { greaterThan: Inputs.Since } },
  { author: { notEqualTo: Inputs.NotAuthor } }
] })
sort(['-likes'])"""


def _ten_filter(i: Inputs) -> dict[str, Any]:
    return {
        "and": [
            {"published": {"equalTo": True}},
            {"likes": {"greaterThanOrEqualTo": i["MinLikes"]}},
            {"likes": {"lessThan": 100000}},
            {"rating": {"greaterThan": i["MinRating"]}},
            {"category": {"containedIn": i["Categories"]}},
            {"category": {"notEqualTo": "misc"}},
            {"title": {"exists": True}},
            {"tags": {"exists": True}},
            {"meta": {"exists": True}},
            {"location": {"exists": True}},
            {"publishedAt": {"greaterThan": i["Since"]}},
            {"author": {"notEqualTo": i["NotAuthor"]}},
        ]
    }


def _ten_inputs(rng: random.Random, sc: Scale) -> Inputs:
    return {
        "MinLikes": rng.randrange(0, 3),
        "MinRating": round(rng.uniform(0, 3), 1),
        "Categories": rng.sample(CATEGORIES, 3),
        "Since": _since(rng),
        "NotAuthor": user_id(rng.randrange(sc.users)),
    }


def _ten_mongo(db: Any, i: Inputs) -> tuple[list[str], None]:
    q = {
        "published": True,
        "likes": {"$gte": i["MinLikes"], "$lt": 100000},
        "rating": {"$gt": i["MinRating"]},
        "category": {"$in": i["Categories"], "$ne": "misc"},
        "title": {"$ne": None},
        "tags": {"$ne": None},
        "meta": {"$ne": None},
        "location": {"$ne": None},
        "publishedAt": {"$gt": _date(i["Since"])},
        "author": {"$ne": i["NotAuthor"]},
    }
    return _ids(db.Post.find(q).sort([("likes", -1), ("_id", 1)]).limit(100)), None


WORKLOADS: list[Workload] = [
    Workload(
        name="comments_of_post",
        about="Pointer equality: the comments of one post",
        steps=(
            Step(
                "Comment",
                "where({ Owner: { pointsTo: Inputs.Post } })",
                lambda i: {"Owner": {"pointsTo": i["Post"]}},
            ),
        ),
        inputs=lambda rng, sc: {"Post": _post(rng, sc)},
        hand=Hand(
            f'SELECT {COMMENT_COLS} FROM "Comment" WHERE "Owner" = ? ORDER BY "objectId"',
            lambda i: [i["Post"]],
        ),
        mongo=lambda db, i: (_ids(db.Comment.find({"Owner": i["Post"]}).sort("_id")), None),
        parse=lambda i: [{"class": "Comment", "where": {"Owner": _ptr("Post", i["Post"])}, "order": "objectId"}],
    ),
    Workload(
        name="posts_in_group",
        about="Inverse relation (relatedTo): the posts of one group",
        steps=(
            Step(
                "Post",
                "where({ relatedTo: { id: Inputs.Group, key: 'posts' } })",
                lambda i: {"relatedTo": {"id": i["Group"], "key": "posts"}},
            ),
        ),
        inputs=lambda rng, sc: {"Group": _group(rng, sc)},
        hand=Hand(
            f"SELECT {', '.join('p.' + c for c in POST_COLS.split(', '))} FROM {POSTS_JOIN} AS e "
            'JOIN "Post" AS p ON p."objectId" = e.related_id WHERE e.owning_id = ? ORDER BY p."objectId"',
            lambda i: [i["Group"]],
        ),
        mongo=lambda db, i: (
            _ids(db.Post.find({"_id": {"$in": _mongo_posts_in_group(db, i["Group"])}}).sort("_id")),
            None,
        ),
        parse=lambda i: [
            {
                "class": "Post",
                "where": {"$relatedTo": {"object": _ptr("Group", i["Group"]), "key": "posts"}},
                "order": "objectId",
            }
        ],
    ),
    Workload(
        name="groups_holding_post",
        about="Forward relation (pointsTo on a Relation): the groups that hold one post",
        steps=(
            Step(
                "Group",
                "where({ posts: { pointsTo: Inputs.Post } })",
                lambda i: {"posts": {"pointsTo": i["Post"]}},
            ),
        ),
        inputs=lambda rng, sc: {"Post": _post(rng, sc)},
        hand=Hand(
            f'SELECT {GROUP_COLS} FROM "Group" WHERE "objectId" IN '
            f"(SELECT owning_id FROM {POSTS_JOIN} WHERE related_id = ?) ORDER BY \"objectId\"",
            lambda i: [i["Post"]],
        ),
        mongo=lambda db, i: (
            _ids(
                db.Group.find(
                    {"_id": {"$in": [e["owningId"] for e in db["_Join:posts:Group"].find({"relatedId": i["Post"]})]}}
                ).sort("_id")
            ),
            None,
        ),
        parse=lambda i: [{"class": "Group", "where": {"posts": _ptr("Post", i["Post"])}, "order": "objectId"}],
    ),
    Workload(
        name="likes_range_recent",
        about="Range on likes, newest first, limit 20",
        steps=(
            Step(
                "Comment",
                "where({ likes: { greaterThanOrEqualTo: Inputs.Min, lessThan: Inputs.Max } })\nsort(['-createdAt'])",
                lambda i: {"likes": {"greaterThanOrEqualTo": i["Min"], "lessThan": i["Max"]}},
                sort=("-createdAt",),
                limit=20,
            ),
        ),
        inputs=lambda rng, sc: (lambda lo: {"Min": lo, "Max": lo + rng.randrange(2, 30)})(rng.randrange(0, 20)),
        hand=Hand(
            f'SELECT {COMMENT_COLS} FROM "Comment" WHERE "likes" >= ? AND "likes" < ? '
            'ORDER BY "createdAt" DESC NULLS LAST, "objectId" LIMIT 20',
            lambda i: [i["Min"], i["Max"]],
        ),
        mongo=lambda db, i: (
            _ids(
                db.Comment.find({"likes": {"$gte": i["Min"], "$lt": i["Max"]}})
                .sort([("createdAt", -1), ("_id", 1)])
                .limit(20)
            ),
            None,
        ),
        parse=lambda i: [
            {"class": "Comment", "where": {"likes": {"$gte": i["Min"], "$lt": i["Max"]}}, "order": "-createdAt,objectId", "limit": 20}
        ],
    ),
    Workload(
        name="regex_ci",
        about="Case-insensitive regex on a String, limit 100",
        steps=(
            Step(
                "Post",
                "where({ title: { matchesRegex: Inputs.Pattern, options: 'i' } })",
                lambda i: {"title": {"matchesRegex": i["Pattern"], "options": "i"}},
                limit=100,
            ),
        ),
        inputs=lambda rng, sc: {"Pattern": _pattern(rng)},
        hand=Hand(
            f'SELECT {POST_COLS} FROM "Post" WHERE regexp_matches("title", ?, \'i\') ORDER BY "objectId" LIMIT 100',
            lambda i: [i["Pattern"]],
        ),
        mongo=lambda db, i: (
            _ids(db.Post.find({"title": {"$regex": i["Pattern"], "$options": "i"}}).sort("_id").limit(100)),
            None,
        ),
        parse=lambda i: [
            {"class": "Post", "where": {"title": {"$regex": i["Pattern"], "$options": "i"}}, "order": "objectId", "limit": 100}
        ],
    ),
    Workload(
        name="tags_contained_in",
        about="containedIn on an Array field (any element listed), limit 100",
        steps=(
            Step(
                "Post",
                "where({ tags: { containedIn: Inputs.Tags } })",
                lambda i: {"tags": {"containedIn": i["Tags"]}},
                limit=100,
            ),
        ),
        inputs=lambda rng, sc: {"Tags": rng.sample(TAGS, 3)},
        hand=Hand(
            f'SELECT {POST_COLS} FROM "Post" WHERE list_has_any("tags:s", ?::VARCHAR[]) ORDER BY "objectId" LIMIT 100',
            lambda i: [i["Tags"]],
        ),
        mongo=lambda db, i: (_ids(db.Post.find({"tags": {"$in": i["Tags"]}}).sort("_id").limit(100)), None),
        parse=lambda i: [{"class": "Post", "where": {"tags": {"$in": i["Tags"]}}, "order": "objectId", "limit": 100}],
    ),
    Workload(
        name="or_two",
        about="or of two conditions on different fields, limit 100",
        steps=(
            Step(
                "Post",
                "where({ or: [\n  { likes: { greaterThan: Inputs.Likes } },\n  { category: { equalTo: Inputs.Category } }\n] })",
                lambda i: {"or": [{"likes": {"greaterThan": i["Likes"]}}, {"category": {"equalTo": i["Category"]}}]},
                limit=100,
            ),
        ),
        inputs=lambda rng, sc: {"Likes": rng.randrange(50, 500), "Category": rng.choice(CATEGORIES)},
        hand=Hand(
            f'SELECT {POST_COLS} FROM "Post" WHERE "likes" > ? OR "category" = ? ORDER BY "objectId" LIMIT 100',
            lambda i: [i["Likes"], i["Category"]],
        ),
        mongo=lambda db, i: (
            _ids(db.Post.find({"$or": [{"likes": {"$gt": i["Likes"]}}, {"category": i["Category"]}]}).sort("_id").limit(100)),
            None,
        ),
        parse=lambda i: [
            {
                "class": "Post",
                "where": {"$or": [{"likes": {"$gt": i["Likes"]}}, {"category": i["Category"]}]},
                "order": "objectId",
                "limit": 100,
            }
        ],
    ),
    Workload(
        name="two_hop_count",
        about="Count the comments of the posts in one group: the posts by relatedTo, inside matchesQuery",
        # One script: the engine runs the sub-query inside the statement. (The first version
        # ran two scripts, relatedTo then pointsTo those ids, as Noodl users write it today;
        # at L that read 90 post records back into Python between the steps: 29 ms vs 20 ms.)
        steps=(
            Step(
                "Comment",
                "where({ Owner: { matchesQuery: { relatedTo: { id: Inputs.Group, key: 'posts' } } } })",
                lambda i: {"Owner": {"matchesQuery": {"relatedTo": {"id": i["Group"], "key": "posts"}}}},
                limit=0,
                count=True,
            ),
        ),
        inputs=lambda rng, sc: {"Group": _group(rng, sc)},
        hand=Hand(
            None,
            lambda i: [],
            f'SELECT count(*) FROM "Comment" WHERE "Owner" IN (SELECT related_id FROM {POSTS_JOIN} WHERE owning_id = ?)',
            lambda i: [i["Group"]],
        ),
        mongo=lambda db, i: (None, db.Comment.count_documents({"Owner": {"$in": _mongo_posts_in_group(db, i["Group"])}})),
        parse=lambda i: [
            {"class": "Post", "where": {"$relatedTo": {"object": _ptr("Group", i["Group"]), "key": "posts"}}, "keys": "objectId", "limit": 1000000},
            {"class": "Comment", "where": {"Owner": {"$in": "$ids:Post"}}, "count": 1, "limit": 0},
        ],
    ),
    Workload(
        name="count_paging",
        about="count=True with a page of 20 further down (skip from the inputs)",
        steps=(
            Step(
                "Comment",
                "where({ flagged: { equalTo: false } })\nsort(['-createdAt'])",
                lambda i: {"flagged": {"equalTo": False}},
                sort=("-createdAt",),
                limit=20,
                skip=lambda i: i["Page"] * 20,
                count=True,
            ),
        ),
        inputs=lambda rng, sc: {"Page": rng.randrange(0, 100)},
        hand=Hand(
            f'SELECT {COMMENT_COLS} FROM "Comment" WHERE "flagged" = false '
            'ORDER BY "createdAt" DESC NULLS LAST, "objectId" LIMIT 20 OFFSET ?',
            lambda i: [i["Page"] * 20],
            'SELECT count(*) FROM "Comment" WHERE "flagged" = false',
            lambda i: [],
        ),
        mongo=lambda db, i: (
            _ids(db.Comment.find({"flagged": False}).sort([("createdAt", -1), ("_id", 1)]).skip(i["Page"] * 20).limit(20)),
            db.Comment.count_documents({"flagged": False}),
        ),
        parse=lambda i: [
            {"class": "Comment", "where": {"flagged": False}, "order": "-createdAt,objectId", "limit": 20, "skip": i["Page"] * 20, "count": 1}
        ],
    ),
    Workload(
        name="ten_conditions",
        about="One script of 12 conditions over every scalar type, sorted by -likes, limit 100",
        steps=(Step("Post", TEN_CONDITIONS, _ten_filter, sort=("-likes",), limit=100),),
        inputs=_ten_inputs,
        hand=Hand(
            f'SELECT {POST_COLS} FROM "Post" WHERE "published" = true AND "likes" >= ? AND "likes" < 100000 '
            'AND "rating" > ? AND "category" IN (?, ?, ?) AND "category" <> \'misc\' AND "title" IS NOT NULL '
            'AND "tags" IS NOT NULL AND "meta" IS NOT NULL AND "location:lat" IS NOT NULL '
            'AND "publishedAt" > ? AND "author" IS DISTINCT FROM ? '
            'ORDER BY "likes" DESC NULLS LAST, "objectId" LIMIT 100',
            lambda i: [
                i["MinLikes"],
                i["MinRating"],
                *i["Categories"],
                _date(i["Since"]).replace(tzinfo=None),
                i["NotAuthor"],
            ],
        ),
        mongo=_ten_mongo,
        parse=lambda i: [
            {
                "class": "Post",
                "where": {
                    "published": True,
                    "likes": {"$gte": i["MinLikes"], "$lt": 100000},
                    "rating": {"$gt": i["MinRating"]},
                    "category": {"$in": i["Categories"], "$ne": "misc"},
                    "title": {"$exists": True},
                    "tags": {"$exists": True},
                    "meta": {"$exists": True},
                    "location": {"$exists": True},
                    "publishedAt": {"$gt": {"__type": "Date", "iso": i["Since"]}},
                    "author": {"$ne": _ptr("User", i["NotAuthor"])},
                },
                "order": "-likes,objectId",
                "limit": 100,
            }
        ],
    ),
]

BY_NAME = {w.name: w for w in WORKLOADS}

# --- micro-benchmarks: the front end alone (no SQL is run) ----------------------------------

# A typical three-line script: parse + run + build + compile must stay under 300 µs cold.
MICRO_SCRIPT = """\
where({ Owner: { pointsTo: Inputs.Post },
        likes: { greaterThan: Inputs.Min } })
sort(['-createdAt'])"""
MICRO_CLASS = "Comment"


def micro_filter(i: Inputs) -> dict[str, Any]:
    return {"Owner": {"pointsTo": i["Post"]}, "likes": {"greaterThan": i["Min"]}}


def micro_inputs(rng: random.Random, sc: Scale) -> Inputs:
    return {"Post": _post(rng, sc), "Min": rng.randrange(0, 10)}
