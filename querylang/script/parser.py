"""Filter-script text -> lark tree, with JavaScript's lexical rules and friendly errors.

The grammar (``grammar/querylang.lark``) is loaded once and parsed with LALR(1). Tokens come
from :class:`_JSLexer`, a hand-written lexer that asks the parser which tokens fit before it
decides what ``/``, ``{`` and ``}`` mean: JavaScript cannot be tokenized without that context
(a regex literal vs. division, a block vs. an object literal, the end of a template
substitution vs. a closing brace). Comments are skipped by the same lexer, so ``'http://x.io'``
stays a string, unlike Noodl's regex-based comment stripping (docs/semantics.md#scripts).

Every failure is a :class:`~querylang.errors.QuerySyntaxError` (or :class:`LimitExceeded` for
the size and nesting limits) carrying ``line``, ``column`` and the script as ``source``; no
lark class ever reaches the user.

>>> tree = parse_script("where({ score: { greaterThan: 3 } })")
>>> tree.data
'start'
"""

from __future__ import annotations

import functools
import importlib.resources
import re
from dataclasses import dataclass, field
from pathlib import Path

from lark import Lark, Token, Transformer, Tree
from lark.exceptions import LarkError, UnexpectedInput, UnexpectedToken, VisitError
from lark.lexer import Lexer
from lark.tree import Meta

from querylang.errors import LimitExceeded, QueryError, QuerySyntaxError
from querylang.model.jsvalues import JSRegex

__all__ = ["MAX_DEPTH", "MAX_SCRIPT_SIZE", "PARSE_CACHE_SIZE", "parse_script"]

MAX_SCRIPT_SIZE = 1_000_000  # characters; checked before anything else so 10 MB fails fast
MAX_DEPTH = 200  # open brackets ( [ { ${ at once; keeps the recursive interpreter shallow
PARSE_CACHE_SIZE = 512  # distinct script texts kept parsed

_MAX_SAFE_INT = 2**53


def _grammar_text() -> str:
    """The grammar ships as package data; a source checkout falls back to the repo layout."""
    try:
        return (importlib.resources.files("querylang.grammar") / "querylang.lark").read_text(
            encoding="utf-8"
        )
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        path = Path(__file__).resolve().parent.parent / "grammar" / "querylang.lark"
        return path.read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------------
# Lexical tables

# Words the grammar uses, and the terminal each becomes where the parser expects it.
_KEYWORDS = {
    "if": "_IF",
    "else": "_ELSE",
    "const": "CONST",
    "let": "LET",
    "var": "VAR",
    "true": "TRUE",
    "false": "FALSE",
    "null": "NULL",
    "new": "_NEW",
    "return": "_RETURN",
    "typeof": "TYPEOF",
}
_KEYWORD_VALUES: dict[str, object] = {"true": True, "false": False, "null": None}

_LOOPS = "loops are not supported in filter scripts"
# Reserved words outside the subset: each names what the user tried, not what the parser saw.
_UNSUPPORTED_WORDS = {
    "for": _LOOPS,
    "while": _LOOPS,
    "do": _LOOPS,
    "break": "'break' is not supported in filter scripts (loops are not supported)",
    "continue": "'continue' is not supported in filter scripts (loops are not supported)",
    "function": "functions are not supported in filter scripts",
    "class": "classes are not supported in filter scripts",
    "extends": "classes are not supported in filter scripts",
    "super": "classes are not supported in filter scripts",
    "this": "'this' is not supported in filter scripts",
    "import": "'import' is not supported in filter scripts",
    "export": "'export' is not supported in filter scripts",
    "try": "'try' is not supported in filter scripts",
    "catch": "'catch' is not supported in filter scripts",
    "finally": "'finally' is not supported in filter scripts",
    "throw": "'throw' is not supported in filter scripts",
    "switch": "'switch' is not supported in filter scripts",
    "case": "'case' is not supported in filter scripts",
    "default": "'default' is not supported in filter scripts",
    "delete": "'delete' is not supported in filter scripts",
    "void": "'void' is not supported in filter scripts",
    "in": "the 'in' operator is not supported in filter scripts",
    "instanceof": "'instanceof' is not supported in filter scripts",
    "with": "'with' is not supported in filter scripts",
    "yield": "'yield' is not supported in filter scripts",
    "await": "'await' is not supported in filter scripts",
    "debugger": "'debugger' is not supported in filter scripts",
    "enum": "'enum' is not supported in filter scripts",
}

