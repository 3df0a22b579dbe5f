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
from dataclasses import fields
from typing import Any

from querylang.script import ast
from querylang.script.lexer import syntax_error

__all__ = ["UNINITIALIZED", "check_declarations", "declare_lexical", "var_declarators"]


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


def check_declarations(program: ast.Program, text: str) -> None:
    """Refuse what JavaScript refuses before it runs anything: a let/const whose name its block
    already declares (with let, const or a var hoisted through it) or its arrow function takes
    as a parameter. The interpreter finds the same clash only if the second declaration runs,
    so a branch or a function that never ran left a script JavaScript refuses answering."""
    todo: list[ast.Node] = [program]
    function_bodies: set[int] = set()
    while todo:
        node = todo.pop()
        t = type(node)
        if (t is ast.Program or t is ast.Block) and id(node) not in function_bodies:
            _check_block(node.body, (), text)  # type: ignore[attr-defined]
        elif t is ast.Arrow and type(node.body) is ast.Block:  # type: ignore[attr-defined]
            function_bodies.add(id(node.body))  # type: ignore[attr-defined]
            _check_block(node.body.body, node.params, text)  # type: ignore[attr-defined]
        names = _CHILDREN.get(t)
        for name in names if names is not None else _children(t):
            child = getattr(node, name)
            if isinstance(child, tuple):
                todo += (c for c in child if isinstance(c, ast.Node))
            elif isinstance(child, ast.Node):
                todo.append(child)


_CHILDREN: dict[type, tuple[str, ...]] = {}


def _children(cls: type) -> tuple[str, ...]:
    """The fields of a node class that may hold nodes (not its position, names or operators)."""
    plain = {"line", "column", "start", "end", "name", "op", "ops", "kind", "optional", "value"}
    names = [f.name for f in fields(cls) if f.name not in plain]
    if cls is not ast.Literal and "value" in {f.name for f in fields(cls)}:
        names.append("value")  # Spread, Prop and Assign hold an expression there
    _CHILDREN[cls] = tuple(names)
    return _CHILDREN[cls]


def _check_block(body: tuple[ast.Stmt, ...], params: tuple[ast.Name, ...], text: str) -> None:
    lexical: dict[str, ast.Declarator] = {}
    direct_vars: set[str] = set()
    taken = {p.name for p in params}
    for node in body:
        if isinstance(node, ast.VarDecl):
            for decl in node.decls:
                if node.kind == "var":
                    direct_vars.add(decl.name)
                elif decl.name in lexical or decl.name in direct_vars or decl.name in taken:
                    raise _redeclared(decl, text)
                else:
                    lexical[decl.name] = decl
    for decl in var_declarators(body):  # the block's own vars and those hoisted through it
        first = lexical.get(decl.name)
        if first is not None:
            raise _redeclared(decl if decl.start > first.start else first, text)


def _redeclared(decl: ast.Declarator, text: str) -> Exception:
    return syntax_error(f"Identifier '{decl.name}' has already been declared", text, decl.line, decl.column)
