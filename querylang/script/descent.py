"""The common shape of a filter script parsed by recursive descent, the LALR driver's short cut.

Most scripts are a few calls of object and array literals, names, members and operators:
``where({ Owner: { pointsTo: Inputs.Post } })`` and ``sort(['-createdAt'])``. For those,
:func:`parse_common` builds the very tree :func:`querylang.script.parser._run` builds (the
same nodes, positions and spans), with one Python call per construct instead of a table
lookup and a stack update per token and per reduction. Anything else -- a statement other
than an expression, an arrow function, a template, ``new``, a block, an assignment, a key
that is not a plain key, any error -- returns None, and the LALR parser parses the script
from the start: it alone says what is wrong with a script, so every message stays its.

The lexer asks the parser which tokens it accepts before it decides what a reserved word,
``{``, ``(`` and ``/`` are (lexer.lex). Here each place in the descent answers those
questions from a small table; a question it cannot answer for sure gives up on the script,
so no token is ever read otherwise than the LALR parser reads it.
"""

from __future__ import annotations

from typing import Any

from querylang.errors import QueryError, QuerySyntaxError
from querylang.script import ast
from querylang.script.lexer import (
    ARROW_PARAMS,
    COLUMN,
    LINE,
    LINE_BREAK,
    TYPE,
    VALUE,
    Source,
    Tok,
    lex,
)
from querylang.script.values import to_string

__all__ = ["expr_node", "parse_common"]

# Binary operator precedence, lowest first; `??` shares the lowest rank with `||` because
# JavaScript refuses to mix them without parentheses, so they never meet in one list.
_RANK = {"NULLISH": 0, "OR": 0, "AND": 1, "EQ_OP": 2, "REL_OP": 3, "ADD_OP": 4, "MUL_OP": 5}
_LOGICAL = frozenset({"NULLISH", "OR", "AND"})

Span = tuple[int, int, int, int]  # line, column, start offset, end offset


def _between(first: ast.Node, last: ast.Node) -> Span:
    return first.line, first.column, first.start, last.end


def _nest(items: list[Any]) -> ast.Expr:
    """Nest a flat [operand, op, operand, ...] list by precedence into same-level nodes.

    Each node keeps its operators (``a + b - c`` is one Binary) so the interpreter folds one
    level in a loop; recursion is bounded by the seven precedence ranks.
    """
    if len(items) == 1:
        node: ast.Expr = items[0]
        return node
    ops: list[Tok] = items[1::2]
    low = min(_RANK[op[TYPE]] for op in ops)
    types = {op[TYPE] for op in ops}
    if "NULLISH" in types and types & {"OR", "AND"}:
        bad = next(op for op in ops if op[TYPE] != "NULLISH")
        raise QuerySyntaxError(
            "cannot mix '??' with '||' or '&&' without parentheses",
            line=bad[LINE],
            column=bad[COLUMN],
        )
    parts: list[list[Any]] = [[items[0]]]
    split_ops: list[Tok] = []
    for i in range(1, len(items), 2):
        op = items[i]
        if _RANK[op[TYPE]] == low:
            split_ops.append(op)
            parts.append([items[i + 1]])
        else:
            parts[-1] += (op, items[i + 1])
    operands = tuple(_nest(p) for p in parts)
    span = _between(operands[0], operands[-1])
    if split_ops[0][TYPE] in _LOGICAL:
        return ast.Logical(*span, str(split_ops[0][VALUE]), operands)
    return ast.Binary(*span, operands, tuple(str(op[VALUE]) for op in split_ops))


def expr_node(c: list[Any]) -> ast.Expr:
    """The `expr` rule's children: a flat operand/operator list, possibly ending in
    `? consequent : alternate` (the QMARK token kept, the ':' dropped)."""
    if len(c) >= 3 and type(c[-3]) is tuple:  # operands are nodes, QMARK is a token
        test = _nest(c[:-3])
        return ast.Cond(*_between(test, c[-1]), test, c[-2], c[-1])
    return _nest(c)


