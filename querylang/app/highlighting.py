"""A Pygments lexer for filter scripts (the JavaScript subset), used by the REPL.

Beyond plain JavaScript it marks what matters when reading a filter: the query calls
(``where``, ``filter``, ``sort``), the operator keys (``greaterThan:``), ``Inputs.Name`` and
``$Name``. A line starting with ``.`` is a REPL dot-command. ``is_complete`` lives here too:
the REPL runs a script on Enter only once its brackets close, and deciding that needs the same
view of strings, comments and regex literals as highlighting does.
"""

from __future__ import annotations

from pygments.lexer import RegexLexer, bygroups, default, include, words
from pygments.token import (
    Comment,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
    Whitespace,
)

from querylang.model.operators import FIELD_OPERATORS, TOP_LEVEL

# The operator names build.py accepts (it imports no database code, so this stays light).
OPERATORS = (*FIELD_OPERATORS, *TOP_LEVEL)
QUERY_CALLS = ("where", "filter", "sort")
JS_KEYWORDS = (
    "const", "let", "var", "if", "else", "return", "new", "typeof", "function",
    "for", "while", "of", "in", "do", "break", "continue",
)  # fmt: skip
JS_CONSTANTS = ("true", "false", "null", "undefined", "NaN", "Infinity")
JS_BUILTINS = ("Date", "Math", "JSON", "Array", "Object", "String", "Number", "Boolean")

_IDENT = r"[A-Za-z_$][A-Za-z0-9_$]*"


class FilterScriptLexer(RegexLexer):
    """Noodl / Parse filter scripts: ``where({ score: { greaterThan: Inputs.Min } })``."""

    name = "querylang filter script"
    aliases = ["querylang", "qlfilter"]
    filenames = ["*.qlf"]
    mimetypes = ["text/x-querylang"]

    tokens = {
        "commentsandwhitespace": [
            (r"\s+", Whitespace),
            (r"//.*?$", Comment.Single),
            (r"/\*", Comment.Multiline, "blockcomment"),
        ],
        "blockcomment": [
            (r"[^*]+", Comment.Multiline),
            (r"\*/", Comment.Multiline, "#pop"),
            (r"\*", Comment.Multiline),
        ],
        # After an operator or an opening bracket a slash starts a regex, elsewhere it divides.
        "slashstartsregex": [
            include("commentsandwhitespace"),
            (r"/(\\.|[^\\/\n\[]|\[(\\.|[^\]\\\n])*\])+/[a-z]*", String.Regex, "#pop"),
            (r"(?=/)", Text, ("#pop", "badregex")),
            default("#pop"),
        ],
        "badregex": [(r"\n", Whitespace, "#pop"), (r".", String.Regex)],
        "root": [
            (r"^(\s*)(\.[A-Za-z]+)(.*)$", bygroups(Whitespace, Keyword.Pseudo, Text)),
            default("script"),
        ],
        "script": [
            include("commentsandwhitespace"),
            (r"[{(\[;,:?=!&|<>+\-*%]+", Punctuation, "slashstartsregex"),
            (r"[})\].]", Punctuation),
            (r"/", Operator, "slashstartsregex"),
            (r"(Inputs)(\.)(" + _IDENT + ")", bygroups(Name.Builtin, Punctuation, Name.Variable)),
            (r"\$[A-Za-z0-9]+", Name.Variable),
            (words(OPERATORS, suffix=r"(?=\s*:)"), Keyword),
            (words(QUERY_CALLS, suffix=r"(?=\s*\()"), Name.Function),
            (words(JS_KEYWORDS, suffix=r"\b"), Keyword.Reserved, "slashstartsregex"),
            (words(JS_CONSTANTS, suffix=r"\b"), Keyword.Constant),
            (words(JS_BUILTINS, suffix=r"\b"), Name.Builtin),
            (_IDENT + r"(?=\s*:)", Name.Attribute),
            (_IDENT, Name.Other),
            (r"(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?", Number),
            (r"0[xX][0-9a-fA-F]+", Number.Hex),
            (r'"(\\\\|\\[^\\]|[^"\\\n])*"?', String.Double),
            (r"'(\\\\|\\[^\\]|[^'\\\n])*'?", String.Single),
            (r"`(\\\\|\\[^\\]|[^`\\])*`?", String.Backtick),
            (r".", Text),
        ],
    }


_OPEN = {"(": ")", "[": "]", "{": "}"}
_REGEX_BEFORE = set("([{,;:=!&|?+-*%<>~^")


def is_complete(text: str) -> bool:
    """Is the script ready to run: every bracket closed, no string or comment left open?

    A quoted string cannot span lines in JavaScript, so a quote left open at the end of a line
    closes there (the parser will report it); a block comment or template string left open
    asks for more lines. Too many closing brackets count as complete, so the error shows.
    """
    depth = 0
    i, n = 0, len(text)
    prev = ""  # last significant character, to tell a regex literal from a division
    while i < n:
        ch = text[i]
        if ch in " \t\r\n":
            i += 1
            continue
        if text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                return False
            i = end + 2
            continue
        if ch in "'\"`":
            i += 1
            while i < n and text[i] != ch:
                if text[i] == "\\":
                    i += 1
                elif text[i] == "\n" and ch != "`":
                    break
                i += 1
            if i >= n and ch == "`":
                return False
            i += 1
            prev = ch
            continue
        if ch == "/" and (prev == "" or prev in _REGEX_BEFORE):
            i += 1
            in_class = False
            while i < n and text[i] != "\n" and (text[i] != "/" or in_class):
                if text[i] == "\\":
                    i += 1
                elif text[i] == "[":
                    in_class = True
                elif text[i] == "]":
                    in_class = False
                i += 1
            i += 1
            prev = "/"
            continue
        if ch in _OPEN:
            depth += 1
        elif ch in ")]}":
            depth -= 1
        prev = ch
        i += 1
    return depth <= 0
