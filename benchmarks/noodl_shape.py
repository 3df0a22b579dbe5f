"""Every workload again in Noodl's shape: the Query Records node always sends a limit (100 by
default), and a list that pages on sends ``skip``. So each workload also runs as

- ``<name>:limit100``: ``limit: 100``;
- ``<name>:page2``: ``limit: 100, skip: 100`` (the second page),

with two hand-written SQL contenders instead of one:

- ``hand_sql`` (the *naive* SQL): the workload's own hand SQL with ``LIMIT 100 [OFFSET 100]``
  appended, as a person would write it;
- ``hand_best``: the fastest SQL found for the same rows. Where DuckDB's Top-N rewrite (late
  materialization: the LIMIT turns an index lookup into a full scan plus a semi join) hurts, that
  is the matching rows fetched first in a ``MATERIALIZED`` CTE, then sorted and limited; where a
  wide scan feeds the Top-N, the sort keys first and the full rows of the page only by ``rowid``.

Counts (``count: true``) keep the workload's hand count statement. The slow contenders
(reference, mongomock, Parse Server) do not run these shapes: their queries carry the
workloads' own limits.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from .workloads import (
    BY_NAME,
    COMMENT_COLS,
    GROUP_COLS,
    POST_COLS,
    POSTS_JOIN,
    WORKLOADS,
    Hand,
    Inputs,
    Workload,
)

LIMIT = 100
SHAPES = {"limit100": None, "page2": LIMIT}  # shape name: skip


@dataclass(frozen=True)
class Rows:
    """A rows statement without LIMIT/OFFSET (``{page}`` marks where they go when they do not go
    at the end) and its parameters."""

    sql: str
    params: Callable[[Inputs], list[Any]]

    def paged(self, skip: int | None) -> str:
        page = f" LIMIT {LIMIT}" + (f" OFFSET {skip}" if skip else "")
        return self.sql.replace("{page}", page) if "{page}" in self.sql else self.sql + page


def _cte(sql: str, order: str) -> str:
    """The matching rows first, then sorted and limited: DuckDB does not turn the lookup inside
    a MATERIALIZED CTE into a scan for the sake of the Top-N."""
    return f"WITH m AS MATERIALIZED ({sql}) SELECT * FROM m ORDER BY {order}{{page}}"


def _late(table: str, cols: str, where: str, order: str) -> str:
    """Late materialization by hand: the page's rowids from the sort keys alone, then its rows."""
    return (
        f'SELECT {cols} FROM "{table}" WHERE rowid IN (SELECT rowid FROM "{table}" WHERE {where} '
        f"ORDER BY {order}{{page}}) ORDER BY {order}"
    )


_NEWEST = '"createdAt" DESC NULLS LAST, "objectId"'
_TAGS_OR = " OR ".join('list_contains("tags:s", ?)' for _ in range(3))
_TWO_HOP = f'SELECT {COMMENT_COLS} FROM "Comment" WHERE "Owner" IN (SELECT related_id FROM {POSTS_JOIN} WHERE owning_id = ?)'

# Naive rows statements that are not the workload's hand SQL minus its LIMIT.
NAIVE: dict[str, Rows] = {
    "two_hop_count": Rows(_TWO_HOP + ' ORDER BY "objectId"', lambda i: [i["Group"]]),
    "count_paging": Rows(f'SELECT {COMMENT_COLS} FROM "Comment" WHERE "flagged" = false ORDER BY {_NEWEST}', lambda i: []),
}

# The best statement found per workload (tried at scale L: the naive form, a MATERIALIZED CTE,
# late materialization by rowid; the fastest kept); one not listed has no better form found
# (two_hop_count: its CTE form took 2.4× the naive one).
BEST: dict[str, Rows] = {
    "comments_of_post": Rows(_cte(f'SELECT {COMMENT_COLS} FROM "Comment" WHERE "Owner" = ?', '"objectId"'), lambda i: [i["Post"]]),
    "posts_in_group": Rows(
        f'SELECT {POST_COLS} FROM "Post" WHERE "objectId" IN (SELECT related_id FROM {POSTS_JOIN} WHERE owning_id = ?) '
        'ORDER BY "objectId"',
        lambda i: [i["Group"]],
    ),
    "groups_holding_post": Rows(
        _cte(f'SELECT {GROUP_COLS} FROM "Group" WHERE "objectId" IN (SELECT owning_id FROM {POSTS_JOIN} WHERE related_id = ?)', '"objectId"'),
        lambda i: [i["Post"]],
    ),
    "likes_range_recent": Rows(
        _late("Comment", COMMENT_COLS, '"likes" >= ? AND "likes" < ?', _NEWEST), lambda i: [i["Min"], i["Max"]]
    ),
    "regex_ci": Rows(_late("Post", POST_COLS, 'regexp_matches("title", ?, \'i\')', '"objectId"'), lambda i: [i["Pattern"]]),
    "tags_contained_in": Rows(f'SELECT {POST_COLS} FROM "Post" WHERE {_TAGS_OR} ORDER BY "objectId"', lambda i: list(i["Tags"])),
    "or_two": Rows(_late("Post", POST_COLS, '"likes" > ? OR "category" = ?', '"objectId"'), lambda i: [i["Likes"], i["Category"]]),
    "count_paging": Rows(_late("Comment", COMMENT_COLS, '"flagged" = false', _NEWEST), lambda i: []),
    "ten_conditions": Rows(
        _late(
            "Post",
            POST_COLS,
            '"published" = true AND "likes" >= ? AND "likes" < 100000 AND "rating" > ? AND "category" IN (?, ?, ?) '
            'AND "category" <> \'misc\' AND "title" IS NOT NULL AND "tags" IS NOT NULL AND "meta" IS NOT NULL '
            'AND "location:lat" IS NOT NULL AND "publishedAt" > ? AND "author" IS DISTINCT FROM ?',
            '"likes" DESC NULLS LAST, "objectId"',
        ),
        lambda i: BY_NAME["ten_conditions"].hand.params(i),
    ),
}

def naive_rows(w: Workload) -> Rows:
    """The workload's hand SQL without its LIMIT (the naive statement of Noodl's shape)."""
    if w.name in NAIVE:
        return NAIVE[w.name]
    assert w.hand.sql is not None, w.name
    sql = re.sub(r" LIMIT \d+$", "", w.hand.sql)
    return Rows(sql, w.hand.params)


def _hand(rows: Rows, skip: int | None, base: Hand) -> Hand:
    return Hand(rows.paged(skip), rows.params, base.count_sql, base.count_params)


def shaped(w: Workload, shape: str) -> Workload:
    """``w`` in one of Noodl's shapes (``limit100`` or ``page2``)."""
    skip = SHAPES[shape]
    steps = (*w.steps[:-1], replace(w.steps[-1], limit=LIMIT, skip=(lambda i: skip) if skip else None))
    best = BEST.get(w.name, naive_rows(w))
    return replace(
        w,
        name=f"{w.name}:{shape}",
        about=f"{w.about} — Noodl's shape: limit {LIMIT}" + (f", skip {skip}" if skip else ""),
        steps=steps,
        hand=_hand(naive_rows(w), skip, w.hand),
        best=_hand(best, skip, w.hand),
        slow=False,
    )


NOODL_WORKLOADS: list[Workload] = [shaped(w, s) for w in WORKLOADS for s in SHAPES]
NOODL_BY_NAME = {w.name: w for w in NOODL_WORKLOADS}