# ------------------------------------------------------------------------------------------
# What the lexer is told the parser accepts, at each place of the descent


class _GiveUp(Exception):
    """The script leaves the common shape: the LALR parser reads it instead."""


class _Accepts:
    """The answers of one place to the lexer's questions; any other question gives up."""

    __slots__ = ("known",)

    def __init__(self, known: dict[str, bool]) -> None:
        self.known = known

    def __contains__(self, terminal: object) -> bool:
        answer = self.known.get(terminal)  # type: ignore[call-overload]
        if answer is None:
            raise _GiveUp
        return answer


_KEYWORD_TERMINALS = ("_IF", "_ELSE", "CONST", "LET", "VAR", "TRUE", "FALSE", "NULL", "_NEW", "_RETURN", "TYPEOF")
_NO_KEYWORD = dict.fromkeys(_KEYWORD_TERMINALS, False)

# Where a statement starts: the first token, or the one after ';'. A reserved word or '{'
# (a block) gives up.
_STMT = 0
# Where an expression starts (a call's argument, an element, a property's value, an index,
# after '?', ':' or '...'): true, false and null are literals, '{' an object literal, '(' an
# arrow function's parameters when they look like them, '/' a regular expression.
_EXPR = 1
# Where an operand follows an operator or a unary operator: as _EXPR, but no arrow function.
_OPERAND = 2
# Right after an operand: '(' is a call (the descent checks that it is no arrow function's
# parameters) and '/' divides; a reserved word or '{' (a new statement) gives up.
_AFTER = 3
# After '.' and after '?.' (where '(' and '[' may follow), and where an object literal's key
# is (after '{' or ','): every reserved word is a plain name there.
_NAME = 4
# After an object literal's key: '(' starts a method, which gives up.
_AFTER_KEY = 5

_STATES: dict[int, _Accepts] = {
    _STMT: _Accepts({"_ARROW_LPAR": True, "_METHOD_LPAR": False, "MUL_OP": False, "COMPOUND_ASSIGN": False}),
    _EXPR: _Accepts({
        "TRUE": True, "FALSE": True, "NULL": True, "RESERVED_NAME": False, "_LBRACE_BLOCK": False,
        "_ARROW_LPAR": True, "_METHOD_LPAR": False, "MUL_OP": False, "COMPOUND_ASSIGN": False,
    }),
    _OPERAND: _Accepts({
        "TRUE": True, "FALSE": True, "NULL": True, "RESERVED_NAME": False, "_LBRACE_BLOCK": False,
        "_ARROW_LPAR": False, "_METHOD_LPAR": False, "MUL_OP": False, "COMPOUND_ASSIGN": False,
    }),
    _AFTER: _Accepts({"_ARROW_LPAR": False, "_METHOD_LPAR": False, "MUL_OP": True}),
    _NAME: _Accepts({**_NO_KEYWORD, "RESERVED_NAME": True, "_ARROW_LPAR": False, "_METHOD_LPAR": False}),
    _AFTER_KEY: _Accepts({"_ARROW_LPAR": False, "_METHOD_LPAR": True}),
}

_LITERALS = frozenset({"NUMBER", "STRING", "REGEX", "TRUE", "FALSE", "NULL"})
_BINARY = frozenset(_RANK)
_UNARY = frozenset({"ADD_OP", "BANG"})
_KEYS = {"IDENT": "name", "RESERVED_NAME": "name", "STRING": "string", "NUMBER": "number"}
_MAX_NESTING = 32  # open brackets: deeper scripts are left to the LALR parser's loop


