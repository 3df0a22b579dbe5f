"""Filter-script text -> typed syntax tree (:mod:`querylang.script.ast`), with friendly errors.

Lark reads ``grammar/querylang.lark`` once and computes its LALR(1) tables; this module then
drives those tables itself, pulling tokens from :func:`querylang.script.lexer.lex` and
building each :mod:`~querylang.script.ast` node the moment its rule is reduced. There is no
parse tree and no second pass: a cold parse is the lexer, a table lookup per token and one
constructor call per node. The shapes follow lark's own conventions, so the grammar reads
as usual: terminals named ``_X`` are dropped, rules named ``_x`` (and lark's ``*``/``+``
helpers) are spliced into their parent, and a ``?rule`` with one child is that child.

Every failure is a :class:`~querylang.errors.QuerySyntaxError` (or :class:`LimitExceeded` for
the size and nesting limits) carrying ``line``, ``column`` and the script as ``source``; no
lark class ever reaches the user.

>>> program = parse_script("where({ score: { greaterThan: 3 } })")
>>> type(program.body[0]).__name__
'ExprStmt'
"""

from __future__ import annotations

import functools
import importlib.resources
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lark import Lark
from lark.lexer import Lexer
from lark.parsers.lalr_analysis import Shift

from querylang.errors import LimitExceeded, QueryError, QuerySyntaxError
from querylang.model.jsvalues import type_name
from querylang.script import ast
from querylang.script.descent import expr_node, parse_common
from querylang.script.lexer import (
    COLUMN,
    END,
    LINE,
    LINE_BREAK,
    MAX_DEPTH,
    MAX_SCRIPT_SIZE,
    OPEN_FOR,
    START,
    TYPE,
    VALUE,
    Source,
    Tok,
    lex,
)
from querylang.script.scopes import check_declarations
from querylang.script.values import to_string

__all__ = ["MAX_DEPTH", "MAX_SCRIPT_SIZE", "PARSE_CACHE_SIZE", "parse_script"]

PARSE_CACHE_SIZE = 512  # distinct script texts kept parsed
KEEP_PARSED_UP_TO = 4096  # characters: a longer script's tree is not kept

Span = tuple[int, int, int, int]  # line, column, start offset, end offset


def _grammar_text() -> str:
    """The grammar beside this source in a checkout (grammar/ at the top level); installed, the
    package data querylang.grammar. The checkout's comes first: an editable install maps
    querylang.grammar to the checkout it was made from, which a second checkout (a git worktree
    run with its own code) must not read."""
    path = Path(__file__).resolve().parent.parent.parent / "grammar" / "querylang.lark"
    if path.is_file():
        return path.read_text(encoding="utf-8")
    return (importlib.resources.files("querylang.grammar") / "querylang.lark").read_text(encoding="utf-8")


class _NoLexer(Lexer):
    """Lark wants a lexer to build its tables; the tokens come from :func:`lex` instead."""

    def __init__(self, lexer_conf: object) -> None:
        pass

    def lex(self, lexer_state: Any, parser_state: Any) -> Any:  # pragma: no cover
        raise RuntimeError("lark's own lexer never runs here: the tokens come from querylang.script.lexer.lex")


# ------------------------------------------------------------------------------------------
# Building nodes: one function per rule name (a rule's alias, else its name)

def _expr(c: list[Any], s: Span) -> ast.Expr:
    return expr_node(c)


def _literal(c: list[Any], s: Span) -> ast.Literal:
    return ast.Literal(*s, c[0][VALUE])


def _template(c: list[Any], s: Span) -> ast.Template:
    parts: list[str | ast.Expr] = [str(x[VALUE]) if type(x) is tuple else x for x in c]
    return ast.Template(*s, tuple(parts))


def _name(c: list[Any], s: Span) -> ast.Name:
    return ast.Name(*s, c[0][VALUE])


def _new(c: list[Any], s: Span) -> ast.New:
    tok = c[0]
    name = ast.Name(tok[LINE], tok[COLUMN], tok[START], tok[END], tok[VALUE])
    return ast.New(*s, name, c[1].args if len(c) > 1 else None)


def _unary(c: list[Any], s: Span) -> ast.Unary:
    return ast.Unary(*s, str(c[0][VALUE]), c[1])


def _chain(c: list[Any], s: Span) -> ast.Chain:
    return ast.Chain(*s, c[0], tuple(c[1:]))