_PUNCT_TYPES = {
    "(": "_LPAR",
    ")": "_RPAR",
    "[": "_LSQB",
    "]": "_RSQB",
    ";": "_SEMI",
    ",": "_COMMA",
    ".": "_DOT",
    "?.": "_OPT_DOT",
    ":": "_COLON",
    "?": "QMARK",
    "=": "ASSIGN",
    "+=": "COMPOUND_ASSIGN",
    "-=": "COMPOUND_ASSIGN",
    "*=": "COMPOUND_ASSIGN",
    "/=": "COMPOUND_ASSIGN",
    "%=": "COMPOUND_ASSIGN",
    "||": "OR",
    "&&": "AND",
    "??": "NULLISH",
    "==": "EQ_OP",
    "!=": "EQ_OP",
    "===": "EQ_OP",
    "!==": "EQ_OP",
    "<": "REL_OP",
    ">": "REL_OP",
    "<=": "REL_OP",
    ">=": "REL_OP",
    "+": "ADD_OP",
    "-": "ADD_OP",
    "*": "MUL_OP",
    "/": "MUL_OP",
    "%": "MUL_OP",
    "!": "BANG",
}

_BITWISE = "bitwise operator '{}' is not supported in filter scripts"
_UNSUPPORTED_PUNCT = {
    "=>": "arrow functions are not supported in filter scripts",
    "...": "spread syntax '...' is not supported in filter scripts",
    "++": "'++' is not supported in filter scripts (write x += 1)",
    "--": "'--' is not supported in filter scripts (write x -= 1)",
    "**": "'**' is not supported in filter scripts (use Math.pow(a, b))",
    "**=": "'**=' is not supported in filter scripts (use Math.pow(a, b))",
    "&&=": "logical assignment '&&=' is not supported in filter scripts",
    "||=": "logical assignment '||=' is not supported in filter scripts",
    "??=": "logical assignment '??=' is not supported in filter scripts",
    **{
        op: _BITWISE.format(op)
        for op in ("&", "|", "^", "~", "<<", ">>", ">>>", "&=", "|=", "^=", "<<=", ">>=", ">>>=")
    },
}

_CLOSERS = {")": "(", "]": "[", "}": "{"}
_OPEN_FOR = {"(": ")", "[": "]", "{": "}", "${": "}"}

# Multi-character punctuators, longest first; single brackets and separators never need it.
_PUNCT_RE = "|".join(
    re.escape(p) if p != "?." else r"\?\.(?!\d)"  # `a?.5:1` is a ternary, not `?.`
    for p in sorted({*_PUNCT_TYPES, *_UNSUPPORTED_PUNCT}, key=len, reverse=True)
)
_PUNCT_MATCH = re.compile(_PUNCT_RE).match
_WS = re.compile(r"[\s\ufeff]+")
_IDENT = re.compile(r"(?:[^\W\d]|\$)[\w$]*")
_NUMBER = re.compile(
    r"""0[xX][0-9a-fA-F](?:_?[0-9a-fA-F])*
       |0[oO][0-7](?:_?[0-7])*
       |0[bB][01](?:_?[01])*
       |(?:(?:0|[1-9](?:_?\d)*)(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?""",
    re.VERBOSE | re.ASCII,  # JavaScript digits are 0-9 only ('.١' is not a number)
)
_DIGITS = frozenset("0123456789")
_LINE_COMMENT = re.compile(r"//[^\n\r\u2028\u2029]*")

# How the lexer handles a token, by its first character (ASCII; other characters are looked
# at with str methods). Dispatching on one character is several times faster than trying a
# big alternation of every token pattern at each position.
_FIRST: dict[str, str] = {
    **dict.fromkeys("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$", "ident"),
    **dict.fromkeys("0123456789", "number"),
    **dict.fromkeys("([{", "open"),
    **dict.fromkeys(")]", "close"),
    **dict.fromkeys(";,:", "single"),
    **dict.fromkeys("=!<>&|?+-*%^~", "operator"),
    **dict.fromkeys(" \t\n\r\v\f", "ws"),
    ".": "dot",
    "'": "quote",
    '"': "quote",
    "`": "backtick",
    "/": "slash",
    "}": "rbrace",
}

