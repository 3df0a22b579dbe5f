"""Template scripts: where a script that only passes literals and inputs puts its inputs.

A Noodl app runs the same filter script again and again with new ``Inputs``. A *template*
script is nothing but ``where()``/``filter()``/``sort()`` calls on literals, with
``Inputs.X`` (or ``$X``) as leaves of the filter object: its filter object is the same for
every input, with the input values in fixed places. :func:`template_of` finds those places,
so a plan cache can bind new values into a kept plan.
"""

from __future__ import annotations

from dataclasses import dataclass

from querylang.model.jsvalues import JSRegex
from querylang.script import ast

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Template:
    """A template script: the input names it reads and where (path in the filter object)."""

    slots: tuple[tuple[str, Path], ...]  # (input name, path) per occurrence
    names: tuple[str, ...]  # sorted, distinct
    # The literal ``options`` next to each ``matchesRegex`` (path of the matchesRegex operand;
    # "" when absent, None when not a string literal): a pattern input is bound with them.
    regex_options: tuple[tuple[Path, str | None], ...] = ()


class _NotTemplate(Exception):
    pass


def template_of(program: ast.Program) -> Template | None:
    """The template of a parsed script, or None if the script is anything more."""
    slots: list[tuple[str, Path]] = []
    options: list[tuple[Path, str | None]] = []
    try:
        for stmt in program.body:
            if type(stmt) is not ast.ExprStmt:
                raise _NotTemplate
            name, args = _builtin_call(stmt.expr)
            if len(args) != 1 or (name != "sort" and type(args[0]) is not ast.Object):
                raise _NotTemplate
            found: list[tuple[str, Path]] = []
            found_options: list[tuple[Path, str | None]] = []
            _walk(args[0], (), found, found_options)
            if name == "sort" and found:
                raise _NotTemplate  # input-dependent sort keys change the SQL
            if name != "sort":
                slots, options = found, found_options  # the last where()/filter() is the one that counts
    except _NotTemplate:
        return None
    return Template(tuple(slots), tuple(sorted({s for s, _ in slots})), tuple(options))


def _builtin_call(node: ast.Expr) -> tuple[str, tuple[ast.Expr | ast.Spread, ...]]:
    if not (type(node) is ast.Chain and len(node.links) == 1):
        raise _NotTemplate
    head, call = node.head, node.links[0]
    if not (type(head) is ast.Name and type(call) is ast.Call and not call.optional):
        raise _NotTemplate
    if head.name not in ("where", "filter", "sort"):
        raise _NotTemplate
    return head.name, call.args


def _walk(
    node: ast.Expr | ast.Spread, path: Path, out: list[tuple[str, Path]], options: list[tuple[Path, str | None]]
) -> None:
    t = type(node)
    if t is ast.Literal:
        assert isinstance(node, ast.Literal)
        if isinstance(node.value, JSRegex):
            raise _NotTemplate
    elif t is ast.Unary:
        assert isinstance(node, ast.Unary)
        operand = node.operand
        if not (node.op == "-" and type(operand) is ast.Literal
                and type(operand.value) in (int, float)):
            raise _NotTemplate
    elif t is ast.Array:
        assert isinstance(node, ast.Array)
        for i, child in enumerate(node.items):
            _walk(child, (*path, i), out, options)
    elif t is ast.Object:
        assert isinstance(node, ast.Object)
        seen: set[str] = set()
        for prop in node.props:
            if type(prop) is not ast.Prop or prop.kind not in ("name", "string"):
                raise _NotTemplate
            if prop.key in seen:
                raise _NotTemplate
            seen.add(prop.key)
            _walk(prop.value, (*path, prop.key), out, options)
        if "matchesRegex" in seen:
            given = next((p.value for p in node.props if isinstance(p, ast.Prop) and p.key == "options"), None)
            text: str | None = None  # options that are no string literal: the pattern is not bound
            if given is None:
                text = ""
            elif type(given) is ast.Literal and isinstance(given.value, str):
                text = given.value
            options.append(((*path, "matchesRegex"), text))
    elif t is ast.Name:
        assert isinstance(node, ast.Name)
        if not (node.name.startswith("$") and len(node.name) > 1):
            raise _NotTemplate
        out.append((node.name[1:], path))
    elif t is ast.Chain:
        assert isinstance(node, ast.Chain)
        head, links = node.head, node.links
        if not (type(head) is ast.Name and head.name == "Inputs" and len(links) == 1
                and type(links[0]) is ast.Member and not links[0].optional):
            raise _NotTemplate
        out.append((links[0].key, path))
    else:
        raise _NotTemplate