def _arrow(c: list[Any], s: Span) -> ast.Arrow:
    params = tuple(ast.Name(t[LINE], t[COLUMN], t[START], t[END], t[VALUE]) for t in c[:-1])
    seen: set[str] = set()
    for p in params:
        if p.name in seen:
            raise QuerySyntaxError(
                f"duplicate parameter name '{p.name}'", line=p.line, column=p.column
            )
        seen.add(p.name)
    return ast.Arrow(*s, params, c[-1])


def _member(optional: bool) -> Callable[[list[Any], Span], ast.Member]:
    def build(c: list[Any], s: Span) -> ast.Member:
        tok = c[0]
        return ast.Member(tok[LINE], tok[COLUMN], tok[START], tok[END], tok[VALUE], optional)

    return build


def _index(optional: bool) -> Callable[[list[Any], Span], ast.Index]:
    return lambda c, s: ast.Index(*s, c[0], optional)


def _call(optional: bool) -> Callable[[list[Any], Span], ast.Call]:
    return lambda c, s: ast.Call(*s, tuple(c), optional)


_KEY_KIND = {"IDENT": "name", "RESERVED_NAME": "name", "STRING": "string", "NUMBER": "number"}


def _pair(c: list[Any], s: Span) -> ast.Prop:
    tok = c[0]
    key = tok[VALUE] if type(tok[VALUE]) is str else to_string(tok[VALUE])  # {1.50: x} is '1.5'
    return ast.Prop(*s, key, c[1], _KEY_KIND[tok[TYPE]])


def _method_prop(c: list[Any], s: Span) -> ast.Prop:
    """`key(params) { body }`: the key holding an arrow function of those params and body
    (the subset has no `this`, the one thing that tells a method from it), whose text, as
    String() shows it, is the whole definition."""
    tok = c[0]
    key = tok[VALUE] if type(tok[VALUE]) is str else to_string(tok[VALUE])
    return ast.Prop(*s, key, _arrow(c[1:], s), _KEY_KIND[tok[TYPE]])


def _shorthand(c: list[Any], s: Span) -> ast.Prop:
    tok = c[0]
    value = ast.Name(*s, tok[VALUE])
    return ast.Prop(*s, tok[VALUE], value, "shorthand")


def _set_property(c: list[Any], s: Span) -> ast.SetProperty:
    """`a.b[c] = v`: the object is the chain without its last link, which names the key."""
    target, op, value = c
    links = target.links if type(target) is ast.Chain else ()
    if not links or type(links[-1]) is ast.Call or any(link.optional for link in links):
        raise QuerySyntaxError(
            "Invalid left-hand side in assignment: only a variable, a property (a.b) or an "
            "element (a[i]) can be assigned",
            line=target.line,
            column=target.column,
        )
    head, key = target.head, links[-1]
    assert not isinstance(key, ast.Call)
    obj = head if len(links) == 1 else ast.Chain(head.line, head.column, head.start, links[-2].end, head, links[:-1])
    return ast.SetProperty(*s, obj, key, str(op[VALUE]), value)


def _statement_kind(c: list[Any]) -> str:
    return str(c[0][VALUE])


_BUILD: dict[str, Callable[[list[Any], Span], object]] = {
    "start": lambda c, s: ast.Program(*(s or (1, 1, 0, 0)), tuple(c)),
    "empty": lambda c, s: ast.Empty(*s),
    "block": lambda c, s: ast.Block(*s, tuple(c)),
    "if_stmt": lambda c, s: ast.If(*s, c[0], c[1], c[2] if len(c) > 2 else None),
    "var_decl": lambda c, s: ast.VarDecl(*s, _statement_kind(c), tuple(c[1:])),
    "declarator": lambda c, s: ast.Declarator(*s, c[0][VALUE], c[2] if len(c) > 1 else None),
    "assign": lambda c, s: ast.Assign(*s, c[0][VALUE], str(c[1][VALUE]), c[2]),
    "set_property": _set_property,
    "return_stmt": lambda c, s: ast.Return(*s, c[0] if c else None),
    "expr_stmt": lambda c, s: ast.ExprStmt(*s, c[0]),
    "expr": _expr,
    "name": _name,
    "literal": _literal,
    "template": _template,
    "array": lambda c, s: ast.Array(*s, tuple(c)),
    "object": lambda c, s: ast.Object(*s, tuple(c)),
    "new_expr": _new,
    "unary_op": _unary,
    "chain": _chain,
    "member": _member(False),
    "opt_member": _member(True),
    "index": _index(False),
    "opt_index": _index(True),
    "call": _call(False),
    "opt_call": _call(True),
    "pair": _pair,
    "computed_pair": lambda c, s: ast.ComputedProp(c[0].line, c[0].column, c[0].start, c[0].end, c[0], c[1]),
    "shorthand": _shorthand,
    "method": _method_prop,
    "arrow": _arrow,
    "arrow_block": lambda c, s: ast.Block(*s, tuple(c)),
    "spread": lambda c, s: ast.Spread(*s, c[0]),
}