_STRING_BODY = {
    "'": re.compile(r"(?:[^'\\\n\r]|\\(?:\r\n|[\s\S]))*'"),
    '"': re.compile(r'(?:[^"\\\n\r]|\\(?:\r\n|[\s\S]))*"'),
}
_TEMPLATE_BODY = re.compile(r"(?:[^`\\$]|\\[\s\S]|\$(?!\{))*")
_REGEX_BODY = re.compile(
    r"(?:[^\\/\[\n\r\u2028\u2029]|\\[^\n\r\u2028\u2029]"
    r"|\[(?:[^\]\\\n\r\u2028\u2029]|\\[^\n\r\u2028\u2029])*\])+/([\w$]*)"
)
_WORD = re.compile(r"[\w$]+|\S")
_ESCAPE = re.compile(
    r"\\(?:x(?P<x>[0-9a-fA-F]{2})|u\{(?P<ucp>[0-9a-fA-F]+)\}|u(?P<u4>[0-9a-fA-F]{4})"
    r"|(?P<cont>\r\n|[\n\r\u2028\u2029])|(?P<oct>0(?=[0-9])|[1-7])|(?P<bad>[xu])|(?P<ch>[\s\S]))"
)
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
_LINE_BREAK = re.compile(r"[\n\r\u2028\u2029]")
_REGEX_FLAGS = frozenset("dgimsuyv")


# ------------------------------------------------------------------------------------------
# The lexer


@dataclass
class _Source:
    """One parse's input and lexer bookkeeping, handed to the lexer as lark's custom input.

    Lark builds its lexer once per grammar, so per-text state (the open-bracket stack the
    error messages use) lives here rather than on the lexer.
    """

    text: str
    max_depth: int
    # The open brackets, innermost last: (opener, line, column, is a block's '{').
    stack: list[tuple[str, int, int, bool]] = field(default_factory=list)
    last_end: tuple[int, int] = (1, 1)  # where the last token ended, for end-of-script errors


