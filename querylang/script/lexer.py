"""Filter-script text -> tokens, with JavaScript's lexical rules and friendly errors.

A hand-written lexer that asks the parser which tokens fit before it decides what ``/``,
``{`` and ``}`` mean: JavaScript cannot be tokenized without that context (a regex literal
vs. division, a block vs. an object literal, the end of a template substitution vs. a
closing brace). Comments are skipped here too, so ``'http://x.io'`` stays a string, unlike
Noodl's regex-based comment stripping (docs/semantics.md#scripts). Literal tokens carry their
decoded JavaScript value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Container, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from querylang.errors import LimitExceeded, QuerySyntaxError
from querylang.model.jsvalues import JSRegex

MAX_SCRIPT_SIZE = 1_000_000  # characters; checked before anything else so 10 MB fails fast
MAX_DEPTH = 200  # open brackets ( [ { ${ at once; keeps the recursive interpreter shallow

_MAX_SAFE_INT = 2**53


# One token: a plain tuple, because building a tuple costs a tenth of an object's __init__,
# and a cold parse builds one per token. Where it starts (line and column, 1-based, and
# offset into the script), where it ends (offset), its terminal name and its decoded value;
# read with the names below, e.g. ``tok[TYPE]``.
Tok = tuple[int, int, int, int, str, Any]
LINE: Final = 0
COLUMN: Final = 1
START: Final = 2
END: Final = 3
TYPE: Final = 4
VALUE: Final = 5


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

_RESERVED = frozenset({*_KEYWORDS, *_UNSUPPORTED_WORDS})  # words the parser's state decides

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
    "=>": "_ARROW",
    "...": "_ELLIPSIS",
}

_BITWISE = "bitwise operator '{}' is not supported in filter scripts"
_UNSUPPORTED_PUNCT = {
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

# `(` that opens an arrow function's parameter list: plain names, then `) =>` on the line.
ARROW_PARAMS = re.compile(
    r"\(\s*(?:(?:[^\W\d]|\$)[\w$]*\s*(?:,\s*(?:[^\W\d]|\$)[\w$]*\s*)*,?\s*)?\)[ \t]*=>"
)
_CLOSERS = {")": "(", "]": "[", "}": "{"}
OPEN_FOR = {"(": ")", "[": "]", "{": "}", "${": "}"}

# Multi-character punctuators, longest first; single brackets and separators never need it.
_PUNCT_RE = "|".join(
    re.escape(p) if p != "?." else r"\?\.(?!\d)"  # `a?.5:1` is a ternary, not `?.`
    for p in sorted({*_PUNCT_TYPES, *_UNSUPPORTED_PUNCT}, key=len, reverse=True)
)
_PUNCT_MATCH = re.compile(_PUNCT_RE).match
# JavaScript's WhiteSpace and LineTerminator characters (blanks between tokens, and for trim()
# and ToNumber): Python's \s and isspace() also take \x1c-\x1f and \x85, which JavaScript
# refuses ("Invalid or unexpected token").
JS_SPACE = (
    " \t\n\v\f\r\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_WS = re.compile(f"[{JS_SPACE}]+")
_IDENT = re.compile(r"(?:[^\W\d]|\$)[\w$]*")
_NUMBER = re.compile(
    r"""0[xX][0-9a-fA-F](?:_?[0-9a-fA-F])*
       |0[oO][0-7](?:_?[0-7])*
       |0[bB][01](?:_?[01])*
       |(?:(?:0|[1-9](?:_?\d)*)(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?""",
    re.VERBOSE | re.ASCII,  # JavaScript digits are 0-9 only ('.١' is not a number)
)
_DIGITS = frozenset("0123456789")
# JavaScript's line terminators, where a rule depends on a line break (ASI after `return`, no
# break before `=>`); a lone \r or U+2028 is one too, although lines are numbered by \n.
LINE_BREAK = re.compile(r"[\n\r\u2028\u2029]")
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
_ESCAPE = re.compile(
    r"\\(?:x(?P<x>[0-9a-fA-F]{2})|u\{(?P<ucp>[0-9a-fA-F]+)\}|u(?P<u4>[0-9a-fA-F]{4})"
    r"|(?P<cont>\r\n|[\n\r\u2028\u2029])|(?P<oct>0(?=[0-9])|[1-7])|(?P<bad>[xu])|(?P<ch>[\s\S]))"
)
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
_REGEX_FLAGS = frozenset("dgimsuyv")


# ------------------------------------------------------------------------------------------
# The lexer


@dataclass
class Source:
    """One parse's input and lexer bookkeeping, shared with the parser for its messages."""

    text: str
    max_depth: int
    # The open brackets, innermost last: (opener, line, column, is a block's '{'); a '${' is
    # placed at its template literal's backtick.
    stack: list[tuple[str, int, int, bool]] = field(default_factory=list)
    last: Tok | None = None  # the last token read, for end-of-script errors
    # Every block `{ ... }` (an arrow function's body too), found while parsing, for the
    # separator check.
    blocks: list[Any] = field(default_factory=list)

    @property
    def last_end(self) -> tuple[int, int]:
        """(line, column) just after the last token: where an unfinished script ends."""
        if self.last is None:
            return 1, 1
        end = self.last[END]
        line = self.last[LINE] + self.text.count("\n", self.last[START], end)
        return line, end - (self.text.rfind("\n", 0, end) + 1) + 1


def lex(src: Source, state_stack: list[int], states: Mapping[int, Container[str]]) -> Iterator[Tok | None]:
    """Yield the script's tokens, then None for ever; ``states[state_stack[-1]]`` is what the
    parser accepts now.

    The parser pulls one token at a time, so the state is the one after the previous token.
    One long loop on purpose: this is the hot path of every uncached parse, and a call per
    token kind would cost more than the lexing itself.
    """
    text = src.text
    n = len(text)
    stack = src.stack
    max_depth = src.max_depth
    first = _FIRST
    last: Tok | None = None  # kept in src only at the end: only end-of-script errors read it
    pos = 0
    line = 1
    line_start = 0  # index of the first character of the current line
    prev = ""  # type of the previous token
    while pos < n:
        c = text[pos]
        kind = first.get(c)
        if kind is None:
            if c in JS_SPACE:
                kind = "ws"
            elif _IDENT.match(text, pos):
                kind = "ident"
            else:
                raise syntax_error(f"unexpected character {c!r}", text, line, pos - line_start + 1)
        if kind == "ws":
            if c == " " and first.get(text[pos + 1 : pos + 2]) != "ws":
                pos += 1  # one space between tokens, the usual case
                continue
            end = _WS.match(text, pos).end()  # type: ignore[union-attr]  # always matches here
            nl = text.count("\n", pos, end)
            if nl:
                line += nl
                line_start = text.rfind("\n", pos, end) + 1
            pos = end
            continue
        col = pos - line_start + 1
        if kind == "slash" and text.startswith(("//", "/*"), pos):
            if text[pos + 1] == "/":
                pos = _LINE_COMMENT.match(text, pos).end()  # type: ignore[union-attr]  # always matches here
                continue
            end = text.find("*/", pos + 2)
            if end < 0:
                raise syntax_error("unterminated comment", text, line, col)
            end += 2
            nl = text.count("\n", pos, end)
            if nl:
                line += nl
                line_start = text.rfind("\n", pos, end) + 1
            pos = end
            continue
        end_line = line
        # What the parser accepts now decides a reserved word, `{`, `(` and `/`; the state is
        # looked up only for those.
        if kind == "ident":
            end = _IDENT.match(text, pos).end()  # type: ignore[union-attr]  # always matches here
            word = text[pos:end]
            if word in _RESERVED:
                accepts = states[state_stack[-1]]
                ttype = _KEYWORDS.get(word)
                if ttype is not None and ttype in accepts:
                    value = _KEYWORD_VALUES.get(word, word)
                elif "RESERVED_NAME" in accepts:  # `x.default`, `{ class: 1 }`
                    ttype, value = "RESERVED_NAME", word
                elif ttype is None:
                    raise syntax_error(_UNSUPPORTED_WORDS[word], text, line, col)
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
            accepts = states[state_stack[-1]]
            if c == "{":
                # A `{` where a statement may start is a block, as in JavaScript;
                # `return {` is the exception: there an expression follows.
                block = "_LBRACE_BLOCK" in accepts and prev != "_RETURN"
                ttype = "_LBRACE_BLOCK" if block else "_LBRACE"
                stack.append(("{", line, col, block))
            else:
                ttype = _PUNCT_TYPES[c]
                if c == "(" and "_ARROW_LPAR" in accepts and ARROW_PARAMS.match(text, pos):
                    ttype = "_ARROW_LPAR"
                elif c == "(" and "_METHOD_LPAR" in accepts:  # only after an object literal's key
                    ttype = "_METHOD_LPAR"
                stack.append((c, line, col, False))
            if len(stack) > max_depth:  # brackets and template substitutions alike
                raise _limit(f"script nests too deeply (max {max_depth})", text, line, col)
        elif kind == "close":
            end = pos + 1
            value = c
            ttype = _PUNCT_TYPES[c]
            _close(stack, c, text, line, col)
        elif kind == "rbrace":
            if stack and stack[-1][0] == "${":
                # A template's "${" is kept at its backtick: an unterminated literal is told there.
                _, bline, bcol, _ = stack.pop()
                ttype, value, end = _template_piece(text, pos + 1, line, col, head=False, opened=(bline, bcol))
                if ttype == "TEMPLATE_MIDDLE":
                    stack.append(("${", bline, bcol, False))
                end_line, line_start = _after(text, pos, end, line, line_start)
            else:
                _close(stack, "}", text, line, col)
                ttype, value, end = "_RBRACE", c, pos + 1
        elif kind == "number" or (kind == "dot" and text[pos + 1 : pos + 2] in _DIGITS):
            end = _NUMBER.match(text, pos).end()  # type: ignore[union-attr]  # always matches here
            ttype, value = "NUMBER", _number_value(text[pos:end], text, end, line, col)
        elif kind == "quote":
            body = _STRING_BODY[c].match(text, pos + 1)
            if body is None:
                raise syntax_error("unterminated string", text, line, col)
            end = body.end()
            ttype = "STRING"
            value = _cook(text[pos + 1 : end - 1], text, line, col, template=False)
            end_line, line_start = _after(text, pos, end, line, line_start)  # a line continuation
        elif kind == "backtick":
            ttype, value, end = _template_piece(text, pos + 1, line, col, head=True, opened=(line, col))
            if ttype == "TEMPLATE_HEAD":
                stack.append(("${", line, col, False))
                if len(stack) > max_depth:
                    raise _limit(f"script nests too deeply (max {max_depth})", text, line, col)
            end_line, line_start = _after(text, pos, end, line, line_start)
        elif kind == "slash" and "MUL_OP" not in (now := states[state_stack[-1]]) and "COMPOUND_ASSIGN" not in now:
            ttype = "REGEX"
            value, end = _regex_literal(text, pos, line, col)
        else:  # operators, `.`, and `/` or `/=` after an operand
            end = _PUNCT_MATCH(text, pos).end()  # type: ignore[union-attr]  # always matches here
            value = text[pos:end]
            ttype = _PUNCT_TYPES.get(value)
            if ttype is None:
                raise syntax_error(_UNSUPPORTED_PUNCT[value], text, line, col)
            if ttype == "_ARROW" and last is not None and LINE_BREAK.search(text, last[END], pos):
                raise syntax_error("a line break cannot come before '=>'", text, line, col)
        last = (line, col, pos, end, ttype, value)
        line = end_line
        prev = ttype
        pos = end
        yield last
    src.last = last
    while True:  # then None, the end, as often as the parser asks (it reduces before accepting)
        yield None


def _after(text: str, pos: int, end: int, line: int, line_start: int) -> tuple[int, int]:
    """(line, start of that line) at the end of a token that may span lines."""
    nl = text.count("\n", pos, end)
    if nl:
        return line + nl, text.rfind("\n", pos, end) + 1
    return line, line_start


def _regex_literal(text: str, pos: int, line: int, col: int) -> tuple[JSRegex, int]:
    """Scan `/pattern/flags` where an expression starts; the pattern is kept as written."""
    body = _REGEX_BODY.match(text, pos + 1)
    if body is None:
        raise syntax_error("unterminated regular expression", text, line, col)
    end = body.end()
    flags = body.group(1)
    if set(flags) - _REGEX_FLAGS or len(set(flags)) != len(flags):
        raise syntax_error(f"invalid regular expression flags '{flags}'", text, line, col)
    return JSRegex(text[pos + 1 : end - len(flags) - 1], flags), end


def _close(
    stack: list[tuple[str, int, int, bool]], closer: str, text: str, line: int, col: int
) -> None:
    """Pop the bracket ``closer`` ends, or explain which bracket is still open."""
    if not stack:
        raise syntax_error(f"unexpected '{closer}' (nothing to close)", text, line, col)
    opener, oline, ocol, _ = stack[-1]
    if opener != _CLOSERS[closer]:
        want = OPEN_FOR[opener]
        # A substitution's place is its template literal's backtick (lex's "rbrace").
        where = "of the template literal " if opener == "${" else ""
        raise syntax_error(
            f"unexpected '{closer}': expected '{want}' to close '{opener}' {where}"
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
            raise syntax_error(
                "numbers cannot start with 0 (JavaScript would read them as octal); "
                "write 8 or 0o10",
                text,
                line,
                col,
            )
        raise syntax_error(f"invalid number '{lexeme}{text[end]}'", text, line, col)
    digits = lexeme.replace("_", "")
    prefix = digits[:2].lower()
    if prefix in ("0x", "0o", "0b"):
        whole = int(digits[2:], {"0x": 16, "0o": 8, "0b": 2}[prefix])
        # Past the largest double JavaScript reads Infinity, where float() refuses the int.
        return whole if whole <= _MAX_SAFE_INT else _nearest_double(whole)
    if "." in digits or "e" in digits or "E" in digits or len(digits) > 16:
        # A long integer too: float() rounds the text as JavaScript does, up to Infinity,
        # where int() refuses more than 4,300 digits and float(int) more than 308.
        value = float(digits)
        if value.is_integer() and abs(value) <= _MAX_SAFE_INT:
            return int(value)
        return value
    whole = int(digits)
    return whole if whole <= _MAX_SAFE_INT else float(whole)


def _nearest_double(value: int) -> float:
    """The double nearest a literal's integer, or Infinity past the largest one."""
    try:
        return float(value)
    except OverflowError:
        return math.inf


def _template_piece(
    text: str, start: int, line: int, col: int, *, head: bool, opened: tuple[int, int]
) -> tuple[str, str, int]:
    """Scan template text after '`' or '}' (at ``line``, ``col``) up to the closing '`' or the
    next '${'; ``opened``: the literal's backtick, where an unterminated one is told (told at
    its last '}', the error pointed past where the literal starts)."""
    end = _TEMPLATE_BODY.match(text, start).end()  # type: ignore[union-attr]  # always matches here
    if not text.startswith(("`", "${"), end):
        raise syntax_error("unterminated template literal", text, *opened)
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
                raise syntax_error("invalid Unicode escape (above \\u{10FFFF})", text, line, col)
            return chr(cp)
        if m.group("cont"):
            return ""
        if m.group("oct"):
            raise syntax_error(
                "octal escape sequences are not supported (use \\x or \\u)", text, line, col
            )
        if m.group("bad"):
            raise syntax_error("invalid escape sequence", text, line, col)
        ch = m.group("ch")
        if ch in "89" and template:
            raise syntax_error("invalid escape sequence", text, line, col)
        return _SIMPLE_ESCAPES.get(ch, ch)

    out = _ESCAPE.sub(escape, body)
    if any("\ud800" <= c <= "\udfff" for c in out):
        out = out.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    return out


def syntax_error(message: str, text: str, line: int, col: int) -> QuerySyntaxError:
    return QuerySyntaxError(message, line=line, column=col, source=text)


def _limit(message: str, text: str, line: int, col: int) -> LimitExceeded:
    return LimitExceeded(message, line=line, column=col, source=text)


