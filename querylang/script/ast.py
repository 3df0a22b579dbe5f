"""The typed syntax tree of a filter script, built by the parser while it reduces.

Every node is a dataclass that knows where it was written: ``line`` and ``column``
(1-based, for messages and carets) and ``start``/``end`` (offsets into the script, for the
source excerpts some messages quote). Nodes are shared by every run of a cached script, so
they never change after the parse: the type checker treats them as frozen (see :func:`node`).

The tree stays shallow where scripts grow long: a run of binary operators at one precedence
level is one node (``a + b - c`` is one :class:`Binary`), a member/call chain is one
:class:`Chain`, and the interpreter walks ``?:`` and ``else if`` chains in loops.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar, dataclass_transform

_T = TypeVar("_T")


@dataclass_transform(frozen_default=True)
def node(cls: type[_T]) -> type[_T]:
    """A node class: a dataclass with slots, frozen for the type checker.

    mypy rejects any assignment to a node's field. At run time the class is not frozen as
    well: a frozen dataclass sets every field through ``object.__setattr__``, which tripled
    the cost of building a node, and building nodes is most of a cold parse.
    """
    return dataclass(slots=True)(cls)


@node
class Node:
    line: int
    column: int
    start: int
    end: int


# ------------------------------------------------------------------------------ expressions


@node
class Name(Node):
    name: str


@node
class Literal(Node):
    """A number, string, boolean, null or regex literal, already decoded by the lexer."""

    value: object


@node
class Template(Node):
    """`a${x}b`: text pieces (str) and substitutions (Expr) in order."""

    parts: tuple[str | Expr, ...]


@node
class Spread(Node):
    """`...x` in an array literal, an object literal or a call's arguments."""

    value: Expr


@node
class Array(Node):
    items: tuple[Expr | Spread, ...]


@node
class Prop(Node):
    """`key: value` or the shorthand `key`; the node's position is the key's."""

    key: str
    value: Expr
    kind: str  # how the key was written: 'name', 'string', 'number' or 'shorthand'


@node
class ComputedProp(Node):
    """`[key]: value`; the node's position is the key expression's."""

    key: Expr
    value: Expr


@node
class Object(Node):
    props: tuple[Prop | ComputedProp | Spread, ...]


@node
class New(Node):
    """`new Name(args)`; ``args`` is None without parentheses."""

    name: Name
    args: tuple[Expr | Spread, ...] | None


@node
class Unary(Node):
    op: str  # '!', '-', '+' or 'typeof'
    operand: Expr


@node
class Binary(Node):
    """`a + b - c`: operands and the operators between them, one precedence level."""

    operands: tuple[Expr, ...]
    ops: tuple[str, ...]


@node
class Logical(Node):
    """`a && b && c`, `a || b` or `a ?? b`: one operator, evaluated left to right."""

    op: str
    operands: tuple[Expr, ...]


@node
class Cond(Node):
    test: Expr
    then: Expr
    otherwise: Expr


@node
class Member(Node):
    """`.key` or `?.key`; the position is the key's."""

    key: str
    optional: bool


@node
class Index(Node):
    """`[expr]` or `?.[expr]`."""

    key: Expr
    optional: bool


@node
class Call(Node):
    """`(args)` or `?.(args)`."""

    args: tuple[Expr | Spread, ...]
    optional: bool


@node
class Chain(Node):
    """`head.a[b](c)`: the head, then each member, index and call in order."""

    head: Expr
    links: tuple[Member | Index | Call, ...]


@node
class Arrow(Node):
    """`x => body` or `(a, b) => { ... }`; a block body returns with `return`."""

    params: tuple[Name, ...]
    body: Expr | Block


Expr = (
    Name | Literal | Template | Array | Object | New | Unary | Binary | Logical | Cond | Chain
    | Arrow
)


# ------------------------------------------------------------------------------ statements


@node
class ExprStmt(Node):
    expr: Expr


@node
class Empty(Node):
    pass


@node
class Block(Node):
    body: tuple[Stmt, ...]


@node
class If(Node):
    test: Expr
    then: Stmt
    otherwise: Stmt | None


@node
class Declarator(Node):
    """`name = init` in a declaration; the position is the name's."""

    name: str
    init: Expr | None


@node
class VarDecl(Node):
    kind: str  # 'const', 'let' or 'var'
    decls: tuple[Declarator, ...]


@node
class Assign(Node):
    """`name = value` or `name += value`...; the position is the name's."""

    name: str
    op: str
    value: Expr


@node
class SetProperty(Node):
    """`target.key = value`, `target[key] += value`...; the position is the target's."""

    target: Expr  # the object whose property is set
    key: Member | Index
    op: str
    value: Expr


@node
class Return(Node):
    value: Expr | None


Stmt = ExprStmt | Empty | Block | If | VarDecl | Assign | SetProperty | Return


@node
class Program(Node):
    body: tuple[Stmt, ...]