class _JSLexer(Lexer):
    """JavaScript tokenizer that consults the LALR parser state for context-dependent tokens."""

    __future_interface__ = 2  # lark passes (lexer_state, parser_state) to lex()

    def __init__(self, lexer_conf: object) -> None:
        pass

    def lex(self, lexer_state, parser_state):
        """Yield lark Tokens; literal tokens carry their decoded JavaScript value.

        One long loop on purpose: this is the hot path of every uncached parse, and a call
        per token kind would cost more than the lexing itself.
        """
        src: _Source = lexer_state.text
        text = src.text
        n = len(text)
        states = parser_state.parse_conf.states
        state_stack = parser_state.state_stack
        stack = src.stack
        first = _FIRST
        pos = 0
        line = 1
        line_start = 0  # index of the first character of the current line
        prev = ""  # type of the previous token
        while pos < n:
            c = text[pos]
            kind = first.get(c)
            if kind is None:
                if c.isspace() or c == "\ufeff":
                    kind = "ws"
                elif _IDENT.match(text, pos):
                    kind = "ident"
                else:
                    raise _error(f"unexpected character {c!r}", text, line, pos - line_start + 1)
            if kind == "ws":
                end = _WS.match(text, pos).end()
                nl = text.count("\n", pos, end)
                if nl:
                    line += nl
                    line_start = text.rfind("\n", pos, end) + 1
                pos = end
                continue
            col = pos - line_start + 1
            if kind == "slash" and text.startswith(("//", "/*"), pos):
                if text[pos + 1] == "/":
                    pos = _LINE_COMMENT.match(text, pos).end()
                    continue
                end = text.find("*/", pos + 2)
                if end < 0:
                    raise _error("unterminated comment", text, line, col)
                end += 2
                nl = text.count("\n", pos, end)
                if nl:
                    line += nl
                    line_start = text.rfind("\n", pos, end) + 1
                pos = end
                continue
            accepts = states[state_stack[-1]]
            end_line = line
            if kind == "ident":
                end = _IDENT.match(text, pos).end()
                word = text[pos:end]
                ttype = _KEYWORDS.get(word)
                if ttype is not None or word in _UNSUPPORTED_WORDS:
                    if ttype is not None and ttype in accepts:
                        value = _KEYWORD_VALUES.get(word, word)
                    elif "RESERVED_NAME" in accepts:  # `x.default`, `{ class: 1 }`
                        ttype, value = "RESERVED_NAME", word
                    elif ttype is None:
                        raise _error(_UNSUPPORTED_WORDS[word], text, line, col)
                    else:
                        value = word  # let the parser report it with what it expected
                else:
                    ttype, value = "IDENT", word
            elif kind == "single":
                end = pos + 1
                ttype = _PUNCT_TYPES[c]
                value = c
            elif kind == "open":
                end = pos + 1
                value = c
                if c == "{":
                    # A `{` where a statement may start is a block, as in JavaScript;
                    # `return {` is the exception: there an expression follows.
                    block = "_LBRACE_BLOCK" in accepts and prev != "_RETURN"
                    ttype = "_LBRACE_BLOCK" if block else "_LBRACE"
                    stack.append(("{", line, col, block))
                else:
                    ttype = _PUNCT_TYPES[c]
                    stack.append((c, line, col, False))
            elif kind == "close":
                end = pos + 1
                value = c
                ttype = _PUNCT_TYPES[c]
                _close(stack, c, text, line, col)
            elif kind == "rbrace":
                if stack and stack[-1][0] == "${":
                    stack.pop()
                    ttype, value, end = _template_piece(text, pos + 1, line, col, head=False)
                    if ttype == "TEMPLATE_MIDDLE":
                        stack.append(("${", line, col, False))
                else:
                    _close(stack, "}", text, line, col)
                    ttype, value, end = "_RBRACE", c, pos + 1
            elif kind == "number" or (kind == "dot" and text[pos + 1 : pos + 2] in _DIGITS):
                end = _NUMBER.match(text, pos).end()
                ttype, value = "NUMBER", _number_value(text[pos:end], text, end, line, col)
            elif kind == "quote":
                body = _STRING_BODY[c].match(text, pos + 1)
                if body is None:
                    raise _error("unterminated string", text, line, col)
                end = body.end()
                ttype = "STRING"
                value = _cook(text[pos + 1 : end - 1], text, line, col, template=False)
            elif kind == "backtick":
                ttype, value, end = _template_piece(text, pos + 1, line, col, head=True)
                if ttype == "TEMPLATE_HEAD":
                    stack.append(("${", line, col, False))
            elif kind == "slash" and "MUL_OP" not in accepts and "COMPOUND_ASSIGN" not in accepts:
                ttype = "REGEX"
                value, end = _regex_literal(text, pos, line, col)
            else:  # operators, `.`, and `/` or `/=` after an operand
                end = _PUNCT_MATCH(text, pos).end()
                value = text[pos:end]
                ttype = _PUNCT_TYPES.get(value)
                if ttype is None:
                    raise _error(_UNSUPPORTED_PUNCT[value], text, line, col)
            if len(stack) > src.max_depth:  # brackets and template substitutions alike
                raise _limit(f"script nests too deeply (max {src.max_depth})", text, line, col)
            if kind in ("quote", "backtick", "rbrace"):  # may span lines
                nl = text.count("\n", pos, end)
                if nl:
                    end_line = line + nl
                    line_start = text.rfind("\n", pos, end) + 1
            end_col = end - line_start + 1
            tok = Token(ttype, value, pos, line, col, end_line, end_col, end)
            line = end_line
            src.last_end = (end_line, end_col)
            prev = ttype
            pos = end
            yield tok


def _regex_literal(text: str, pos: int, line: int, col: int) -> tuple[JSRegex, int]:
    """Scan `/pattern/flags` where an expression starts; the pattern is kept as written."""
    body = _REGEX_BODY.match(text, pos + 1)
    if body is None:
        raise _error("unterminated regular expression", text, line, col)
    end = body.end()
    flags = body.group(1)
    if set(flags) - _REGEX_FLAGS or len(set(flags)) != len(flags):
        raise _error(f"invalid regular expression flags '{flags}'", text, line, col)
    return JSRegex(text[pos + 1 : end - len(flags) - 1], flags), end


def _close(
    stack: list[tuple[str, int, int, bool]], closer: str, text: str, line: int, col: int
) -> None:
    """Pop the bracket ``closer`` ends, or explain which bracket is still open."""
    if not stack:
        raise _error(f"unexpected '{closer}' (nothing to close)", text, line, col)
    opener, oline, ocol, _ = stack[-1]
    if opener != _CLOSERS[closer]:
        want = _OPEN_FOR[opener]
        raise _error(
            f"unexpected '{closer}': expected '{want}' to close '{opener}' "
            f"at line {oline}, column {ocol}",
            text,
            line,
            col,
        )
    stack.pop()