# ------------------------------------------------------------------------------------------
# The tables


class _Rule:
    """One grammar rule, ready to reduce: how many symbols it pops and how it shapes them."""

    __slots__ = (
        "size", "origin", "keep", "splice", "inline", "single", "unit", "build", "pick", "block", "goto"
    )

    def __init__(self, rule: Any) -> None:
        symbols = rule.expansion
        self.size = len(symbols)
        self.origin = str(rule.origin.name)  # a plain str: lark's Token compares slowly
        name = rule.alias or self.origin
        # Kept children: every nonterminal, and the terminals not named _X.
        self.keep = tuple(
            i for i, sym in enumerate(symbols) if not (sym.is_term and sym.name.startswith("_"))
        )
        self.splice = frozenset(
            i for i in self.keep if not symbols[i].is_term and symbols[i].name.startswith("_")
        )
        self.inline = self.origin.startswith("_")  # a helper: its children join the parent's
        self.single = rule.options.expand1 and not rule.alias  # `?rule`: one child is itself
        # `?expr: primary`: one symbol passed through, only the parser state changes.
        self.unit = self.size == 1 and self.single and self.keep == (0,) and not self.splice
        self.build = None if self.inline else _BUILD.get(name)
        if self.build is None and not self.inline and not self.single:
            raise AssertionError(f"no node for grammar rule {name!r}")
        # Without splicing, the kept children are picked straight from the popped symbols.
        self.pick: Callable[[list[Any]], list[Any]] | None = None if self.splice else _picker(self.keep, self.size)
        # A block's statements need separators too: every block, at any depth (inside an
        # arrow function's body as well), is kept for that check.
        self.block = self.origin in ("block", "arrow_block")
        # The state after reducing, by the state under the popped symbols (lark's goto table
        # for this rule's origin, filled in by _tables).
        self.goto: dict[int, int] = {}


def _picker(keep: tuple[int, ...], size: int) -> Callable[[list[Any]], list[Any]]:
    """Picks the kept children; the common short cases avoid a comprehension's own frame."""
    if keep == tuple(range(size)):
        return _same
    if not keep:
        return _none
    if len(keep) == 1:
        (a,) = keep
        return lambda vals: [vals[a]]
    if len(keep) == 2:
        a, b = keep
        return lambda vals: [vals[a], vals[b]]
    return lambda vals: [vals[i] for i in keep]


def _same(vals: list[Any]) -> list[Any]:
    return vals


def _none(vals: list[Any]) -> list[Any]:
    return []


def _tables() -> tuple[dict[int, dict[str, int]], list[_Rule], int, int]:
    lark = Lark(_grammar_text(), parser="lalr", lexer=_NoLexer, maybe_placeholders=False)
    table = lark.parser.parser.parser.parse_table
    rules: list[_Rule] = []
    index: dict[int, int] = {}
    actions: dict[int, dict[str, int]] = {}
    gotos: dict[int, dict[str, int]] = {}
    for state, row in table.states.items():
        acts: dict[str, int] = {}
        for sym, (action, arg) in row.items():
            if action is Shift:
                acts[sym] = arg
            else:
                key = id(arg)
                if key not in index:
                    index[key] = len(rules)
                    rules.append(_Rule(arg))
                acts[sym] = ~index[key]  # negative: reduce by rule ~n
        actions[state] = {str(k): v for k, v in acts.items() if k.isupper() or k == "$END"}
        gotos[state] = {str(k): v for k, v in acts.items() if not (k.isupper() or k == "$END")}
    for rule in rules:
        rule.goto = {state: row[rule.origin] for state, row in gotos.items() if rule.origin in row}
    return actions, rules, table.start_states["start"], table.end_states["start"]


_ACTIONS, _RULES, _START, _END = _tables()


