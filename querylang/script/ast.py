"""The typed syntax tree of a filter script, built by the parser while it reduces.

Every node is a frozen dataclass that knows where it was written: ``line`` and ``column``
(1-based, for messages and carets) and ``start``/``end`` (offsets into the script, for the
source excerpts some messages quote). Nodes are shared by every run of a cached script, so
they never change after the parse.

The tree stays shallow where scripts grow long: a run of binary operators at one precedence
level is one node (``a + b - c`` is one :class:`Binary`), a member/call chain is one
:class:`Chain`, and the interpreter walks ``?:`` and ``else if`` chains in loops.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Node:
    line: int
    column: int
    start: int
    end: int


# ------------------------------------------------------------------------------ expressions


@dataclass(frozen=True, slots=True)
class Name(Node):
    name: str


@dataclass(frozen=True, slots=True)
class Literal(Node):
    """A number, string, boolean, null or regex literal, already decoded by the lexer."""

    value: object


@dataclass(frozen=True, slots=True)
class Template(Node):
    """`a${x}b`: text pieces (str) and substitutions (Expr) in order."""

    parts: tuple[str | Expr, ...]


@dataclass(frozen=True, slots=True)
class Spread(Node):
    """`...x` in an array literal, an object literal or a call's arguments."""

    value: Expr


@dataclass(frozen=True, slots=True)
class Array(Node):
    items: tuple[Expr | Spread, ...]


@dataclass(frozen=True, slots=True)
class Prop(Node):
    """`key: value` or the shorthand `key`; the node's position is the key's."""

    key: str
    value: Expr
    kind: str  # how the key was written: 'name', 'string', 'number' or 'shorthand'


@dataclass(frozen=True, slots=True)
class ComputedProp(Node):
    """`[key]: value`; the node's position is the key expression's."""

    key: Expr
    value: Expr


@dataclass(frozen=True, slots=True)
class Object(Node):
    props: tuple[Prop | ComputedProp | Spread, ...]


@dataclass(frozen=True, slots=True)
class New(Node):
    """`new Name(args)`; ``args`` is None without parentheses."""

    name: Name
    args: tuple[Expr | Spread, ...] | None


@dataclass(frozen=True, slots=True)
class Unary(Node):
    op: str  # '!', '-', '+' or 'typeof'
    operand: Expr


@dataclass(frozen=True, slots=True)
class Binary(Node):
    """`a + b - c`: operands and the operators between them, one precedence level."""

    operands: tuple[Expr, ...]
    ops: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Logical(Node):
    """`a && b && c`, `a || b` or `a ?? b`: one operator, evaluated left to right."""

    op: str
    operands: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Cond(Node):
    test: Expr
    then: Expr
    otherwise: Expr


@dataclass(frozen=True, slots=True)
class Member(Node):
    """`.key` or `?.key`; the position is the key's."""

    key: str
    optional: bool


@dataclass(frozen=True, slots=True)
class Index(Node):
    """`[expr]` or `?.[expr]`."""

    key: Expr
    optional: bool


@dataclass(frozen=True, slots=True)
class Call(Node):
    """`(args)` or `?.(args)`."""

    args: tuple[Expr | Spread, ...]
    optional: bool


@dataclass(frozen=True, slots=True)
class Chain(Node):
    """`head.a[b](c)`: the head, then each member, index and call in order."""

    head: Expr
    links: tuple[Member | Index | Call, ...]


@dataclass(frozen=True, slots=True)
class Arrow(Node):
    """`x => body` or `(a, b) => { ... }`; a block body returns with `return`."""

    params: tuple[Name, ...]
    body: Expr | Block


Expr = (
    Name | Literal | Template | Array | Object | New | Unary | Binary | Logical | Cond | Chain
    | Arrow
)


# ------------------------------------------------------------------------------ statements


@dataclass(frozen=True, slots=True)
class ExprStmt(Node):
    expr: Expr


@dataclass(frozen=True, slots=True)
class Empty(Node):
    pass


@dataclass(frozen=True, slots=True)
class Block(Node):
    body: tuple[Stmt, ...]


@dataclass(frozen=True, slots=True)
class If(Node):
    test: Expr
    then: Stmt
    otherwise: Stmt | None


@dataclass(frozen=True, slots=True)
class Declarator(Node):
    """`name = init` in a declaration; the position is the name's."""

    name: str
    init: Expr | None


@dataclass(frozen=True, slots=True)
class VarDecl(Node):
    kind: str  # 'const', 'let' or 'var'
    decls: tuple[Declarator, ...]


@dataclass(frozen=True, slots=True)
class Assign(Node):
    """`name = value` or `name += value`...; the position is the name's."""

    name: str
    op: str
    value: Expr


@dataclass(frozen=True, slots=True)
class Return(Node):
    value: Expr | None


Stmt = ExprStmt | Empty | Block | If | VarDecl | Assign | Return


@dataclass(frozen=True, slots=True)
class Program(Node):
    body: tuple[Stmt, ...]