def _number_value(lexeme: str, text: str, end: int, line: int, col: int) -> int | float:
    """A numeric literal's value: an int while exactly representable, else a float."""
    if end < len(text) and (text[end].isalnum() or text[end] in "_$"):
        if lexeme == "0" and text[end] in _DIGITS:
            raise _error(
                "numbers cannot start with 0 (JavaScript would read them as octal); "
                "write 8 or 0o10",
                text,
                line,
                col,
            )
        raise _error(f"invalid number '{lexeme}{text[end]}'", text, line, col)
    digits = lexeme.replace("_", "")
    prefix = digits[:2].lower()
    if prefix in ("0x", "0o", "0b"):
        value: int | float = int(digits[2:], {"0x": 16, "0o": 8, "0b": 2}[prefix])
    elif "." in digits or "e" in digits or "E" in digits:
        value = float(digits)
        if value.is_integer() and abs(value) <= _MAX_SAFE_INT:
            return int(value)
        return value
    else:
        value = int(digits)
    return value if value <= _MAX_SAFE_INT else float(value)


def _template_piece(
    text: str, start: int, line: int, col: int, *, head: bool
) -> tuple[str, str, int]:
    """Scan template text after '`' or '}' up to the closing '`' or the next '${'."""
    end = _TEMPLATE_BODY.match(text, start).end()
    if not text.startswith(("`", "${"), end):
        raise _error("unterminated template literal", text, line, col)
    raw = text[start:end]
    # Template text normalizes CRLF and CR to LF before escapes are read, as JavaScript does.
    cooked = _cook(raw.replace("\r\n", "\n").replace("\r", "\n"), text, line, col, template=True)
    if text[end] == "`":
        return ("NOSUB_TEMPLATE" if head else "TEMPLATE_TAIL"), cooked, end + 1
    return ("TEMPLATE_HEAD" if head else "TEMPLATE_MIDDLE"), cooked, end + 2


def _cook(body: str, text: str, line: int, col: int, *, template: bool) -> str:
    """Decode JavaScript escapes; a pair of \\u surrogates becomes one character."""
    if "\\" not in body:
        return body

    def escape(m: re.Match[str]) -> str:
        if m.group("x"):
            return chr(int(m.group("x"), 16))
        if m.group("u4"):
            return chr(int(m.group("u4"), 16))
        if m.group("ucp"):
            cp = int(m.group("ucp"), 16)
            if cp > 0x10FFFF:
                raise _error("invalid Unicode escape (above \\u{10FFFF})", text, line, col)
            return chr(cp)
        if m.group("cont"):
            return ""
        if m.group("oct"):
            raise _error(
                "octal escape sequences are not supported (use \\x or \\u)", text, line, col
            )
        if m.group("bad"):
            raise _error("invalid escape sequence", text, line, col)
        ch = m.group("ch")
        if ch in "89" and template:
            raise _error("invalid escape sequence", text, line, col)
        return _SIMPLE_ESCAPES.get(ch, ch)

    out = _ESCAPE.sub(escape, body)
    if any("\ud800" <= c <= "\udfff" for c in out):
        out = out.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    return out


def _error(message: str, text: str, line: int, col: int) -> QuerySyntaxError:
    return QuerySyntaxError(message, line=line, column=col, source=text)


def _limit(message: str, text: str, line: int, col: int) -> LimitExceeded:
    return LimitExceeded(message, line=line, column=col, source=text)


# ------------------------------------------------------------------------------------------
# The parser and its error messages

# Binary operator precedence, lowest first; `??` shares the lowest rank with `||` because
# JavaScript refuses to mix them without parentheses, so they never meet in one list.
_RANK = {"NULLISH": 0, "OR": 0, "AND": 1, "EQ_OP": 2, "REL_OP": 3, "ADD_OP": 4, "MUL_OP": 5}
_LEVEL = {
    "NULLISH": "coalesce",
    "OR": "logic_or",
    "AND": "logic_and",
    "EQ_OP": "equality",
    "REL_OP": "relational",
    "ADD_OP": "additive",
    "MUL_OP": "multiplicative",
}