class _Descent:
    """One parse: the current token, the last one taken, and the place the lexer is told of."""

    __slots__ = ("next_token", "place", "tok", "ttype", "last", "stack", "text")

    def __init__(self, src: Source) -> None:
        self.place = [_STMT]
        self.stack = src.stack
        self.text = src.text
        self.next_token = lex(src, self.place, _STATES).__next__
        self.last: Tok = None  # type: ignore[assignment]  # set by the first take
        self.tok: Tok | None = self.next_token()
        self.ttype: str | None = None if self.tok is None else self.tok[4]  # the current token's

    def take(self, place: int) -> Tok:
        """The current token, moving on to the next, which the lexer reads at ``place``."""
        tok = self.last = self.tok  # type: ignore[assignment]  # callers checked it is there
        self.place[0] = place
        nxt = self.tok = self.next_token()
        self.ttype = None if nxt is None else nxt[4]
        return tok  # type: ignore[return-value]

    def program(self) -> ast.Program:
        first = self.tok
        if first is None:
            raise _GiveUp
        body = []
        while self.tok is not None:
            start = self.tok
            expr = self.expr()
            ttype = self.ttype
            if ttype == "_SEMI":
                self.take(_STMT)
            elif ttype is not None and not LINE_BREAK.search(self.text, self.last[3], self.tok[2]):  # type: ignore[index]
                # Two statements on one line without ';': the parser's separator check says so.
                raise _GiveUp
            # Else the next statement starts here, or the next primary() gives up on it.
            body.append(ast.ExprStmt(start[0], start[1], start[2], self.last[3], expr))
        return ast.Program(first[0], first[1], first[2], self.last[3], tuple(body))

    def expr(self) -> ast.Expr:
        """`primary (op primary)* (? expr : expr)?`, as the `expr` rule reduces it."""
        head = self.primary()
        ttype = self.ttype
        if ttype not in _BINARY and ttype != "QMARK":
            if ttype == "_ARROW":
                raise _GiveUp
            return head
        items: list[Any] = [head]
        while ttype in _BINARY:
            items.append(self.take(_OPERAND))
            items.append(self.primary())
            ttype = self.ttype
        if ttype == "QMARK":
            items.append(self.take(_EXPR))
            items.append(self.expr())
            if self.ttype != "_COLON":
                raise _GiveUp
            self.take(_EXPR)
            items.append(self.expr())
        return expr_node(items)

    def primary(self) -> ast.Expr:
        """An operand with its member, index and call links (one Chain), or a unary operator
        and its operand."""
        tok = self.tok
        if tok is None:
            raise _GiveUp
        ttype = tok[4]
        if ttype == "IDENT":
            self.take(_AFTER)
            head: ast.Expr = ast.Name(tok[0], tok[1], tok[2], tok[3], tok[5])
        elif ttype in _LITERALS:
            self.take(_AFTER)
            head = ast.Literal(tok[0], tok[1], tok[2], tok[3], tok[5])
        elif ttype == "_LBRACE":
            head = self.object()
        elif ttype == "_LSQB":
            self.take(_EXPR)
            items = self.items("_RSQB")
            head = ast.Array(tok[0], tok[1], tok[2], self.last[3], items)
        elif ttype == "_LPAR":
            self.take(_EXPR)
            head = self.expr()
            if self.ttype != "_RPAR":
                raise _GiveUp
            self.take(_AFTER)
        elif ttype in _UNARY:
            self.take(_OPERAND)
            operand = self.primary()
            return ast.Unary(tok[0], tok[1], tok[2], self.last[3], str(tok[5]), operand)
        else:
            raise _GiveUp
        if self.ttype not in _LINKS:
            return head
        links: list[ast.Member | ast.Index | ast.Call] = []
        while (ttype := self.ttype) in _LINKS:
            links.append(self.link(ttype))  # type: ignore[arg-type]
        return ast.Chain(tok[0], tok[1], tok[2], self.last[3], head, tuple(links))

    def link(self, ttype: str) -> ast.Member | ast.Index | ast.Call:
        opener = self.tok
        assert opener is not None
        optional = ttype == "_OPT_DOT"
        if ttype == "_DOT" or optional:
            self.take(_NAME)
            ttype = self.ttype  # type: ignore[assignment]
            if ttype in ("IDENT", "RESERVED_NAME"):
                name = self.take(_AFTER)
                return ast.Member(name[0], name[1], name[2], name[3], name[5], optional)
            if not optional:
                raise _GiveUp
        if ttype == "_LPAR":
            if ARROW_PARAMS.match(self.text, opener[2]):
                # The lexer was told no arrow function starts here; the LALR parser may
                # have said otherwise of `f\n(x) => x`: its call.
                raise _GiveUp
            self.take(_EXPR)
            args = self.items("_RPAR")
            return ast.Call(opener[0], opener[1], opener[2], self.last[3], args, optional)
        if ttype == "_LSQB":
            self.take(_EXPR)
            index = self.expr()
            if self.ttype != "_RSQB":
                raise _GiveUp
            self.take(_AFTER)
            return ast.Index(opener[0], opener[1], opener[2], self.last[3], index, optional)
        raise _GiveUp

    def items(self, closer: str) -> tuple[ast.Expr | ast.Spread, ...]:
        """A call's arguments or an array's elements up to ``closer``, a trailing ',' allowed."""
        if len(self.stack) > _MAX_NESTING:
            raise _GiveUp
        out: list[ast.Expr | ast.Spread] = []
        while self.ttype != closer:
            tok = self.tok
            if tok is not None and tok[4] == "_ELLIPSIS":
                self.take(_EXPR)
                value = self.expr()
                out.append(ast.Spread(tok[0], tok[1], tok[2], self.last[3], value))
            else:
                out.append(self.expr())
            ttype = self.ttype
            if ttype == "_COMMA":
                self.take(_EXPR)
            elif ttype != closer:
                raise _GiveUp
        self.take(_AFTER)
        return tuple(out)

    def object(self) -> ast.Object:
        opener = self.take(_NAME)
        if len(self.stack) > _MAX_NESTING:
            raise _GiveUp
        props: list[ast.Prop] = []
        while (key := self.tok) is not None and key[4] != "_RBRACE":
            kind = _KEYS.get(key[4])
            if kind is None:
                raise _GiveUp  # a computed key or a spread
            self.take(_AFTER_KEY)
            ttype = self.ttype
            if ttype == "_COLON":
                self.take(_EXPR)
                value = self.expr()
                name = key[5] if type(key[5]) is str else to_string(key[5])  # {1.50: x} is '1.5'
                props.append(ast.Prop(key[0], key[1], key[2], self.last[3], name, value, kind))
            elif key[4] == "IDENT" and ttype in ("_COMMA", "_RBRACE"):
                span = key[0], key[1], key[2], key[3]
                props.append(ast.Prop(*span, key[5], ast.Name(*span, key[5]), "shorthand"))
            else:
                raise _GiveUp
            ttype = self.ttype
            if ttype == "_COMMA":
                self.take(_NAME)
            elif ttype != "_RBRACE":
                raise _GiveUp
        if key is None:
            raise _GiveUp
        self.take(_AFTER)
        return ast.Object(opener[0], opener[1], opener[2], self.last[3], tuple(props))


# The tokens that continue an operand (one more link of its chain).
_LINKS = frozenset({"_DOT", "_OPT_DOT", "_LPAR", "_LSQB"})


def parse_common(src: Source) -> ast.Program | None:
    """The script's tree when it has the common shape, else None (nothing is raised). A tree
    given needs none of the parser's later checks: its statements are separated (';' or a
    line break) and it declares no variable."""
    text = src.text
    if "=>" in text or "`" in text or "new " in text:
        # An arrow function, a template or `new Date(...)`, which it would give up on where it
        # meets them, having read the script up to there for nothing: often most of it.
        return None
    try:
        return _Descent(src).program()
    except (_GiveUp, QueryError, RecursionError):
        return None
