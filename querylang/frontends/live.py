"""Noodl's live-query check (``querylang.matches``): which conditions one record in memory
cannot answer, named as the user wrote them."""

from __future__ import annotations

from querylang.model import nodes as n
from querylang.model.schema import ClassDef


def needs_database(node: n.Node, cls: ClassDef) -> str | None:
    """The condition, if ``node`` needs other records or relation edges (the node's class
    name, 'PointsTo' for an equalTo on a Relation, said nothing of where it was)."""
    if isinstance(node, n.RelatedTo):
        return f"relatedTo (what {node.owner_class} {node.owner_id} holds in '{node.key}')"
    if isinstance(node, n.MatchesQuery):
        return f"the condition on what '{node.field}' points to (matchesQuery, doesNotMatchQuery or a dotted path)"
    if isinstance(node, n.MatchesKey):
        return f"matchesKeyInQuery / doesNotMatchKeyInQuery on '{node.field}' (records of {node.class_name})"
    if isinstance(node, n.PointsTo | n.Exists) and cls.field(node.field).type == "Relation":
        return f"the condition on the Relation '{node.field}'"
    return None