def _span(first: object, last: object) -> Meta:
    """A Meta covering two tree children, for the nodes built by :func:`_nest`."""
    meta = Meta()
    a = first.meta if isinstance(first, Tree) else first
    b = last.meta if isinstance(last, Tree) else last
    meta.empty = False
    meta.line, meta.column, meta.start_pos = a.line, a.column, a.start_pos
    meta.end_line, meta.end_column, meta.end_pos = b.end_line, b.end_column, b.end_pos
    return meta


def _nest(items: list) -> object:
    """Nest a flat [operand, op, operand, ...] list by precedence into same-level nodes.

    Each node keeps its operators (``additive`` = [a, '+', b, '-', c]) so the interpreter
    folds one level in a loop; recursion is bounded by the seven precedence ranks.
    """
    if len(items) == 1:
        return items[0]
    ops = items[1::2]
    low = min(_RANK[op.type] for op in ops)
    types = {op.type for op in ops}
    if "NULLISH" in types and types & {"OR", "AND"}:
        bad = next(op for op in ops if op.type != "NULLISH")
        raise QuerySyntaxError(
            "cannot mix '??' with '||' or '&&' without parentheses",
            line=bad.line,
            column=bad.column,
        )
    parts: list[list] = [[items[0]]]
    split_ops = []
    for i in range(1, len(items), 2):
        op = items[i]
        if _RANK[op.type] == low:
            split_ops.append(op)
            parts.append([items[i + 1]])
        else:
            parts[-1] += (op, items[i + 1])
    children = [_nest(parts[0])]
    for op, part in zip(split_ops, parts[1:], strict=True):
        children += (op, _nest(part))
    return Tree(_LEVEL[split_ops[0].type], children, _span(children[0], children[-1]))


class _Build(Transformer):
    """Callbacks lark runs while it reduces (not a second pass over the tree)."""

    def __default__(self, data: object, children: list, meta: object) -> Tree:
        # Lark names rules with Token objects, whose Python-level __eq__ makes every
        # dispatch-table lookup in the interpreter slow; a plain str compares in C.
        return Tree(str(data), children)

    def expr(self, children: list) -> object:
        """A flat operand/operator list, possibly ending in `? consequent : alternate`."""
        if len(children) >= 3 and isinstance(children[-3], Token):  # operands are all Trees
            test = _nest(children[:-3])
            return Tree("cond", [test, children[-2], children[-1]], _span(test, children[-1]))
        return _nest(children)


_PARSER = Lark(
    _grammar_text(),
    parser="lalr",
    lexer=_JSLexer,
    transformer=_Build(),
    propagate_positions=True,
    maybe_placeholders=False,
)

# What each terminal looks like to a user, for "expected ..." hints.
_SHOW = {
    "_RPAR": "')'",
    "_RSQB": "']'",
    "_RBRACE": "'}'",
    "_COMMA": "','",
    "_COLON": "':'",
    "_SEMI": "';'",
    "_LPAR": "'('",
    "ASSIGN": "'='",
    "IDENT": "a name",
    "TEMPLATE_MIDDLE": "'}'",
    "TEMPLATE_TAIL": "'}'",
}
# A parameter list then `=>`: explains the error at `,` in `(a, b) => a`.
_ARROW_AHEAD = re.compile(r"[\w$\s,()\[\]{}=.:'\"]*=>")


def _describe(token: Token, text: str) -> str:
    """How the offending token reads in a message: its source text, quoted."""
    if token.type == "$END":
        return "end of script"
    lexeme = text[token.start_pos : token.end_pos]
    if len(lexeme) > 30:
        lexeme = lexeme[:27] + "..."
    if token.type == "STRING":
        return f"string {lexeme}"
    if token.type == "NUMBER":
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