def _splice(rule: _Rule, vals: list[Any]) -> list[Any]:
    """The kept children of a rule with helpers (`*`, `+`) whose lists join the parent's."""
    children: list[Any] = []
    splice = rule.splice
    for i in rule.keep:
        if i in splice:
            if children:
                children += vals[i]
            else:  # a left-recursive helper's list grows in place: `[1, 2, ...]` stays linear
                children = vals[i]
        else:
            children.append(vals[i])
    return children


def _run(src: Source) -> ast.Program:
    """Drive the LALR tables over the tokens, building nodes as rules reduce.

    The span a value shows its parent is always its whole reduction's (lark's "container"
    position: `(a)` spans the parentheses), while a node keeps the position it was built
    with (`(a)` is where `a` is, in messages). One loop, no call per reduction: this is the
    cold path of every new script.
    """
    actions, rules = _ACTIONS, _RULES
    states: list[int] = [_START]
    values: list[Any] = []
    # The first token of each value on the stack (None for the empty program). A reduction
    # always takes the top of the stack, so its last token is the last one shifted: the span
    # is (first, last), made into a tuple only for the nodes that are built.
    firsts: list[Any] = []
    last: Any = None
    push_state, push_value, push_first = states.append, values.append, firsts.append
    next_token = lex(src, states, actions).__next__
    tok: Tok | None = next_token()
    ttype = "$END" if tok is None else tok[TYPE]
    while True:
        act = actions[states[-1]].get(ttype)
        if act is None:
            raise _unexpected_token(tok, set(actions[states[-1]]), src)
        if act >= 0:
            if tok is None:
                raise _unexpected_token(tok, set(actions[states[-1]]), src)
            push_state(act)
            push_value(tok)
            push_first(tok)
            last = tok
            tok = next_token()  # the parser's state is now the one after `last`, as lex needs
            ttype = "$END" if tok is None else tok[TYPE]
            continue
        rule = rules[~act]
        if rule.unit:
            states[-1] = rule.goto[states[-2]]
            continue
        size = rule.size
        if size:
            # The reduction takes the place of its first symbol: the stacks shrink to it, and
            # its first token is already the one the span needs.
            vals = values[-size:]
            first = firsts[-size]
            if size > 1:
                del values[1 - size :], states[1 - size :], firsts[1 - size :]
        else:
            vals, first = [], None
            states.append(0)  # a slot for the empty reduction, set below
            values.append(None)
            firsts.append(None)
        pick = rule.pick
        children = pick(vals) if pick is not None else _splice(rule, vals)
        if rule.inline:
            value: Any = children
        elif rule.single and len(children) == 1:
            value = children[0]
        else:
            span = None if first is None else (first[LINE], first[COLUMN], first[START], last[END])
            value = rule.build(children, span)  # type: ignore[misc, arg-type]  # only `start` is ever empty
            if rule.block:
                src.blocks.append(value)  # for _check_statement_breaks
        states[-1] = rule.goto[states[-2]]
        values[-1] = value
        if tok is None and states[-1] == _END:
            program: ast.Program = values[-1]
            return program


# ------------------------------------------------------------------------------------------
# Error messages

# What each terminal looks like to a user, for "expected ..." hints.
_SHOW = {
    "_RPAR": "')'",
    "_RSQB": "']'",
    "_RBRACE": "'}'",
    "_COMMA": "','",
    "_COLON": "':'",
    "_SEMI": "';'",
    "_LPAR": "'('",
    "_LBRACE_BLOCK": "'{'",  # after a method's parameters
    "ASSIGN": "'='",
    "IDENT": "a name",
    "TEMPLATE_MIDDLE": "'}'",
    "TEMPLATE_TAIL": "'}'",
}
# What is left of a parameter list before `=>`: explains the error at `=` in `(a = 1) => a`.
_ARROW_AHEAD = re.compile(r"[\w$\s,()\[\]{}=.:'\"]*=>")
# The first token of a statement, as a message shows it (_check_statement_breaks): a string or
# a number whole, not its first character or digits ('2.5e+3', not '2').
_WORD = re.compile(r"""(['"])(?:\\.|(?!\1)[^\\\n\r])*\1?|\.?\d(?:[eE][+-]|[\w.$])*|[\w$]+|\S""")


