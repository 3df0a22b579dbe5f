"""What a body of statements declares: hoisted ``var`` names and the ``let``/``const`` names
that exist, uninitialised, from the top of their block (JavaScript's temporal dead zone).

>>> from querylang.script.parser import parse_script
>>> body = parse_script("var a = 1\\nlet b = 2\\nif (a) { var c; const d = 3 }").body
>>> [d.name for d in var_declarators(body)]
['c', 'a']
>>> declare_lexical({}, body)
{'b': [uninitialized, 'let']}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from querylang.script import ast

__all__ = ["UNINITIALIZED", "declare_lexical", "var_declarators"]


class _Uninitialized:
    """The value of a let/const binding before its declaration runs: reading it is an error."""

    def __repr__(self) -> str:
        return "uninitialized"


UNINITIALIZED = _Uninitialized()


def var_declarators(body: tuple[ast.Stmt, ...]) -> Iterator[ast.Declarator]:
    """The `var` declarators of a body, blocks and if-branches included (not arrow bodies)."""
    todo: list[ast.Stmt | None] = list(body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.VarDecl) and node.kind == "var":
            yield from node.decls
        elif isinstance(node, ast.Block):
            todo.extend(node.body)
        elif isinstance(node, ast.If):
            todo += (node.then, node.otherwise)


def declare_lexical(scope: dict[str, list[Any]], body: tuple[ast.Stmt, ...]) -> dict[str, list[Any]]:
    """Put the block's own let/const names in ``scope``, uninitialised, so that a use before
    the declaration fails as in JavaScript rather than reading a variable of an outer scope.
    A name the scope already holds (a parameter, a hoisted var) is left for the declaration
    to report."""
    for node in body:
        if isinstance(node, ast.VarDecl) and node.kind != "var":
            for decl in node.decls:
                scope.setdefault(decl.name, [UNINITIALIZED, node.kind])
    return scope
