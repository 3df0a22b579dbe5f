"""The filter-script interpreter (the JavaScript subset): errors, as a table of (script, error class,
message fragment, line, column), and how an error shows its line and caret."""

from __future__ import annotations

import pytest

import querylang
from querylang.errors import QuerySyntaxError, QueryTypeError, ScriptError
from querylang.script.interpreter import run_script
from querylang.script.parser import parse_script

# ------------------------------------------------------------------------------------------
# Errors: (script, error class, message fragment, line, column)

ERRORS = [
    # syntax, with a friendly name for what went wrong
    ("where({ a: 1 )", QuerySyntaxError, "expected '}' to close '{' at line 1, column 7", 1, 14),
    ("where({ a: 1 }", QuerySyntaxError, "'(' not closed: the script ends before its ')'", 1, 6),
    ("where({ a 1 })", QuerySyntaxError, "unexpected number 1; expected ',', ':' or '}'", 1, 11),
    ("where({ a: 1 }})", QuerySyntaxError, "unexpected '}'", 1, 15),
    ("where({ a: 1 }) sort(['a'])", QuerySyntaxError, "line break between two statements", 1, 17),
    ("const a = 1 where(a)", QuerySyntaxError, "unexpected 'where'", 1, 13),
    ("where({ a: 'abc })", QuerySyntaxError, "unterminated string", 1, 12),
    ("where({ a: `abc })", QuerySyntaxError, "unterminated template literal", 1, 12),
    # an unterminated template literal is told at its backtick, not at its last '}' nor at
    # the end of the script (which named the '${' left open)
    ("where({ a: `abc${ })", QuerySyntaxError, "unterminated template literal", 1, 12),
    ("where({ a: `abc${x", QuerySyntaxError, "unterminated template literal (a '${' in it is not closed", 1, 12),
    ("where({ a: `abc${x}def })", QuerySyntaxError, "unterminated template literal", 1, 12),
    ("const s = 1\nwhere({ a: `a\nb${s}c${s}d })", QuerySyntaxError, "unterminated template literal", 2, 12),
    ("where({ a: `a${ `b${1}` })", QuerySyntaxError, "unterminated template literal", 1, 12),
    ("where({ a: `a${ `b${1}c", QuerySyntaxError, "unterminated template literal", 1, 17),
    ("where({ a: `a${ `b${1}` ", QuerySyntaxError, "unterminated template literal (a '${'", 1, 12),
    ("where({ a: `a${1) })", QuerySyntaxError, "expected '}' to close '${' of the template literal at line 1, column 12",
     1, 17),
    # so is every other unterminated thing, where it starts
    ("where({ a: 1 })\nwhere({ a: 'abc })", QuerySyntaxError, "unterminated string", 2, 12),
    ("where({ a: 1 })\n  /* never closed\n", QuerySyntaxError, "unterminated comment", 2, 3),
    ("where({ a: 1,\n b: /abc })", QuerySyntaxError, "unterminated regular expression", 2, 5),
    ("where({ a: [1,\n 2 })", QuerySyntaxError, "expected ']' to close '[' at line 1, column 12", 2, 4),
    ("where({ a: [1,\n 2", QuerySyntaxError, "'[' not closed: the script ends before its ']'", 1, 12),
    ("where({ a: [1, 2],\n  b: { c: 3 ", QuerySyntaxError, "'{' not closed: the script ends before its '}'", 2, 6),
    # cut off inside an expression: the missing operand is told after its operator (it was
    # told as the '{' left open, at the '{')
    ("where({ a: 1 +", QuerySyntaxError, "the script ends after '+'; expected an expression", 1, 15),
    ("where({ a:", QuerySyntaxError, "the script ends after ':'; expected an expression", 1, 11),
    ("where({ a: `x${1 *", QuerySyntaxError, "the script ends after '*'; expected an expression", 1, 19),
    ("where({ a: [1,", QuerySyntaxError, "'[' not closed: the script ends before its ']'", 1, 12),
    ("where({ a: f(1,", QuerySyntaxError, "'(' not closed: the script ends before its ')'", 1, 13),
    ("where({ a: 1 }) /* never closed", QuerySyntaxError, "unterminated comment", 1, 17),
    ("where({ a: /abc })", QuerySyntaxError, "unterminated regular expression", 1, 12),
    ("where({ a: /a/gg })", QuerySyntaxError, "invalid regular expression flags 'gg'", 1, 12),
    ("where({ a: '\\x4' })", QuerySyntaxError, "invalid escape sequence", 1, 12),
    ("where({ a: '\\101' })", QuerySyntaxError, "octal escape sequences are not supported", 1, 12),
    ("where({ a: 010 })", QuerySyntaxError, "numbers cannot start with 0", 1, 12),
    ("where({ a: 1n })", QuerySyntaxError, "invalid number '1n'", 1, 12),
    ("where({ a: 1 @ 2 })", QuerySyntaxError, "unexpected character '@'", 1, 14),
    ("where(\n  { a: 1 }\n  { b: 2 })", QuerySyntaxError, "unexpected '{'", 3, 3),
    ("{ a: 1 }", QuerySyntaxError, "opens a block; wrap an object in parentheses", 1, 4),
    ("a ?? b || c", QuerySyntaxError, "cannot mix '??' with '||'", 1, 8),
    ("where(Inputs.x = 3)", QuerySyntaxError, "an assignment is a statement of its own", 1, 16),
    # a declared variable, assigned where a value is wanted: the subset has assignment
    # statements only (the message said a declared variable could be assigned)
    ("let n = 0\nconst add = () => n += 1", QuerySyntaxError, "write it in braces: { n += 1 }", 2, 21),
    ("let a = 1\nconst b = a = 2", QuerySyntaxError, "an assignment is a statement of its own", 2, 13),
    ("let a = 1\nwhere({ a: 1 + a = 2 })", QuerySyntaxError, "an assignment is a statement of its own", 2, 18),
    ("const = 1", QuerySyntaxError, "unexpected '='; expected a name", 1, 7),
    ("where({ a: 1 ? 2 })", QuerySyntaxError, "expected ':'", 1, 18),
    # constructs outside the subset are named
    ("for (let i = 0; i < 3; i++) {}", QuerySyntaxError, "loops are not supported", 1, 1),
    ("while (true) {}", QuerySyntaxError, "loops are not supported", 1, 1),
    ("do {} while (0)", QuerySyntaxError, "loops are not supported", 1, 1),
    ("function f() {}", QuerySyntaxError, "functions are not supported", 1, 1),
    ("const f = (a, b = 1) => a", QuerySyntaxError, "parameters must be plain names", 1, 13),
    ("const f = ({ a }) => a", QuerySyntaxError, "parameters must be plain names", 1, 19),
    ("const f = x\n=> x", QuerySyntaxError, "a line break cannot come before '=>'", 2, 1),
    ("const f = x\r=> x", QuerySyntaxError, "a line break cannot come before '=>'", 1, 13),
    ("class A {}", QuerySyntaxError, "classes are not supported", 1, 1),
    ("where(this)", QuerySyntaxError, "'this' is not supported", 1, 7),
    ("import x from 'y'", QuerySyntaxError, "'import' is not supported", 1, 1),
    ("where([...Inputs.O])", ScriptError, "object is not iterable", 1, 11),
    ("let i = 0; i++", QuerySyntaxError, "'++' is not supported", 1, 13),
    ("where({ v: 2 ** 3 })", QuerySyntaxError, "'**' is not supported", 1, 14),
    ("where({ v: 1 | 2 })", QuerySyntaxError, "bitwise operator '|' is not supported", 1, 14),
    ("where({ v: 'a' in Inputs })", QuerySyntaxError, "the 'in' operator is not supported", 1, 16),
    ("const x; where({ x })", QuerySyntaxError, "Missing initializer in const declaration", 1, 7),
    ("let x = 1; let x = 2", QuerySyntaxError, "Identifier 'x' has already been declared", 1, 16),
    # runtime errors point at the offending node
    (
        "where({ a: Inputs.x.y })",
        ScriptError,
        "Cannot read properties of undefined (reading 'y')",
        1,
        21,
    ),
    (
        "const o = null\nwhere({ a: o.b })",
        ScriptError,
        "Cannot read properties of null (reading 'b')",
        2,
        14,
    ),
    (
        "where({ a: Inputs.x.trim() })",
        ScriptError,
        "Cannot read properties of undefined (reading 'trim')",
        1,
        21,
    ),
    ("where({ a: nope })", ScriptError, "nope is not defined", 1, 12),
    ("x = 1", ScriptError, "x is not defined", 1, 1),
    ("const c = 1\nc = 2", ScriptError, "Assignment to constant variable 'c'", 2, 1),
    ("Math = 1", ScriptError, "'Math' is read-only", 1, 1),
    # a clash JavaScript refuses before running, also where the interpreter never goes
    ("if (false) { let b = 1; let b = 2 }", QuerySyntaxError, "Identifier 'b' has already been declared", 1, 29),
    ("let a = 1\nif (false) { var a = 2 }", QuerySyntaxError, "Identifier 'a' has already been declared", 2, 18),
    ("const f = (x) => { let x = 1 }", QuerySyntaxError, "Identifier 'x' has already been declared", 1, 24),
    ("const Math = 1", ScriptError, "'Math' is built in and cannot be declared", 1, 7),
    ("let $x = 1", QuerySyntaxError, "Identifier '$x' has already been declared: it is a parameter", 1, 5),
    ("if (1) { let $x = 1 }", ScriptError, "'$x' is an input and cannot be declared", 1, 14),
    ("where({ a: 'abc'.foo() })", ScriptError, "Unknown method 'foo' on string", 1, 18),
    ("where({ a: 'abc'.length() })", ScriptError, "'abc'.length is not a function (number)", 1, 18),
    ("where({ a: [1, 2].length() })", ScriptError, "[1, 2].length is not a function (number)", 1, 19),
    ("where({ a: 'abc'.foo })", ScriptError, "Unknown property 'foo' on string", 1, 18),
    ("where({ a: 'abc'.trim })", ScriptError, "'trim' must be called", 1, 18),
    # an inherited Object.prototype member is a function in JavaScript (typeof 'function',
    # truthy); it read as undefined, so `if (Inputs.toString)` went the other way
    ("where({ a: typeof Inputs.toString })", ScriptError, "'toString' is not supported in filter scripts: every", 1, 26),
    ("where({ a: typeof ({}).toString })", ScriptError, "inherits it from Object.prototype", 1, 24),
    ("where({ a: Inputs.O['hasOwnProperty'] })", ScriptError, "'hasOwnProperty' is not supported", 1, 21),
    ("if (Inputs.valueOf) where({})", ScriptError, "'valueOf' is not supported", 1, 12),
    ("where({ a: Inputs.toString?.() })", ScriptError, "Unknown method 'toString' on object", 1, 19),
    ("where({ a: [1].map(1) })", ScriptError, "map() needs a function, not number", 1, 16),
    ("where({ a: [1].entries() })", ScriptError, "Unknown method 'entries' on array", 1, 16),
    ("where({ a: Inputs.S() })", ScriptError, "Inputs.S is not a function (string)", 1, 19),
    ("where({ a: Inputs.O.k() })", ScriptError, "Inputs.O.k is not a function (number)", 1, 21),
    ("where({ a: (1)() })", ScriptError, "(1) is not a function (number)", 1, 12),
    # an arrow further on is not the one whose parameters hold the error
    ("where({ a: [0, ((z) => { p: 1 })].map(y => y) })", QuerySyntaxError, "a '{' at the start of a statement opens a block", 1, 27),
    # the callee as written, without the line break before '(' that continues the statement
    ("const a = 1\n(2)", ScriptError, "1 is not a function (number)", 1, 11),
    ("const o = { f: 1 }\nconst b = o.f\n(2)", ScriptError, "o.f is not a function (number)", 2, 13),
    ("const b = 'x'.length  \n(2)", ScriptError, "'x'.length is not a function (number)", 1, 15),
    ("where({ a: new Foo() })", ScriptError, "'new Foo' is not supported in filter scripts", 1, 16),
    ("where({ a: Date() })", ScriptError, "Date(...) must be called with new", 1, 12),
    ("where({ a: Math.foo(1) })", ScriptError, "'Math.foo' is not supported", 1, 17),
    ("where({ a: 'x'.repeat(-1e308) })", ScriptError, "Invalid count value: -1e+308 (repeat)", 1, 16),
    ("where({ a: 'x'.repeat(-1.5) })", ScriptError, "Invalid count value: -1.5 (repeat)", 1, 16),
    (
        "where({ a: JSON.parse('['.repeat(5000) + ']'.repeat(5000)) })",
        ScriptError,
        "JSON.parse: the text nests too deeply (max 200)",
        1,
        17,
    ),
    # the hint is the call to write, not `floor(...)`, which is no global
    ("where({ a: Math.floor })", ScriptError, "'Math.floor' must be called: Math.floor(...)", 1, 17),
    ("where(Math)", ScriptError, "'Math' cannot be used as a value", 1, 7),
    (
        "where({ a: /a/.test('a') })",
        ScriptError,
        "regular expressions only work as matchesRegex",
        1,
        16,
    ),
    (
        "where({ a: 'a-b'.split(/-/) })",
        ScriptError,
        "regular expressions are not supported in split()",
        1,
        18,
    ),
    ("where({ d: new Date('x').toISOString() })", ScriptError, "Invalid time value", 1, 26),
    ("where({ a: (1).toFixed(101) })", ScriptError, "toFixed() digits argument", 1, 16),
    ("where({ a: JSON.parse('{') })", ScriptError, "JSON.parse:", 1, 17),
    # the names that must never reach anything
    ("eval('1')", ScriptError, "'eval' is not supported in filter scripts", 1, 1),
    ("where({ a: window })", ScriptError, "'window' is not supported", 1, 12),
    ("where({ a: globalThis.x })", ScriptError, "'globalThis' is not supported", 1, 12),
    ("where({ a: require('fs') })", ScriptError, "'require' is not supported", 1, 12),
    ("where({ a: process.env })", ScriptError, "'process' is not supported", 1, 12),
    ("where({ a: Function('x') })", ScriptError, "'Function' is not supported", 1, 12),
    ("where({ a: Inputs.constructor })", ScriptError, "'constructor' is not supported", 1, 19),
    ("where({ a: 'x'.constructor })", ScriptError, "'constructor' is not supported", 1, 16),
    ("where({ a: Inputs['__proto__'] })", ScriptError, "'__proto__' is not supported", 1, 19),
    ("where({ a: [].__class__ })", ScriptError, "'__class__' is not supported", 1, 15),
    (
        "where({ a: Inputs.O['proto' + 'type'] })",
        ScriptError,
        "'prototype' is not supported",
        1,
        21,
    ),
    ("where({ a: Math.constructor })", ScriptError, "'constructor' is not supported", 1, 17),
    ("where({ __proto__: {} })", ScriptError, "'__proto__' is not supported", 1, 9),
    ("where({ ['constructor']: 1 })", ScriptError, "'constructor' is not supported", 1, 10),
    ("where({ a: $constructor })", ScriptError, "'constructor' is not supported", 1, 12),
    ("const eval = 1", ScriptError, "'eval' is not supported", 1, 7),
    ("where({ a: new Function('x') })", ScriptError, "'Function' is not supported", 1, 16),
]