def _in_arrow_parameters(token: Tok, text: str) -> bool:
    """Whether ``token`` stands inside the parentheses right before a `=>`: `(a = 1) => a`,
    not `{ p: 1 })].map(y => y)`, where an arrow follows further on."""
    ahead = _ARROW_AHEAD.match(text, token[START])
    if ahead is None:
        return False
    between = text[token[START] : ahead.end() - 2].rstrip()
    if not between:  # the `=>` itself: what came before it could be no parameters
        return True
    return between.endswith(")") and between.count(")") > between.count("(")


def _describe(token: Tok, text: str) -> str:
    """How the offending token reads in a message: its source text, quoted."""
    lexeme = text[token[START] : token[END]]
    if len(lexeme) > 30:
        lexeme = lexeme[:27] + "..."
    if token[TYPE] == "STRING":
        return f"string {lexeme}"
    if token[TYPE] == "NUMBER":
        return f"number {lexeme}"
    return repr(lexeme) if "'" not in lexeme else f'"{lexeme}"'


def _expected_hint(expected: set[str]) -> str:
    """A short 'expected ...' list, or '' when too many tokens would fit to be useful."""
    if "MUL_OP" in expected:  # after an operand almost anything may follow (even a statement)
        return ""
    if "IDENT" in expected and "NUMBER" in expected:
        return "expected an expression"
    shown = sorted({_SHOW[t] for t in expected if t in _SHOW})
    if not shown or len(shown) > 3:
        return ""
    if len(shown) == 1:
        return f"expected {shown[0]}"
    return "expected " + ", ".join(shown[:-1]) + f" or {shown[-1]}"


# The token that closes each opener on the bracket stack (a substitution's '}' is a template part).
_CLOSER_TOKEN = {"(": "_RPAR", "[": "_RSQB", "{": "_RBRACE", "${": "TEMPLATE_MIDDLE"}


def _unexpected_token(token: Tok | None, expected: set[str], src: Source) -> QuerySyntaxError:
    """A message about the script, not the parser; ``token`` None is the end of the script."""
    text = src.text
    if token is None:
        closer = _CLOSER_TOKEN[src.stack[-1][0]] if src.stack else None
        if src.last is not None and _expected_hint(expected) == "expected an expression" and closer not in expected:
            # Cut off inside an expression (`where({ a: 1 +`): the operand missing after the
            # last token is the mistake, not the brackets the end also leaves open.
            line, col = src.last_end
            message = f"the script ends after {_describe(src.last, text)}; expected an expression"
            return QuerySyntaxError(message, line=line, column=col, source=text)
        if src.stack:
            # What the end leaves open is told where it starts, as an unterminated string or
            # comment is (the end of the script said only that something was missing); an
            # unclosed substitution leaves its template literal unterminated, told at its backtick.
            opener, oline, ocol, _ = src.stack[-1]
            if opener == "${":
                message = "unterminated template literal (a '${' in it is not closed by '}')"
            else:
                message = f"'{opener}' not closed: the script ends before its '{OPEN_FOR[opener]}'"
            return QuerySyntaxError(message, line=oline, column=ocol, source=text)
        line, col = src.last_end
        hint = _expected_hint(expected)
        message = "unexpected end of script" + (f"; {hint}" if hint else "")
        return QuerySyntaxError(message, line=line, column=col, source=text)
    line, col = token[LINE], token[COLUMN]
    if _in_arrow_parameters(token, text):
        message = (
            f"unexpected {_describe(token, text)}: arrow function parameters must be plain "
            "names (defaults, destructuring and ...rest are not supported)"
        )
    elif token[TYPE] == "_COLON" and src.stack and src.stack[-1][3]:
        message = (
            "unexpected ':': a '{' at the start of a statement opens a block; "
            "wrap an object in parentheses: ({ ... })"
        )
    elif token[TYPE] in ("ASSIGN", "COMPOUND_ASSIGN") and "MUL_OP" in expected:
        message = (
            f"unexpected {_describe(token, text)}: an assignment is a statement of its own in "
            "filter scripts, not part of an expression (after '=>', write it in braces: "
            "{ n += 1 }), and only a variable, a property or an element can be assigned"
        )
    else:
        hint = _expected_hint(expected)
        message = f"unexpected {_describe(token, text)}" + (f"; {hint}" if hint else "")
    return QuerySyntaxError(message, line=line, column=col, source=text)


# ------------------------------------------------------------------------------------------
# Statement separators


def _needs_separator(stmt: ast.Stmt, text: str) -> bool:
    """True when ``stmt`` ends without ';' or '}' so the next one must start on a new line."""
    while isinstance(stmt, ast.If):
        stmt = stmt.otherwise if stmt.otherwise is not None else stmt.then
    if isinstance(stmt, ast.Block | ast.Empty):
        return False
    return text[stmt.end - 1] != ";"


