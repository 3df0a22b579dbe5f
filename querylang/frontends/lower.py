"""Rules applied to checked nodes once, before any engine sees them.

Every front end (filter objects, Parse REST ``where``, visual filters) ends in the same node
forms, so neither the SQL compiler nor the reference evaluator repeats these decisions.

:func:`lower` rewrites a null operand (docs/semantics.md#order, #absent): ``equalTo`` /
``lessThanOrEqualTo`` / ``greaterThanOrEqualTo`` null become :class:`~querylang.model.nodes.IsAbsent`,
``notEqualTo`` null its negation, ``lessThan`` / ``greaterThan`` null
:class:`~querylang.model.nodes.Nothing`. The builder runs it on every condition it returns
(filters.build_where), so an engine never sees a ``Compare`` with a null operand.

:func:`holds_when_absent` answers, from the node alone, whether a condition holds for a value
that is not there at all: the record a missing or dangling pointer would reach. It is what
lets a condition behind a pointer path keep its meaning when the path reaches nothing
(docs/semantics.md, absent values): such a record has no fields, not even an objectId.
"""

from __future__ import annotations

from dataclasses import replace
from operator import is_

from querylang.model import nodes as n


def lower(node: n.Node) -> n.Node:
    """``node`` with its null operands rewritten (the same object when it has none).

    Plain ``isinstance`` tests rather than ``match``: it runs on every query built, and most
    trees have nothing to rewrite.
    """
    if isinstance(node, n.Compare):
        return node if node.value is not None else _null_operand(node)
    if isinstance(node, (n.And, n.Or)):
        lowered = tuple(map(lower, node.items))
        return node if all(map(is_, lowered, node.items)) else replace(node, items=lowered)
    if isinstance(node, n.Not):
        inner = lower(node.item)
        return node if inner is node.item else replace(node, item=inner)
    if isinstance(node, (n.MatchesQuery, n.MatchesKey)):
        inner = lower(node.where)
        return node if inner is node.where else replace(node, where=inner)
    return node


def _null_operand(node: n.Compare) -> n.Node:
    """= / <= / >= null: the field is absent; <> null: it is not; < / > null: nothing (docs/semantics.md#order)."""
    if node.op in ("lt", "gt"):
        return n.Nothing(pos=node.pos)
    absent = n.IsAbsent(node.field, pos=node.pos)
    return n.Not(absent, pos=node.pos) if node.op == "ne" else absent


def holds_when_absent(node: n.Node) -> bool:
    """Does ``node`` hold for a record that has no fields at all (not even ``objectId``)?"""
    match node:
        case n.And(items=items):
            return all(holds_when_absent(i) for i in items)
        case n.Or(items=items):
            return any(holds_when_absent(i) for i in items)
        case n.Not(item=item):
            return not holds_when_absent(item)
        case n.Compare():
            return _compare_absent(node)
        case n.In(values=values, negate=negate):
            # An absent value equals a listed null and nothing else.
            return (None in values) != negate
        case n.Exists(exists=want):
            return not want
        case n.IsAbsent():
            return True
        case n.Nothing():
            return False
        case n.ContainedBy():
            return True  # an absent array has no element outside the list
        case (
            n.Regex() | n.PointsTo() | n.RelatedTo() | n.All() | n.Text() | n.NearSphere()
            | n.WithinBox() | n.WithinPolygon() | n.PolygonContains() | n.MatchesQuery() | n.MatchesKey()
        ):
            return False  # each needs a value (or a record) to be there
    raise TypeError(f"holds_when_absent has no rule for {type(node).__name__}")


def _compare_absent(node: n.Compare) -> bool:
    """notEqualTo a value holds for absent; the rest do not. A null operand is still here while
    the builder asks (through_pointer runs before build_where lowers): read as lowered."""
    if node.value is None:
        return holds_when_absent(_null_operand(node))
    return node.op == "ne"


def through_pointer(head: str, inner: n.Node, pos: n.Pos | None = None) -> n.Node:
    """A condition on the record Pointer ``head`` reaches, true to absent values.

    One that an absent value fails becomes "the pointer reaches a record where it holds"; one
    that an absent value satisfies becomes "the pointer does not reach a record where it
    fails", so a missing or dangling pointer satisfies it too.
    """
    if holds_when_absent(inner):
        return n.Not(n.MatchesQuery(head, n.Not(inner, pos=pos), pos=pos), pos=pos)
    return n.MatchesQuery(head, inner, pos=pos)