@pytest.mark.parametrize(("script", "cls", "message", "line", "column"), ERRORS)
def test_error(script: str, cls: type, message: str, line: int, column: int) -> None:
    with pytest.raises(cls) as info:
        run_script(script, {"S": "s", "O": {"k": 1}, "A": [1]})
    err = info.value
    assert message in err.message
    assert (err.line, err.column) == (line, column)
    assert err.source == script


def test_an_own_key_named_like_an_inherited_member_reads_as_any_key() -> None:
    ran = run_script("where({ a: Inputs.toString, b: { valueOf: 2 }.valueOf, c: Inputs.O.toLocaleString })",
                     {"toString": "mine", "O": {"toLocaleString": None}})
    assert ran.where == {"a": "mine", "b": 2, "c": None}


def test_str_of_an_error_shows_the_line_and_a_caret() -> None:
    with pytest.raises(ScriptError) as info:
        run_script("const a = 1\nwhere({ x: Inputs.Post.id })")
    text = str(info.value)
    assert text.startswith("line 2, column 24: Cannot read properties of undefined")
    assert text.splitlines()[1:] == [
        "   2 | where({ x: Inputs.Post.id })",
        "                              ^",
    ]


def test_the_caret_ignores_a_bom_and_zero_width_characters() -> None:
    # A script saved with a BOM (or holding a zero-width space) put the caret one cell to the
    # right of the place on a terminal, which shows those characters as nothing.
    for script in ["\ufeffwhere({ x: y })", "where({ x: '\u200b', z: y })"]:
        with pytest.raises(ScriptError) as info:
            run_script(script)
        source_line, caret_line = str(info.value).splitlines()[1:]
        shown = source_line.replace("\ufeff", "").replace("\u200b", "")
        assert shown[len(caret_line) - 1] == "y", script