def _unexpected_token(err: UnexpectedToken, src: _Source) -> QuerySyntaxError:
    """Turn lark's UnexpectedToken into a message about the script, not the parser."""
    text, token = src.text, err.token
    if token.type == "$END":
        line, col = src.last_end
        if src.stack:
            opener, oline, ocol, _ = src.stack[-1]
            closer = _OPEN_FOR[opener]
            message = (
                f"unexpected end of script: missing '{closer}' for the '{opener}' "
                f"at line {oline}, column {ocol}"
            )
        else:
            hint = _expected_hint(set(err.expected))
            message = "unexpected end of script" + (f"; {hint}" if hint else "")
        return QuerySyntaxError(message, line=line, column=col, source=text)
    line, col = token.line, token.column
    if _ARROW_AHEAD.match(text, token.start_pos):
        message = "arrow functions are not supported in filter scripts"
    elif token.type == "_COLON" and src.stack and src.stack[-1][3]:
        message = (
            "unexpected ':': a '{' at the start of a statement opens a block; "
            "wrap an object in parentheses: ({ ... })"
        )
    elif token.type in ("ASSIGN", "COMPOUND_ASSIGN") and "MUL_OP" in err.expected:
        message = (
            f"unexpected {_describe(token, text)}: only a declared variable can be assigned "
            "(properties and expressions cannot)"
        )
    else:
        hint = _expected_hint(set(err.expected))
        message = f"unexpected {_describe(token, text)}" + (f"; {hint}" if hint else "")
    return QuerySyntaxError(message, line=line, column=col, source=text)


def _statement_lists(tree: Tree):
    """Every list of consecutive statements: the program's and each block's."""
    todo = [tree]
    while todo:
        node = todo.pop()
        if node.data in ("start", "block"):
            yield node.children
            todo.extend(c for c in node.children if c.data in ("block", "if_stmt"))
        elif node.data == "if_stmt":
            todo.extend(c for c in node.children[1:] if c.data in ("block", "if_stmt"))


def _needs_separator(stmt: Tree, text: str) -> bool:
    """True when ``stmt`` ends without ';' or '}' so the next one must start on a new line."""
    while stmt.data == "if_stmt":
        stmt = stmt.children[-1]
    if stmt.data in ("block", "empty"):
        return False
    return text[stmt.meta.end_pos - 1] != ";"


def _check_statement_breaks(tree: Tree, text: str) -> None:
    """JavaScript only inserts a semicolon at a line break; `where(a) sort(b)` is an error.

    The grammar makes ';' optional everywhere, so this check restores the rule that two
    statements on one line need a ';' between them.
    """
    for stmts in _statement_lists(tree):
        for prev, nxt in zip(stmts, stmts[1:], strict=False):
            if not _needs_separator(prev, text):
                continue
            if _LINE_BREAK.search(text, prev.meta.end_pos, nxt.meta.start_pos):
                continue
            start = nxt.meta.start_pos
            word = _WORD.match(text, start).group()
            raise QuerySyntaxError(
                f"unexpected '{word}': put ';' or a line break between two statements",
                line=nxt.meta.line,
                column=nxt.meta.column,
                source=text,
            )


@functools.lru_cache(maxsize=PARSE_CACHE_SIZE)
def _parse_cached(text: str, max_depth: int) -> Tree:
    src = _Source(text, max_depth)
    try:
        tree = _PARSER.parse(src)
    except QueryError as err:
        raise err.with_source(text) from None
    except UnexpectedToken as err:
        raise _unexpected_token(err, src) from None
    except VisitError as err:  # a tree callback failed; ours only raise QueryErrors
        if isinstance(err.orig_exc, QueryError):
            raise err.orig_exc.with_source(text) from None
        raise QuerySyntaxError("the script does not parse", source=text) from None
    except UnexpectedInput as err:
        line, col = getattr(err, "line", None), getattr(err, "column", None)
        raise QuerySyntaxError(
            "the script does not parse",
            line=line if isinstance(line, int) else None,
            column=col if isinstance(col, int) else None,
            source=text,
        ) from None
    except LarkError:
        raise QuerySyntaxError("the script does not parse", source=text) from None
    _check_statement_breaks(tree, text)
    return tree


def parse_script(text: str, *, max_size: int = MAX_SCRIPT_SIZE, max_depth: int = MAX_DEPTH) -> Tree:
    """Parse a filter script into a lark tree (cached by text; callers must not mutate it).

    Raises :class:`QuerySyntaxError` for text outside the supported JavaScript subset and
    :class:`LimitExceeded` for a script longer than ``max_size`` characters or nesting more
    than ``max_depth`` brackets.
    """
    if not isinstance(text, str):
        raise QuerySyntaxError(f"a filter script must be text, not {type(text).__name__}")
    if len(text) > max_size:
        raise LimitExceeded(f"script is too long ({len(text):,} characters, max {max_size:,})")
    return _parse_cached(text, max_depth)
