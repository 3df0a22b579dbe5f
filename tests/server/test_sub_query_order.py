"""The order serve checks a where's sub-queries in (where.in_parse_order): Parse Server 9's, so
that the first error is Parse's (test_parse_live compares the answers), at a cost that grows
with the where, not with its square."""

from __future__ import annotations

from typing import Any

from querylang.server.where import in_parse_order


def test_sub_queries_are_run_as_parse_runs_them() -> None:
    """Every $select first (inside another sub-query too), then each $dontSelect, $inQuery and
    $notInQuery; running one runs the sub-queries of its where, in the same order, before its
    own where is read; one run inside another is not run again."""
    def sub(cls: str, where: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"className": cls, "where": where or {}}

    where = {
        "a": {"$inQuery": sub("A", {"x": {"$select": {"query": sub("S1"), "key": "k"}}, "y": {"$notInQuery": sub("N1")}})},
        "$or": [{"b": {"$dontSelect": {"query": sub("D", {"z": {"$inQuery": sub("I2")}}), "key": "k"}}}],
        "c": {"$select": {"query": sub("S2"), "key": "k"}},
    }
    steps: list[str] = []
    in_parse_order(where, lambda cls: steps.append(cls), lambda cls, _where: steps.append(f"{cls} where"))
    assert steps == ["S1", "S1 where", "S2", "S2 where", "D", "I2", "I2 where", "D where",
                     "A", "N1", "N1 where", "A where"]


class Counted(dict[str, Any]):
    """A where's object that counts how often its values are walked."""

    walks = 0

    def values(self) -> Any:
        Counted.walks += 1
        return super().values()

    def items(self) -> Any:
        Counted.walks += 1
        return super().items()


def test_a_where_of_many_sub_queries_is_walked_a_few_times_each() -> None:
    """Found by review: after each sub-query the next was looked for from the top of the where,
    so a where of n sub-queries was walked n times over (1000 of them in an $or took seconds of
    the database thread before the library refused them); now each object is walked a few times."""
    n = 300
    where = Counted({"$or": [Counted({"owner": Counted({"$inQuery": Counted({"className": "Note", "where": Counted({"n": i})})})})
                             for i in range(n)]})
    Counted.walks = 0
    seen: list[str] = []
    in_parse_order(where, seen.append, lambda _cls, _where: None)
    assert len(seen) == n
    assert Counted.walks <= 6 * n, Counted.walks