def test_syntax_errors_never_show_lark() -> None:
    for script in ["where(", "where({a: 1)", "a b", "}", "((", "const", "if (", "x ? y", "`${"]:
        with pytest.raises(QuerySyntaxError) as info:
            parse_script(script)
        assert "lark" not in str(info.value).lower()
        assert "Token" not in str(info.value)
        assert info.value.line is not None


def test_an_arrow_function_given_to_where_is_named_as_written(sample_db) -> None:
    """A function inside where()'s value is refused by the operand checks; their message
    showed '<querylang.script.values.Function object at 0x7f…>'. Found passing callbacks
    to where()."""
    with pytest.raises(QueryTypeError) as info:
        sample_db.query("Post", "where({ score: { greaterThan: x => 1 } })")
    assert "Function x => 1 can never match it" in str(info.value)
    with pytest.raises(QueryTypeError) as info:
        sample_db.query("Post", "where({ tags: [(a, b) => a + b] })")
    assert "Function (a, b) => a + b is not a query value" in str(info.value)


def test_a_let_used_before_its_declaration_is_an_error_at_the_use() -> None:
    """`{ x = 5; let x = 2 }` assigned the outer x (and `let x = x + 1` read it) where
    JavaScript throws: the inner x exists, uninitialised, from the top of its block."""
    with pytest.raises(ScriptError, match="Cannot access 'x' before initialization") as info:
        run_script("let x = 1\n{ x = 5; let x = 2 }\nwhere({ x })")
    assert (info.value.line, info.value.column) == (2, 3)
    with pytest.raises(ScriptError, match="Cannot access 'y' before initialization"):
        run_script("const y = 1\n{ where({ a: typeof y })\n  const y = 2 }")
    assert run_script("let x = 1\n{ let x = 2 }\nwhere({ x })").where == {"x": 1}