def _ends_with_expression(stmt: ast.Stmt) -> bool:
    """True when ``stmt`` (one without a closing ';') ends with an expression that a following
    token could continue; `return` and `let x` end before any expression could start."""
    while isinstance(stmt, ast.If):
        stmt = stmt.otherwise if stmt.otherwise is not None else stmt.then
    if isinstance(stmt, ast.Return):
        return stmt.value is not None
    if isinstance(stmt, ast.VarDecl):
        return stmt.decls[-1].init is not None
    return isinstance(stmt, ast.ExprStmt | ast.Assign)


def _check_statement_breaks(program: ast.Program, blocks: list[ast.Block], text: str) -> None:
    """JavaScript only inserts a semicolon at a line break; `where(a) sort(b)` is an error.

    The grammar makes ';' optional everywhere, so this check restores the rule that two
    statements on one line need a ';' between them. ``blocks``: every block the parser built,
    a statement's or an arrow function's body, at any depth. Of several such places the
    earliest in the text is reported, as JavaScript's parser stops at the first.
    """
    first: ast.Stmt | None = None  # the statement the earliest error points at
    tagged = False
    for stmts in (program.body, *(b.body for b in blocks)):
        for prev, nxt in zip(stmts, stmts[1:], strict=False):
            if first is not None and nxt.start >= first.start:
                break  # the rest of this list comes later still
            if not _needs_separator(prev, text):
                continue
            # JavaScript inserts no semicolon before a template, line break or not: it is a
            # tagged template, a call of the expression before it (`f\n`x`` calls f).
            if text.startswith("`", nxt.start) and _ends_with_expression(prev):
                first, tagged = nxt, True
                break
            if LINE_BREAK.search(text, prev.end, nxt.start):
                continue
            first, tagged = nxt, False
            break
    if first is None:
        return
    if tagged:
        raise QuerySyntaxError(
            "a template literal right after an expression is a tagged template, "
            "which filter scripts do not support; put ';' before it",
            line=first.line,
            column=first.column,
            source=text,
        )
    match = _WORD.match(text, first.start)
    word = match.group() if match else ""
    shown = word if len(word) <= 30 else word[:27] + "..."
    if word[:1] in ("'", '"'):
        shown = f"string {shown}"  # as _describe shows a token elsewhere
    elif word[:1].isdigit() or (word[:1] == "." and word[1:2].isdigit()):
        shown = f"number {shown}"
    else:
        shown = f"'{shown}'"
    raise QuerySyntaxError(
        f"unexpected {shown}: put ';' or a line break between two statements",
        line=first.line,
        column=first.column,
        source=text,
    )


# ------------------------------------------------------------------------------------------
# Entry point


def _parse(text: str, max_depth: int) -> ast.Program:
    common = parse_common(Source(text, max_depth))  # None: a script for the LALR parser
    if common is not None:
        return common
    src = Source(text, max_depth)
    try:
        program = _run(src)
    except QueryError as err:
        raise err.with_source(text) from None
    _check_statement_breaks(program, src.blocks, text)
    if "let" in text or "const" in text:  # only they can clash; most scripts skip the walk
        check_declarations(program, text)
    return program


_parse_cached = functools.lru_cache(maxsize=PARSE_CACHE_SIZE)(_parse)


def parse_script(
    text: str, *, max_size: int = MAX_SCRIPT_SIZE, max_depth: int = MAX_DEPTH
) -> ast.Program:
    """Parse a filter script into its syntax tree (cached by text; nodes are immutable).

    Raises :class:`QuerySyntaxError` for text outside the supported JavaScript subset and
    :class:`LimitExceeded` for a script longer than ``max_size`` characters or nesting more
    than ``max_depth`` brackets.
    """
    if not isinstance(text, str):
        raise QuerySyntaxError(f"a filter script must be text, not {type_name(text)}")
    if len(text) > max_size:
        raise LimitExceeded(f"script is too long ({len(text):,} characters, max {max_size:,})")
    # A long script (a literal list of thousands of ids) is parsed each time: kept, 512 of
    # them held their trees, hundreds of megabytes, for scripts seldom run twice.
    return (_parse_cached if len(text) <= KEEP_PARSED_UP_TO else _parse)(text, max_depth)