REGEX_AS_VALUE = [
    # (the script, the key, its search as the hint writes it, the literal's own search)
    ("where({ title: /café/ })", "title", "{ matchesRegex: 'café' }", "{ matchesRegex: /café/ }"),
    ("where({ body: { equalTo: /CAFÉ/i } })", "body", "{ matchesRegex: 'CAFÉ', options: 'i' }", "{ matchesRegex: /CAFÉ/i }"),
    ("where({ tags: /^\\w+e/g })", "tags", "{ matchesRegex: '^\\\\w+e' }", "{ matchesRegex: /^\\w+e/ }"),
    ("where({ 'meta.lang': /'|e/ })", "'meta.lang'", "{ matchesRegex: '\\'|e' }", "{ matchesRegex: /'|e/ }"),
    # through a Pointer the field is the target's (User's name), the key the path
    ("where({ 'author.name': /A/i })", "'author.name'", "{ matchesRegex: 'A', options: 'i' }", "{ matchesRegex: /A/i }"),
]


@pytest.mark.parametrize(("script", "key", "condition", "search"), REGEX_AS_VALUE)
def test_a_regex_literal_as_a_fields_value_is_hinted_as_matches_regex(
        sample_db, script: str, key: str, condition: str, search: str) -> None:
    """A regex literal given as a field's value (equalTo) said only that it "can never match":
    a script searches by a pattern with matchesRegex, and the hint writes that condition as a
    pattern string and options, which runs as written under the key (and as Noodl sends it to
    Parse)."""
    for ask in (lambda: sample_db.query("Post", script),
                lambda: querylang.to_parse_where(script, schema=sample_db.schema, class_name="Post")):
        with pytest.raises(QueryTypeError) as info:
            ask()
        assert info.value.hint == f"a search by pattern is written {condition}"
        assert info.value.line == 1
    found = sample_db.query("Post", f"where({{ {key}: {condition} }})").ids
    assert found and found == sample_db.query("Post", f"where({{ {key}: {search} }})").ids


@pytest.mark.parametrize("script", ["where({ score: /1/ })", "where({ meta: /x/ })", "where({ author: /u/ })"])
def test_a_regex_literal_on_a_field_matches_regex_refuses_gets_no_such_hint(sample_db, script: str) -> None:
    with pytest.raises(QueryTypeError) as info:
        sample_db.query("Post", script)
    assert info.value.hint is None
