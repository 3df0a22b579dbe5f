"""Hostile input: fuzzing every entry point, the script sandbox, injection, query limits.

What must hold, whatever the input:

* the only exception that leaves ``db.query`` / ``db.compile`` / ``db.load`` /
  ``parse_script`` / ``run_script`` is a :class:`QueryError` (a syntax error with a line and
  a column); never a ``RecursionError``, a hang or a crash (the deep and huge inputs run in a
  child process with a time bound, see ``DEEP``);
* a script cannot reach anything outside the JavaScript subset (``SANDBOX``);
* hostile strings in values, field names, class names and sort keys give a clean
  ``QueryError`` or the reference evaluator's answer, never change the database, and never
  appear in the SQL text (values travel as parameters only);
* the timeout, ``max_rows``, script size, nesting depth and step limits are enforced.

Engine bugs found here are ``xfail(strict=True)`` tests named after them; while a bug is in
``KNOWN_BUGS`` the properties steer around its trigger so they keep hunting for new ones.
"""

from __future__ import annotations

import builtins
import hashlib
import itertools
import json
import math
import random
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st

import querylang
from querylang import (
    DataError,
    LimitExceeded,
    QueryError,
    QuerySyntaxError,
    QueryTimeout,
    QueryTypeError,
    SchemaError,
    ScriptError,
)
from querylang.engines.duckdb.decode import make_decoder
from querylang.engines.postgres.parse_rows import stored_row_decoder
from querylang.model.jsvalues import UNDEFINED
from querylang.script.interpreter import MAX_ARRAY_LENGTH, MAX_STEPS, MAX_STRING_LENGTH, run_script
from querylang.script.parser import MAX_DEPTH, MAX_SCRIPT_SIZE, parse_script

HERE = Path(__file__).parent
ROOT = HERE.parent
DATASET = HERE / "conformance" / "dataset.json"
SAMPLE: dict[str, Any] = json.loads(DATASET.read_text(encoding="utf-8"))
CASES: list[dict[str, Any]] = [
    json.loads(line)
    for line in (HERE / "conformance" / "cases.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]

# Engine bugs the properties below would keep finding (each has an xfail test). While an entry
# is here, the generators steer around its trigger so the properties keep hunting for new
# bugs; delete it when the fix lands. (Other bugs found here are xfail tests only.)
KNOWN_BUGS = {
    # Owned by test_load.py (see tests/strategies.py): none open.

}


def steer(text: str) -> str:
    """Keep generated scripts away from the triggers of the known bugs."""
    if "dot-unicode-digit" in KNOWN_BUGS:
        assume(not any(a == "." and b.isdigit() and not b.isascii() for a, b in zip(text, text[1:], strict=False)))
    return text


# --- helpers ---------------------------------------------------------------------------------


def db_hash(db: querylang.Database) -> str:
    """sha256 over every table's rows (``ORDER BY ALL``), the table list and the index list."""
    con = db.store.con.cursor()
    try:
        h = hashlib.sha256()
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() ORDER BY ALL"
        ).fetchall()
        for schema, table in tables:
            h.update(repr(("table", schema, table)).encode("utf-8", "surrogatepass"))
            q = f'SELECT * FROM "{schema}"."{table.replace(chr(34), chr(34) * 2)}" ORDER BY ALL'
            for row in con.execute(q).fetchall():
                h.update(repr(row).encode("utf-8", "surrogatepass"))
        for row in con.execute(
            "SELECT table_name, index_name FROM duckdb_indexes() ORDER BY ALL"
        ).fetchall():
            h.update(repr(("index", *row)).encode("utf-8", "surrogatepass"))
        for row in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY ALL"
        ).fetchall():
            h.update(repr(("view", *row)).encode("utf-8", "surrogatepass"))
        return h.hexdigest()
    finally:
        con.close()


def db_fingerprint(db: querylang.Database) -> list[tuple]:
    """A quick per-example check: the table and index lists and each table's rows, hashed in DuckDB."""
    con = db.store.con.cursor()
    try:
        tables = con.execute("SELECT table_name FROM duckdb_tables() ORDER BY ALL").fetchall()
        parts = [
            "SELECT 'tables', count(*)::BIGINT, bit_xor(hash(schema_name, table_name)) FROM duckdb_tables()",
            "SELECT 'indexes', count(*)::BIGINT, bit_xor(hash(index_name)) FROM duckdb_indexes()",
        ]
        for (table,) in tables:
            quoted = '"' + table.replace('"', '""') + '"'
            parts.append(f"SELECT ?, count(*)::BIGINT, bit_xor(hash(x)) FROM {quoted} AS x")
        return con.execute(" UNION ALL ".join(parts), [t for (t,) in tables]).fetchall()
    finally:
        con.close()


class Unchanged:
    """Asserts a database is not changed: a quick fingerprint per example, the full hash at the end."""

    def __init__(self, db: querylang.Database) -> None:
        self.db = db
        self.full = db_hash(db)
        self.quick = db_fingerprint(db)

    def check(self) -> None:
        assert db_fingerprint(self.db) == self.quick, "the database changed"

    def check_full(self) -> None:
        assert db_hash(self.db) == self.full, "the database changed"


def check_error(err: QueryError, text: str | None = None) -> None:
    """A QueryError is well formed: a code, a message, a position for syntax errors, str() works."""
    assert isinstance(err.code, int)
    assert isinstance(err.message, str) and err.message
    if isinstance(err, QuerySyntaxError):
        assert err.line is not None and err.column is not None, f"syntax error without position: {err.message}"
    if err.line is not None:
        assert err.line >= 1 and err.column is not None and err.column >= 1
        if text is not None:
            assert err.line <= text.count("\n") + 1, (err.line, err.message)
    rendered = str(err)
    assert err.message in rendered
    if err.line is not None:
        assert rendered.startswith(f"line {err.line}, column {err.column}: ")


def attempt(fn, text: str | None = None) -> Any:
    """Run ``fn``; a QueryError is checked and returned, anything else propagates (= a bug)."""
    try:
        return fn()
    except QueryError as err:
        check_error(err, text)
        return err


def hit_entry_points(db: querylang.Database, text: str, cls: str = "Post", inputs: dict | None = None) -> Any:
    """Feed one script to parse_script, run_script, db.compile and db.query.

    Returns the query result (or its QueryError). When the query succeeds, the reference
    evaluator must give the same records in the same order.
    """
    attempt(lambda: parse_script(text), text)
    attempt(lambda: run_script(text, inputs or {}), text)
    attempt(lambda: db.compile(cls, text, inputs=inputs), text)
    res = attempt(lambda: db.query(cls, text, inputs=inputs), text)
    event(f"query: {type(res).__name__}")
    if not isinstance(res, QueryError):
        ref = db.reference(cls, text, inputs=inputs)
        assert res.ids == ref.ids
    return res


@pytest.fixture(scope="module")
def db() -> querylang.Database:
    d = querylang.connect()
    d.load(SAMPLE)
    return d


@pytest.fixture(scope="module")
def sample_guard(db) -> Unchanged:
    return Unchanged(db)


# --- 1. parser fuzzing -------------------------------------------------------------------------

# Pieces a filter script is made of, valid and not: token soup reaches deeper into the grammar
# and the interpreter than random characters do.
TOKENS = (
    "where", "filter", "sort", "Inputs", "$Id", "$x", "Date", "Math", "JSON", "Number", "String",
    "new", "if", "else", "const", "let", "var", "return", "typeof", "true", "false", "null",
    "undefined", "NaN", "Infinity", "x", "y", "title", "score", "tags", "meta", "author",
    "published", "publishedAt", "location", "equalTo", "notEqualTo", "greaterThan", "lessThan",
    "containedIn", "notContainedIn", "matchesRegex", "options", "pointsTo", "relatedTo",
    "idEqualTo", "idContainedIn", "and", "or", "exists", "key", "id",
    "(", ")", "[", "]", "{", "}", "${", ";", ",", ".", "?.", ":", "?", "=", "+=", "==", "===",
    "!=", "!==", "<", ">=", "+", "-", "*", "/", "%", "!", "&&", "||", "??", "=>", "...", "++",
    "**", "&", "'a'", '"b"', "'p001'", "'u01'", "`t${x}`", "`", "'", '"', "/a+/i", "/[/", "1",
    "0", "0.5", "1e3", "0x1F", "-0", "09", "1_000", ".5", "1n", "//c\n", "/*c*/", "/*", "\n", " ",
    "\t", "constructor", "__proto__", "while", "for", "function", "this", "import", "class",
    "'\\u0041'", "'\\x'", "'\\u{1F600}'", "'\\u{110000}'", "Inputs.x", "now", "getTime", "length",
    "repeat", "split", "join", "toISOString", "\u2028", "\u00a0", "\ufeff", "\u202e", "é", "😀",
)

EXTRA_SCRIPTS = (
    ("Post", "const min = Inputs.Min ?? 3\nif (min > 2) { where({ score: { greaterThan: min } }) }\nelse where({})", {"Min": 4}),
    ("Post", "// comment\nwhere({ title: { matchesRegex: /^p(ointer)?/i } }) /* x */\nsort(['-score', 'title'])", {}),
    ("Post", "let t = `pointer ${'index'}`\nwhere({ title: { matchesRegex: t, options: 'i' } })", {}),
    ("Post", "where({ publishedAt: { lessThan: new Date(Date.UTC(2024, 5, 1)) } })\nsort(['publishedAt'])", {}),
    ("Post", "var tags = ['a', 'b'].concat(Inputs.More || [])\nwhere({ or: [{ tags: { containedIn: tags } }, { score: null }] })", {"More": ["c"]}),
    ("Comment", "where({ Owner: { pointsTo: $Post }, likes: { greaterThanOrEqualTo: Math.max(1, 2) } })", {"Post": "p015"}),
    ("Post", "where({ meta: { equalTo: { lang: 'en' } }, idContainedIn: ['p001', 'p002', 'p003'] })", {}),
    ("Post", "const s = 'a,b'.split(',').join('|')\nwhere({ title: { notEqualTo: s.toUpperCase() + String(1) } })", {}),
    ("User", "where({ relatedTo: { id: Inputs.G, key: 'members', className: 'Group' } })", {"G": "g1"}),
    ("User", "where({ age: { greaterThan: Number('20'), lessThan: parseInt('60', 10) } })\nsort('name,-age')", {}),
)

SEEDS: tuple[tuple[str, str, dict[str, Any]], ...] = tuple(
    (c["class"], c["script"], c["inputs"]) for c in CASES
) + EXTRA_SCRIPTS

_TOKEN_RE = re.compile(
    r"""\s+|//[^\n]*|/\*.*?\*/|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`"""
    r"""|\d[\w.]*|[A-Za-z_$][\w$]*|\?\.|\.\.\.|===?|!==?|[<>]=?|&&|\|\||\?\?|=>|\$\{|.""",
    re.S,
)


def tokens(text: str) -> list[str]:
    return _TOKEN_RE.findall(text)


@st.composite
def mutated_scripts(draw: st.DrawFn) -> tuple[str, str, dict[str, Any]]:
    """A valid script cut, with tokens deleted, duplicated, swapped, inserted or changed."""
    cls, script, inputs = draw(st.sampled_from(SEEDS))
    toks = tokens(script)
    assert "".join(toks) == script
    for _ in range(draw(st.integers(1, 3))):
        if not toks:
            break
        i = draw(st.integers(0, len(toks) - 1))
        j = draw(st.integers(0, len(toks) - 1))
        op = draw(st.sampled_from(("cut", "cut_front", "delete", "duplicate", "swap", "insert", "replace", "char")))
        if op == "cut":
            toks = toks[:i]
        elif op == "cut_front":
            toks = toks[i:]
        elif op == "delete":
            del toks[i : max(i, j) + 1]
        elif op == "duplicate":
            lo, hi = min(i, j), max(i, j) + 1
            toks[hi:hi] = toks[lo:hi]
        elif op == "swap":
            toks[i], toks[j] = toks[j], toks[i]
        elif op == "insert":
            toks.insert(i, draw(st.sampled_from(TOKENS)))
        elif op == "replace":
            toks[i] = draw(st.sampled_from(TOKENS))
        else:  # one character of one token
            t = toks[i]
            k = draw(st.integers(0, len(t)))
            toks[i] = t[:k] + draw(st.characters(exclude_categories=("Cs",))) + t[k + 1 :]
    return cls, "".join(toks), inputs


token_soup = st.lists(st.sampled_from(TOKENS), max_size=40).map(" ".join) | st.lists(
    st.sampled_from(TOKENS), max_size=40
).map("".join)
JS_CHARS = "(){}[]'\"`$.,;:?!=<>+-*/%&|^~\\ \n\t\r0123456789abexwhrInputs_\u2028\u00a0é😀"


@given(text=st.text())
def test_fuzz_random_text(db, text):
    hit_entry_points(db, steer(text))


@given(text=st.text(alphabet=JS_CHARS, max_size=60))
def test_fuzz_script_characters(db, text):
    hit_entry_points(db, steer(text))


@given(text=token_soup)
@example(text="where ( { title : ' a ' } ) sort ( [ ' title ' ] )")
def test_fuzz_token_soup(db, text):
    hit_entry_points(db, steer(text))


@given(raw=st.binary(max_size=200), mode=st.sampled_from(("replace", "surrogateescape", "ignore")))
def test_fuzz_random_bytes(db, raw, mode):
    """Bytes decoded as text; surrogateescape leaves lone surrogates in the string."""
    text = raw.decode("utf-8", errors=mode)
    assert isinstance(text, str)
    hit_entry_points(db, steer(text))


def test_fuzz_mutated_valid_scripts(db, sample_guard):
    @given(case=mutated_scripts())
    def prop(case):
        cls, text, inputs = case
        hit_entry_points(db, steer(text), cls, inputs)
        sample_guard.check()

    prop()
    sample_guard.check_full()


def test_seed_scripts_are_valid(db):
    """The mutation seeds run (so the fuzzers start from scripts that work)."""
    for cls, script, inputs in SEEDS:
        res = db.query(cls, script, inputs=inputs)
        assert res.ids == db.reference(cls, script, inputs=inputs).ids


@pytest.mark.parametrize("text", [".²", "where({ score: .³ })", "x = .¹"])
def test_dot_then_unicode_digit(text):
    with pytest.raises(QuerySyntaxError):
        parse_script(text)


@pytest.mark.parametrize("text", ["where({ score: .١ })", "where({ score: 1.١ })", "where({ score: 1e١ })"])
def test_numbers_are_ascii_digits_only(text):
    with pytest.raises(QuerySyntaxError):
        run_script(text)


@pytest.mark.parametrize(
    "text,sep",
    [
        ("a = 1\x0cwhere(@)", "\\x0c (form feed)"),
        ("x = 1\u2028where(@)", "U+2028"),
        ("// c\rwhere(@)", "lone CR"),
        ("where(1)\x85@", "U+0085"),
    ],
)
def test_caret_view_shows_the_offending_line(text, sep):
    with pytest.raises(QuerySyntaxError) as info:
        run_script(text)
    shown = info.value.caret_view().splitlines()[0]
    assert "@" in shown, f"{sep}: {str(info.value)!r}"


@pytest.mark.parametrize(("before", "cells"), [("'x'", 3), ("'😀😀'", 6), ("'漢字'", 6), ("'e\u0301'", 3), ("'\t'", 3)])
def test_the_caret_counts_terminal_cells(before, cells):
    """The caret stands under the offending column on a terminal: wide characters (emoji,
    CJK) take two cells, combining marks none (it used to count characters)."""
    text = f"where({{ title: {before}, @ }})"
    with pytest.raises(QuerySyntaxError) as info:
        run_script(text)
    line, caret = info.value.caret_view().splitlines()
    head = "where({ title: "
    offset = len(line) - len(line.lstrip(" 0123456789|")) + len(head)  # where the script starts in the view
    pad = caret[offset:-1]
    assert caret.endswith("^") and pad.replace("\t", " ") == " " * (cells + 2), (line, caret)


# --- random and mutated interchange documents --------------------------------------------------

_BIG = 2**63 if "huge-int-overflow" in KNOWN_BUGS else 10**400
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-_BIG, _BIG)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8)
    | st.sampled_from(("2024-01-01T00:00:00Z", "p001", "u01", "Post", "User", "String", ""))
)
json_values = st.recursive(
    json_scalars,
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=6), c, max_size=4),
    max_leaves=12,
)
TYPE_NAMES = ("String", "Number", "Boolean", "Date", "Array", "Object", "Pointer", "Relation", "GeoPoint", "string", "Int", "")
NAMES = st.sampled_from(("Post", "User", "A", "B", "title", "x", "objectId", "createdAt", "ACL", "1a", "a-b", "", "a b")) | st.text(max_size=5)


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    """Interchange documents that are roughly the right shape, with random details."""
    classes = {}
    for name in draw(st.lists(NAMES, max_size=3)):
        fields = {}
        for fname in draw(st.lists(NAMES, max_size=3)):
            spec: Any = {"type": draw(st.sampled_from(TYPE_NAMES))}
            if draw(st.booleans()):
                spec["targetClass"] = draw(NAMES)
            fields[fname] = spec if draw(st.integers(0, 9)) else draw(json_values)
        classes[name] = {"fields": fields} if draw(st.integers(0, 9)) else draw(json_values)
    doc: dict[str, Any] = {"classes": classes}
    records = {}
    for name in draw(st.lists(NAMES | st.sampled_from(list(classes) or ["Post"]), max_size=2)):
        rows = []
        for _ in range(draw(st.integers(0, 3))):
            rec = draw(st.dictionaries(NAMES, json_values, max_size=4))
            if draw(st.booleans()):
                rec["objectId"] = draw(st.sampled_from(("r1", "r2", "p001", "")) | json_scalars)
            rows.append(rec)
        records[name] = rows if draw(st.integers(0, 9)) else draw(json_values)
    if records:
        doc["records"] = records
    if draw(st.booleans()):
        doc["relations"] = draw(
            st.lists(
                st.fixed_dictionaries(
                    {}, optional={"class": NAMES, "objectId": json_scalars, "key": NAMES, "targetId": json_scalars, "targetClass": NAMES}
                )
                | json_values,
                max_size=3,
            )
        )
    if draw(st.integers(0, 9)) == 0:
        doc[draw(st.text(max_size=4))] = draw(json_values)
    return doc


SMALL_DOC = {
    "classes": {
        "Author": {"fields": {"name": {"type": "String"}, "born": {"type": "Date"}}},
        "Book": {
            "fields": {
                "title": {"type": "String"},
                "pages": {"type": "Number"},
                "tags": {"type": "Array"},
                "info": {"type": "Object"},
                "by": {"type": "Pointer", "targetClass": "Author"},
                "where": {"type": "GeoPoint"},
                "ok": {"type": "Boolean"},
                # Last: a Relation followed by other fields hits the known bug
                # "relation-shifts-columns" (tests/strategies.py).
                "readers": {"type": "Relation", "targetClass": "Author"},
            }
        },
    },
    "records": {
        "Author": [{"objectId": "a1", "name": "Ann", "born": "1970-01-01T00:00:00.000Z"}, {"objectId": "a2", "name": "Bo"}],
        "Book": [
            {"objectId": "b1", "title": "T", "pages": 10, "tags": ["x", 1], "info": {"k": [1]}, "by": "a1",
             "where": {"latitude": 1, "longitude": 2}, "ok": True},
            {"objectId": "b2", "title": None, "by": {"__type": "Pointer", "className": "Author", "objectId": "a2"}},
        ],
    },
    "relations": [{"class": "Book", "objectId": "b1", "key": "readers", "targetId": "a2"}],
}


def _paths(value: Any, path: tuple = ()) -> list[tuple]:
    out = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*path, i))
    return out


@st.composite
def mutated_documents(draw: st.DrawFn) -> dict[str, Any]:
    """SMALL_DOC with one to three nodes replaced, deleted or duplicated."""
    doc = json.loads(json.dumps(SMALL_DOC))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for k in path[:-1]:
            parent = parent[k]
        last = path[-1]
        op = draw(st.sampled_from(("replace", "delete", "duplicate", "retype")))
        if op == "replace":
            parent[last] = draw(json_values)
        elif op == "delete":
            del parent[last]
        elif op == "duplicate" and isinstance(parent, list):
            parent.append(json.loads(json.dumps(parent[last])))
        elif op == "duplicate":
            parent[str(last) + "2"] = json.loads(json.dumps(parent[last]))
        else:
            parent[last] = draw(st.sampled_from(TYPE_NAMES)) if isinstance(parent[last], str) else str(parent[last])
    return doc


def steer_document(db: querylang.Database, source: Any) -> None:
    """Skip documents that would hit the known bug "relation-shifts-columns"."""
    if "relation-shifts-columns" not in KNOWN_BUGS:
        return
    doc = source
    if isinstance(source, (str, Path)):
        try:
            doc = json.loads(Path(source).read_bytes())
        except (ValueError, RecursionError):
            return
    if not isinstance(doc, dict):
        return
    if "empty-pointer-object" in KNOWN_BUGS:
        assume('"objectId": ""' not in json.dumps(doc))
    from querylang.interchange.document import merge_schema

    try:
        merged = merge_schema(db.schema, doc.get("classes", {}))
    except QueryError:
        return
    except Exception:  # a bug merge_schema has on this input: let the load show it
        return
    for cls in merged.classes.values():
        types = [f.type for f in cls.user_fields]
        assume("Relation" not in types[:-1])  # a Relation may only be the last field


def _load_checked(db: querylang.Database, source: Any) -> None:
    """A load either succeeds or raises a QueryError; a failed load changes nothing.

    The database's fingerprint is kept on it between examples (it only changes when a load
    succeeds), so each example costs one fingerprint, not two.
    """
    steer_document(db, source)
    before = getattr(db, "_test_fingerprint", None) or db_fingerprint(db)
    schema_before = db.schema.to_json()
    try:
        db.load(source)
    except QueryError as err:
        check_error(err)
        event(f"load: {type(err).__name__}")
        db._test_fingerprint = db_fingerprint(db)  # type: ignore[attr-defined]
        assert db._test_fingerprint == before, "a failed load changed the database"  # type: ignore[attr-defined]
        assert db.schema.to_json() == schema_before
    else:
        event("load: loaded")
        db._test_fingerprint = db_fingerprint(db)  # type: ignore[attr-defined]
        for name in db.schema.classes:  # everything loaded is queryable by both engines
            assert db.query(name, None, limit=0, count=True).count == db.reference(name, None, count=True, limit=0).count


@pytest.fixture(scope="module")
def load_db() -> querylang.Database:
    d = querylang.connect()
    d.load(SMALL_DOC)
    return d


@given(doc=documents())
def test_fuzz_load_random_documents(load_db, doc):
    _load_checked(load_db, doc)


_RUN = itertools.count()


def fresh_ids(doc: Any) -> Any:
    """SMALL_DOC's ids made unique to this example, so a mutated document can load into the
    shared database (ids repeated inside the document stay repeated)."""
    n = next(_RUN)
    text = json.dumps(doc)
    for oid in ("a1", "a2", "b1", "b2"):
        text = text.replace(f'"{oid}"', f'"{oid}_{n}"')
    return json.loads(text)


@given(doc=mutated_documents())
def test_fuzz_load_mutated_documents(load_db, doc):
    _load_checked(load_db, fresh_ids(doc))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=min(settings().max_examples, 200))
@given(
    content=st.one_of(
        st.binary(max_size=300),
        st.text(max_size=300).map(lambda s: s.encode("utf-8")),
        mutated_documents().map(lambda d: json.dumps(fresh_ids(d)).encode()),
        st.tuples(st.just(json.dumps(SMALL_DOC)), st.integers(0, 2000), st.integers(0, 2000)).map(
            lambda t: (t[0][: t[1]] + t[0][t[2] :]).encode()
        ),
        st.sampled_from((b"", b"[]", b"null", b"1", b'"x"', b"{}", b'{"classes": NaN}', b"\xef\xbb\xbf{}", b"\xff\xfe{\x00}\x00")),
    )
)
def test_fuzz_load_files(load_db, tmp_path, content):
    path = tmp_path / "doc.json"
    path.write_bytes(content)
    _load_checked(load_db, path if len(content) % 2 else str(path))


def test_load_missing_file_and_directory(load_db, tmp_path):
    for source in (tmp_path / "nope.json", tmp_path):
        with pytest.raises(DataError) as info:
            load_db.load(source)
        assert str(source) in str(info.value)


def test_empty_pointer_object_is_rejected():
    db = querylang.connect()
    doc = {"classes": {"A": {"fields": {"p": {"type": "Pointer", "targetClass": "A"}}}},
           "records": {"A": [{"objectId": "a1", "p": {"__type": "Pointer", "className": "A", "objectId": ""}}]}}
    try:
        db.load(doc)
    except DataError:
        return  # rejected: fine
    assert db.reference("A", None).ids == db.query("A", None).ids  # or loaded and readable


@pytest.mark.parametrize("source", [None, 5, b"{}", [1]], ids=["None", "int", "bytes", "list"])
def test_load_rejects_non_documents_cleanly(load_db, source):
    with pytest.raises(QueryError):
        load_db.load(source)


# --- deep and huge inputs, each in a child process with a time bound -------------------------

_CHILD_PRELUDE = textwrap.dedent(
    """
    import json, sys, time, traceback
    sys.setrecursionlimit(1000)  # the default, whatever the parent set
    import querylang
    from querylang import QueryError
    from querylang.script.parser import parse_script
    from querylang.script.interpreter import run_script

    DOC = json.loads(open(DATASET, encoding="utf-8").read())
    DB = querylang.connect()
    DB.load(DOC)

    def outcome(fn):
        try:
            fn()
        except QueryError as err:
            return ["QueryError", type(err).__name__, err.message[:200], err.line]
        except BaseException as err:
            return ["escaped", type(err).__name__, str(err)[:200], None]
        return ["ok", None, None, None]

    def entry_points(text, cls="Post", inputs=None):
        return {
            "parse_script": outcome(lambda: parse_script(text)),
            "run_script": outcome(lambda: run_script(text, inputs or {})),
            "compile": outcome(lambda: DB.compile(cls, text, inputs=inputs)),
            "query": outcome(lambda: DB.query(cls, text, inputs=inputs)),
        }

    def same_answer(cls, query, **kw):
        res = {}
        def go():
            res["ids"] = DB.query(cls, query, **kw).ids
            res["ref"] = DB.reference(cls, query, **kw).ids
        o = outcome(go)
        if o[0] == "ok":
            assert res["ids"] == res["ref"], "engines disagree"
            return {"answer": ["ok", len(res["ids"]), None, None]}
        return {"answer": o}

    def answer(cls, query, want, **kw):
        # db.query alone (the reference evaluator is slow on huge lists) against known ids
        res = {}
        o = outcome(lambda: res.update(ids=DB.query(cls, query, **kw).ids))
        if o[0] == "ok":
            assert res["ids"] == want, (res["ids"], want)
            return {"answer": ["ok", len(want), None, None]}
        return {"answer": o}

    def nest(depth, make, leaf):
        v = leaf
        for _ in range(depth):
            v = make(v)
        return v

    for line in sys.stdin:
        name, code = json.loads(line)
        ns = {k: v for k, v in globals().items()}
        t0 = time.perf_counter()
        try:
            exec(code, ns)
            result = ns["result"]
        except BaseException as err:
            result = {"harness": ["escaped", type(err).__name__, str(err)[:200], None]}
        elapsed = time.perf_counter() - t0
        print(json.dumps({"name": name, "result": result, "elapsed": elapsed}), flush=True)
    """
)

# name -> (code that sets `result` (a dict of outcome name -> outcome), bound in seconds).
# The bound is wall time for the case alone on a busy 2-core machine, several times what
# it takes on an idle one: a case that needs longer has effectively hung.
DEEP: dict[str, tuple[str, float]] = {
    "parens_10000": ("result = entry_points('(' * 10000)", 10),
    "brackets_10000": ("result = entry_points('[' * 10000)", 10),
    "braces_10000": ("result = entry_points('{' * 10000)", 10),
    "templates_10000": ("result = entry_points('`${' * 10000)", 10),
    "closed_arrays_10000": ("result = entry_points('where({ tags: ' + '[' * 10000 + ']' * 10000 + ' })')", 10),
    "object_literal_10000": ("result = entry_points('where(' + '{a:' * 10000 + '1' + '}' * 10000 + ')')", 10),
    "calls_10000": ("result = entry_points('String(' * 10000 + ')' * 10000)", 10),
    "unary_20000": ("result = entry_points('where(' + '!' * 20000 + '1)')", 10),
    "minus_10000": ("result = entry_points('where(' + '- ' * 10000 + '1)')", 10),
    "ternary_10000": ("result = entry_points('where(' + 'x?' * 10000 + 'x' + ':x' * 10000 + ')')", 10),
    "else_if_10000": ("result = entry_points('if (1) {} ' + 'else if (1) {} ' * 10000)", 10),
    "member_chain_20000": ("result = entry_points('where(Inputs' + '.a' * 20000 + ')')", 10),
    "script_10MB": ("result = entry_points('x' * 10_000_000)", 10),
    "script_10MB_comment": ("result = entry_points('where({})//' + 'x' * 10_000_000)", 10),
    "script_10MB_string": ("result = entry_points(\"where({ title: '\" + 'x' * 10_000_000 + \"' })\")", 10),
    "containedIn_100k_script_literal": (
        "ids = ','.join(repr('p%03d' % i) for i in range(100000))\n"
        "result = entry_points('where({ objectId: { containedIn: [' + ids + '] } })')",
        15,
    ),
    "containedIn_100k_filter_dict": (
        "vals = ['pointer index %d' % i for i in range(100000)]\n"
        "want = sorted(r['objectId'] for r in DOC['records']['Post'] if r.get('title') in set(vals))\n"
        "result = answer('Post', {'title': {'containedIn': vals}}, want)",
        15,
    ),
    "idContainedIn_100k_input": (
        "result = same_answer('Post', 'where({ idContainedIn: Inputs.ids })', "
        "inputs={'ids': ['p%03d' % i for i in range(100000)]})",
        15,
    ),
    "containedIn_100001_filter_dict": (
        "result = same_answer('Post', {'objectId': {'containedIn': ['x%d' % i for i in range(100001)]}})",
        10,
    ),
    "inputs_nested_10000": (
        "result = entry_points('where({ tags: Inputs.v })', inputs={'v': nest(10000, lambda v: [v], 1)})",
        10,
    ),
    "filter_value_nested_10000": (
        "result = same_answer('Post', {'meta': {'equalTo': nest(10000, lambda v: {'a': v}, 1)}})",
        10,
    ),
    "mismatched_operand_nested_10000": (
        "result = same_answer('Post', {'title': {'equalTo': nest(10000, lambda v: {'v': v}, 1)}})",
        10,
    ),
    "mismatched_list_operand_nested_10000": (
        "result = same_answer('Post', {'title': {'containedIn': nest(10000, lambda v: [v], 1)}})",
        10,
    ),
    "json_parse_nested_100000": (
        "result = entry_points('where({ tags: JSON.parse(Inputs.s) })', inputs={'s': '[' * 100000 + ']' * 100000})",
        10,
    ),
    "regex_nested_10000": (
        "result = same_answer('Post', {'title': {'matchesRegex': '(' * 10000 + 'a' + ')' * 10000}})",
        10,
    ),
    "load_record_object_nested_10000": (
        "doc = {'classes': {'Deep': {'fields': {'o': {'type': 'Object'}}}}, "
        "'records': {'Deep': [{'objectId': 'd1', 'o': nest(10000, lambda v: {'a': v}, 1)}]}}\n"
        "result = {'load': outcome(lambda: DB.load(doc))}",
        10,
    ),
    "filter_dict_and_10000": (
        "result = same_answer('Post', nest(10000, lambda v: {'and': [v]}, {'title': 'x'}))",
        10,
    ),
    "filter_dict_or_500": (
        "result = same_answer('Post', nest(500, lambda v: {'or': [v]}, {'title': 'x'}))",
        10,
    ),
    "load_json_file_nested_100000": (
        "import tempfile, os\n"
        "fd, p = tempfile.mkstemp(suffix='.json'); os.write(fd, b'{\"classes\": ' + b'[' * 100000 + b']' * 100000 + b'}'); os.close(fd)\n"
        "result = {'load': outcome(lambda: DB.load(p))}\n"
        "os.unlink(p)",
        10,
    ),
}
DEEP_BUGS: dict[str, str] = {
}
# What each case must give: "error" = a clean QueryError from every entry point; "ok" = the
# reference evaluator's answer; not listed = a clean error or an answer (never an escape).
DEEP_EXPECT = {
    **dict.fromkeys(
        ("parens_10000", "brackets_10000", "braces_10000", "templates_10000", "closed_arrays_10000",
         "object_literal_10000", "calls_10000", "script_10MB", "script_10MB_comment", "script_10MB_string",
         "containedIn_100001_filter_dict", "regex_nested_10000", "load_record_object_nested_10000",
         "load_json_file_nested_100000", "mismatched_operand_nested_10000",
         "mismatched_list_operand_nested_10000"),
        "error",
    ),
    "containedIn_100k_filter_dict": "ok",
    "idContainedIn_100k_input": "ok",
}


@pytest.fixture(scope="module")
def deep_results() -> dict[str, dict[str, Any]]:
    """Run every DEEP case in one child process (known bugs last), streaming results.

    A hang or a crash ends the child; the cases it did not report then fail as such.
    """
    names = [n for n in DEEP if n not in DEEP_BUGS] + [n for n in DEEP if n in DEEP_BUGS]
    stdin = "".join(json.dumps([n, DEEP[n][0]]) + "\n" for n in names)
    budget = 60 + sum(DEEP[n][1] for n in names)
    proc = subprocess.Popen(
        [sys.executable, "-c", f"DATASET = {str(DATASET)!r}\n" + _CHILD_PRELUDE],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        out, err = proc.communicate(stdin, timeout=budget)
        ended = f"exit code {proc.returncode}; stderr: {err[-2000:]}"
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        ended = f"hang: the child was killed after {budget} s"
    results = {}
    for line in out.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            results[row["name"]] = row
    for name in names:
        results.setdefault(name, {"missing": ended})
    return results


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=DEEP_BUGS[n])) if n in DEEP_BUGS else n for n in DEEP],
)
def test_deep_and_huge_inputs(deep_results, name):
    row = deep_results[name]
    assert "missing" not in row, f"{name}: no result ({row.get('missing')})"
    bound = DEEP[name][1]
    assert row["elapsed"] < bound, f"{name} took {row['elapsed']:.1f} s (bound {bound} s)"
    expect = DEEP_EXPECT.get(name, "any")
    for entry, (kind, etype, message, _line) in row["result"].items():
        assert kind != "escaped", f"{name}/{entry}: {etype} escaped: {message}"
        if expect == "error":
            assert kind == "QueryError", f"{name}/{entry}: expected a clean error, got {kind}"
        elif expect == "ok":
            assert kind == "ok", f"{name}/{entry}: expected an answer, got {etype}: {message}"


def test_deep_limits_name_the_limit(deep_results):
    """The depth and size errors say which limit was hit."""
    depth = deep_results["parens_10000"]["result"]["query"]
    assert depth[1] == "LimitExceeded" and f"max {MAX_DEPTH}" in depth[2]
    size = deep_results["script_10MB"]["result"]["query"]
    assert size[1] == "LimitExceeded" and f"{MAX_SCRIPT_SIZE:,}" in size[2]
    assert deep_results["script_10MB"]["elapsed"] < 2  # rejected before any parsing


# --- 2. the sandbox ------------------------------------------------------------------------------

# (script, the words the error must contain). Each is rejected with a QueryError whose message
# names the construct; none reaches Python's object model or the host.
SANDBOX = [
    ("constructor", "'constructor'"),
    ("__proto__", "'__proto__'"),
    ("prototype", "'prototype'"),
    ("__class__", "'__class__'"),
    ("globalThis", "'globalThis'"),
    ("Function", "'Function'"),
    ("Function('return 1')()", "'Function'"),
    ("new Function('return this')()", "'Function'"),
    ("eval", "'eval'"),
    ("eval('1 + 1')", "'eval'"),
    ("import", "'import'"),
    ("import('os')", "'import'"),
    ("import.meta", "'import'"),
    ("require", "'require'"),
    ("require('child_process')", "'require'"),
    ("while (true) {}", "loops"),
    ("for (;;) {}", "loops"),
    ("do {} while (true)", "loops"),
    ("function f() { return f() }\nf()", "functions"),
    ("(function () {})()", "functions"),
    ("const f = x => f(x)\nf(1)", "too much recursion"),
    ("this", "'this'"),
    ("this.constructor", "'this'"),
    ("process", "'process'"),
    ("process.exit(1)", "'process'"),
    ("window", "'window'"),
    ("global", "'global'"),
    ("self", "'self'"),
    ("module.exports", "'module'"),
    ("Object.getPrototypeOf(Inputs)", "'Object.getPrototypeOf' is not supported"),
    ("Object.constructor", "'constructor'"),
    ("Reflect.get(Inputs, 'a')", "'Reflect'"),
    ("Proxy", "'Proxy'"),
    ("Symbol.iterator", "'Symbol'"),
    ("Promise.resolve()", "'Promise'"),
    ("setTimeout('1', 0)", "'setTimeout'"),
    ("fetch('http://example.org')", "'fetch'"),
    ("Noodl.Records", "'Noodl'"),
    ("Inputs.constructor", "'constructor'"),
    ("Inputs?.constructor", "'constructor'"),
    ("Inputs.a.constructor", "'constructor'"),
    # JavaScript reads Object.prototype's function here: an error, not a quiet undefined
    ("Inputs.toString", "'toString'"),
    ("Inputs.a.valueOf", "'valueOf'"),
    ("''.constructor", "'constructor'"),
    ("''.constructor.constructor('return process')()", "'constructor'"),
    ("(1).constructor", "'constructor'"),
    ("true.__class__", "'__class__'"),
    ("[].__proto__", "'__proto__'"),
    ("Inputs.arr.__proto__", "'__proto__'"),
    ("({}).__proto__", "'__proto__'"),
    ("Inputs['__class__']", "'__class__'"),
    ("Inputs['__proto__']", "'__proto__'"),
    ("Inputs['con' + 'structor']", "'constructor'"),
    ("[]['con' + 'structor']", "'constructor'"),
    ("Inputs?.['__proto__']", "'__proto__'"),
    ("Date.constructor", "'constructor'"),
    ("Date['constructor']", "'constructor'"),
    ("new Date().constructor", "'constructor'"),
    ("Math.constructor", "'constructor'"),
    ("JSON.constructor", "'constructor'"),
    ("String.constructor", "'constructor'"),
    ("/a/.__class__", "'__class__'"),
    ("null.constructor", "'constructor'"),
    ("`${Inputs.constructor}`", "'constructor'"),
    ("typeof Function", "'Function'"),
    ("$constructor", "'constructor'"),
    ("$__proto__", "'__proto__'"),
    ("let constructor = 1", "'constructor'"),
    ("const __proto__ = {}", "'__proto__'"),
    ("let eval = 1", "'eval'"),
    ("const where = 1", "'where'"),
    ("let Inputs = {}", "'Inputs'"),
    ("where({ constructor: 1 })", "'constructor'"),
    ("where({ '__proto__': { equalTo: 1 } })", "'__proto__'"),
    ("where({ ['__proto__']: 1 })", "'__proto__'"),
    ("where({ title: { constructor: 1 } })", "'constructor'"),
    ("Math.__dict__", "Math.__dict__"),
    ("Date.__init__", "Date.__init__"),
    ("where.__self__", "where.__self__"),
    ("where.call", "where.call"),
    ("Number.__call__", "Number.__call__"),
    ("JSON.parse.__globals__", "JSON.parse"),
    ("__import__('os')", "__import__"),
    ("open('/etc/passwd')", "open"),
    ("globals()", "globals"),
    ("__builtins__", "__builtins__"),
    ("'{0.__class__}'.format(Inputs)", "'format'"),
    ("''.__len__()", "'__len__'"),
    ("'x'.__add__('y')", "'__add__'"),
    ("''.encode()", "'encode'"),
    ("Inputs.keys()", "'keys'"),
    ("Inputs.get('a')", "'get'"),
    ("Inputs.hasOwnProperty('a')", "'hasOwnProperty'"),
    ("[].append(1)", "'append'"),
    ("[].__getitem__(0)", "'__getitem__'"),
    ("(1).bit_length()", "'bit_length'"),
    ("new Date().replace", "'replace'"),
    ("new Inputs()", "new Inputs"),
    ("class A {}", "classes"),
    ("with (Inputs) {}", "'with'"),
    ("try {} catch (e) {}", "'try'"),
    ("throw 1", "'throw'"),
    ("delete Inputs.a", "'delete'"),
    ("'a' in Inputs", "'in'"),
    ("Inputs instanceof Object", "'instanceof'"),
    ("[...Inputs.arr.constructor]", "'constructor'"),
    ("x = 1", "not defined"),
]


@pytest.mark.parametrize("script,words", SANDBOX, ids=[s for s, _ in SANDBOX])
def test_sandbox_rejects(db, script, words):
    inputs = {"a": {"b": 1}, "arr": [1, 2]}
    with pytest.raises(QueryError) as info:
        run_script(script, inputs)
    check_error(info.value, script)
    assert words in info.value.message
    assert info.value.line is not None  # every construct is pointed at
    with pytest.raises(QueryError):
        db.query("Post", script, inputs=inputs)


# Names that are not JavaScript properties of the object read as undefined: the lookup sees
# the object's own keys only, never a Python attribute.
UNDEFINED_READS = [
    "Inputs.__dict__",
    "Inputs.__getattribute__",
    "Inputs['__init__']",
    "Inputs.__reduce__",
    "Inputs.pos",
    "Inputs.positions",
    "Inputs.a.__dict__",
]


@pytest.mark.parametrize("expr", UNDEFINED_READS)
def test_sandbox_python_attributes_read_as_undefined(expr):
    ran = run_script(f"where({{ v: {expr} }})", {"a": {"b": 1}})
    assert ran.where["v"] is UNDEFINED


def test_sandbox_never_calls_eval_or_exec(db, monkeypatch):
    """The whole sandbox table, and the seeds, run with Python's eval/exec booby-trapped.

    The row decoders (DuckDB's make_decoder, PostgreSQL's stored_row_decoder) exec source they
    generate from a class's column indices, never from a script, and are built lazily by the
    first query of a class: those two callers alone are let through, so the test passes or
    fails the same whether it runs alone or after tests that built the decoders already.
    """
    real_exec = builtins.exec
    generators = {make_decoder.__code__, stored_row_decoder.__code__}

    def trap(*args, **kwargs):
        raise AssertionError("a filter script reached Python's eval/exec")

    def exec_trap(*args, **kwargs):
        if sys._getframe(1).f_code not in generators:
            trap()
        return real_exec(*args, **kwargs)

    monkeypatch.setattr(builtins, "eval", trap)
    monkeypatch.setattr(builtins, "exec", exec_trap)
    for script, _ in SANDBOX:
        with pytest.raises(QueryError):
            run_script(script, {"a": {}})
    for cls, script, inputs in SEEDS:
        db.query(cls, script, inputs=inputs)


def test_sandbox_inputs_are_not_aliased_or_changed():
    inputs = {"a": {"b": [1, 2]}, "s": "x"}
    before = json.dumps(inputs)
    ran = run_script("const v = Inputs.a\nlet w = v.b.concat([3])\nwhere({ x: v, y: w, z: Inputs.a.b })", inputs)
    assert json.dumps(inputs) == before
    assert ran.where["x"] is not inputs["a"] and ran.where["z"] is not inputs["a"]["b"]


@pytest.mark.parametrize(
    "value",
    [object(), {1, 2}, b"bytes", type, print, Path("/etc/passwd"), {"k": object()}, [lambda: 1]],
    ids=["object", "set", "bytes", "type", "builtin", "Path", "dict-with-object", "list-with-lambda"],
)
def test_sandbox_non_json_inputs_are_rejected(db, value):
    with pytest.raises(QueryTypeError):
        db.query("Post", "where({ title: Inputs.v })", inputs={"v": value})


# --- 3. injection ----------------------------------------------------------------------------

HOSTILE_POOL = (
    "'", '"', "`", ";", "--", "/*", "*/", "\\", "\\'", "\\\\", "\x00", "a\x00b", "\x00'--",
    "x'; DROP TABLE \"Post\"; --",
    "'; DELETE FROM \"Post\"; --",
    "\"); DROP TABLE _querylang_schema; --",
    "' OR '1'='1",
    "\" OR \"\"=\"",
    "1 OR 1=1",
    "'||(SELECT version())||'",
    "'; ATTACH '/tmp/evil.db' AS evil; --",
    "'; COPY \"Post\" TO '/tmp/leak.csv'; --",
    "'; INSTALL httpfs; LOAD httpfs; --",
    "$1", "?", "?, ?", "%", "_", "%_%", "${Inputs.x}", "`${1}`", "*/ where({}) /*",
    "\r\n", "\n'", "\u2028", "\u2029", "\u202e", "\u200f", "\u2066evil\u2069", "\ufeff",
    "😀", "👩‍👩‍👧", "𝔘𝔫𝔦", "é", "e\u0301", "İ", "ß",
    "NULL", "null", "undefined", "NaN", "__proto__", "constructor",
    "objectId", "title", "Post", "_join:posts:Group", "t.\"objectId\"",
    "p001", "u01", "pointer index 1",
)
HOSTILE_CHARS = "'\"`;-/*\\\x00%_?$ {}()[]\n\r\t\u2028\u202e\u200fé😀xX1"


def hostile_strings() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(HOSTILE_POOL),
        st.sampled_from(HOSTILE_POOL),
        st.lists(st.sampled_from(HOSTILE_POOL), min_size=2, max_size=4).map("".join),
        st.text(alphabet=HOSTILE_CHARS, max_size=12),
        st.text(max_size=12),
        st.tuples(st.integers(1_000, 200_000), st.sampled_from(HOSTILE_POOL)).map(lambda t: "x" * t[0] + t[1]),
    )


def js_double(s: str) -> str:
    """A JavaScript string literal via JSON (ASCII escapes; valid JavaScript)."""
    return json.dumps(s)


def js_single(s: str) -> str:
    """A single-quoted literal with the minimal escapes, other characters kept raw."""
    return "'" + (
        s.replace("\\", "\\\\")
        .replace("'", "\\'")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    ) + "'"


def js_template(s: str) -> str:
    """A template literal; a raw CR would read back as LF (JavaScript normalises it), so escape it."""
    return "`" + s.replace("\\", "\\\\").replace("`", "\\`").replace("${", "\\${").replace("\r", "\\r") + "`"


EVIL_CLASS = {
    "Evil": {
        "fields": {
            "title": {"type": "String"},
            "tags": {"type": "Array"},
            "meta": {"type": "Object"},
            "rank": {"type": "Number"},
            "peer": {"type": "Pointer", "targetClass": "Evil"},
        }
    }
}


@pytest.fixture(scope="module")
def evil_db() -> querylang.Database:
    """The sample plus a class whose ids and values are the hostile pool itself."""
    d = querylang.connect()
    d.load(SAMPLE)
    # NUL is not allowed in any stored text (values, ids, pointers): those pool values only
    # appear in queries, where they are refused with a QueryTypeError.
    loadable = [s for s in HOSTILE_POOL if "\x00" not in s]
    rows = []
    for i, s in enumerate(loadable):
        rec: dict[str, Any] = {"objectId": s, "rank": i, "peer": loadable[(i + 1) % len(loadable)]}
        rec["title"] = s
        rec["tags"] = [s, loadable[(i + 3) % len(loadable)]]
        # A key with a '.' cannot be stored (a dot path would read it as nesting): those pool
        # values are keys only in queries.
        rec["meta"] = {"k": s, s: 1} if "." not in s else {"k": s}
        rows.append(rec)
    d.load({"classes": EVIL_CLASS, "records": {"Evil": rows}})
    return d


@pytest.fixture(scope="module")
def evil_guard(evil_db) -> Unchanged:
    return Unchanged(evil_db)


# Query shapes: (class, script template with {v} for the value, filter-dict builder).
SHAPES = {
    "eq": ("Evil", "where({{ title: {v} }})", lambda v: {"title": v}),
    "equalTo": ("Evil", "where({{ title: {{ equalTo: {v} }} }})", lambda v: {"title": {"equalTo": v}}),
    "notEqualTo": ("Evil", "where({{ title: {{ notEqualTo: {v} }} }})", lambda v: {"title": {"notEqualTo": v}}),
    "range": ("Evil", "where({{ title: {{ greaterThan: {v} }} }})", lambda v: {"title": {"greaterThan": v}}),
    "containedIn": ("Evil", "where({{ title: {{ containedIn: [{v}, 'x'] }} }})", lambda v: {"title": {"containedIn": [v, "x"]}}),
    "notContainedIn": ("Evil", "where({{ title: {{ notContainedIn: [{v}] }} }})", lambda v: {"title": {"notContainedIn": [v]}}),
    "array": ("Evil", "where({{ tags: {v} }})", lambda v: {"tags": v}),
    "array_whole": ("Evil", "where({{ tags: {{ equalTo: [{v}, 'x'] }} }})", lambda v: {"tags": {"equalTo": [v, "x"]}}),
    "object_value": ("Evil", "where({{ meta: {{ equalTo: {{ k: {v} }} }} }})", lambda v: {"meta": {"equalTo": {"k": v}}}),
    "object_key": ("Evil", "where({{ meta: {{ equalTo: {{ [{v}]: 1 }} }} }})", lambda v: {"meta": {"equalTo": {v: 1}}}),
    "idEqualTo": ("Evil", "where({{ idEqualTo: {v} }})", lambda v: {"idEqualTo": v}),
    "idContainedIn": ("Evil", "where({{ idContainedIn: [{v}] }})", lambda v: {"idContainedIn": [v]}),
    "objectId": ("Evil", "where({{ objectId: {v} }})", lambda v: {"objectId": v}),
    "pointsTo": ("Evil", "where({{ peer: {{ pointsTo: {v} }} }})", lambda v: {"peer": {"pointsTo": v}}),
    "pointer_eq": ("Evil", "where({{ peer: {v} }})", lambda v: {"peer": v}),
    "regex": ("Evil", "where({{ title: {{ matchesRegex: {v} }} }})", lambda v: {"title": {"matchesRegex": v}}),
    "regex_options": ("Evil", "where({{ title: {{ matchesRegex: 'a', options: {v} }} }})", lambda v: {"title": {"matchesRegex": "a", "options": v}}),
    "or": ("Evil", "where({{ or: [{{ title: {v} }}, {{ objectId: {v} }}] }})", lambda v: {"or": [{"title": v}, {"objectId": v}]}),
    "relatedTo_id": ("Post", "where({{ relatedTo: {{ id: {v}, key: 'posts' }} }})", lambda v: {"relatedTo": {"id": v, "key": "posts"}}),
    "relatedTo_key": ("Post", "where({{ relatedTo: {{ id: 'g1', key: {v} }} }})", lambda v: {"relatedTo": {"id": "g1", "key": v}}),
    "relatedTo_class": ("Post", "where({{ relatedTo: {{ id: 'g1', key: 'posts', className: {v} }} }})", lambda v: {"relatedTo": {"id": "g1", "key": "posts", "className": v}}),
    "field_name": ("Evil", "where({{ [{v}]: 1 }})", lambda v: {v: 1}),
    "operator_name": ("Evil", "where({{ title: {{ [{v}]: 1 }} }})", lambda v: {"title": {v: 1}}),
    "sort": ("Evil", "sort([{v}])", None),
    "sort_desc": ("Evil", "sort(['-' + {v}])", None),
}
# Shapes whose SQL text must not depend on the value at all (same shape, other value).
SQL_INDEPENDENT = {"eq", "equalTo", "notEqualTo", "range", "containedIn", "notContainedIn", "idEqualTo",
                   "idContainedIn", "objectId", "pointsTo", "pointer_eq", "or", "relatedTo_id"}


def _sql_text(plan) -> str:
    return plan.sql + "\n" + (plan.count_sql or "")


def _check_hostile_query(
    db, cls: str, query: Any, value: str, *, inputs=None, sort=None, shape: str = "", benign: Any = None, benign_inputs=None
) -> None:
    """A clean QueryError or the reference answer; the value never in the SQL text.

    ``benign`` (with ``benign_inputs``) is the same query with the value replaced by
    'benign': for the shapes in SQL_INDEPENDENT both must compile to the same SQL text.
    """
    kw: dict[str, Any] = {}
    if inputs is not None:
        kw["inputs"] = inputs
    if sort is not None:
        kw["sort"] = sort
    text = query if isinstance(query, str) else None
    plan = attempt(lambda: db.compile(cls, query, count=True, **kw), text)
    if isinstance(plan, QueryError):
        return
    sql = _sql_text(plan)
    if value in sql and not (len(value) <= 3 and value.isalnum()):  # 'x' is in 'regexp_matches'
        # Only where the same text is there without the value: identifiers, keywords.
        fixed = _sql_text(db.compile(cls, None, count=True))
        if benign is not None:
            bkw = dict(kw, inputs=benign_inputs) if benign_inputs is not None else kw
            other = attempt(lambda: db.compile(cls, benign, count=True, **bkw))
            fixed += "" if isinstance(other, QueryError) else _sql_text(other)
        assert value in fixed or value in db.schema.get(cls).fields, f"value {value!r} in SQL text"
    for piece in ("DROP", "DELETE", "ATTACH", "COPY", "INSTALL", "version()", "\x00", "/tmp/"):
        if piece in value:
            assert piece not in sql, f"{piece!r} from the value in SQL text"
    if shape in SQL_INDEPENDENT and benign is not None and value not in ("x", "benign", "g1"):
        bkw = dict(kw, inputs=benign_inputs) if benign_inputs is not None else kw
        assert _sql_text(db.compile(cls, benign, count=True, **bkw)) == sql, "the SQL text depends on the value"
    res = attempt(lambda: db.query(cls, query, count=True, **kw), text)
    event(f"{shape or 'query'}: {type(res).__name__}")
    if isinstance(res, QueryError):
        return
    ref = db.reference(cls, query, count=True, **kw)
    assert res.ids == ref.ids
    assert res.count == ref.count
    assert res.records == ref.records


def test_injection_script_literals(evil_db, evil_guard):
    @given(shape=st.sampled_from(sorted(SHAPES)), value=hostile_strings(), quote=st.sampled_from((js_double, js_single, js_template)))
    def prop(shape, value, quote):
        cls, template, _ = SHAPES[shape]
        script = template.format(v=quote(value))
        if shape in ("eq", "equalTo", "containedIn"):
            # The literal reads back as exactly the value: nothing escapes the string.
            got = run_script(script).where["title"]
            got = got if shape == "eq" else got["equalTo" if shape == "equalTo" else "containedIn"]
            assert (got[0] if shape == "containedIn" else got) == value
        benign = template.format(v=quote("benign"))
        _check_hostile_query(evil_db, cls, script, value, shape=shape, benign=benign)
        evil_guard.check()

    prop()
    evil_guard.check_full()


def test_injection_inputs(evil_db, evil_guard):
    @given(shape=st.sampled_from(sorted(SHAPES)), value=hostile_strings(), dollar=st.booleans())
    def prop(shape, value, dollar):
        cls, template, _ = SHAPES[shape]
        script = template.format(v="$v" if dollar else "Inputs.v")
        _check_hostile_query(
            evil_db, cls, script, value, inputs={"v": value}, shape=shape, benign=script, benign_inputs={"v": "benign"}
        )
        evil_guard.check()

    prop()
    evil_guard.check_full()


def test_injection_filter_dicts(evil_db, evil_guard):
    @given(shape=st.sampled_from(sorted(k for k, v in SHAPES.items() if v[2] is not None)), value=hostile_strings())
    def prop(shape, value):
        cls, _, build = SHAPES[shape]
        _check_hostile_query(evil_db, cls, build(value), value, shape=shape, benign=build("benign"))
        evil_guard.check()

    prop()
    evil_guard.check_full()


def test_injection_sort_keys(evil_db, evil_guard):
    @given(value=hostile_strings(), desc=st.booleans())
    def prop(value, desc):
        key = ("-" if desc else "") + value
        _check_hostile_query(evil_db, "Evil", None, value, sort=[key])
        _check_hostile_query(evil_db, "Evil", None, value, sort=key)
        _check_hostile_query(evil_db, "Evil", f"sort([{js_double(key)}])", value)
        # objectId before another key hits the known bug "sort-objectid-position" (strategies.py).
        if key.strip().lstrip("-") not in ("objectId", "_id"):
            _check_hostile_query(evil_db, "Evil", "sort(Inputs.s)", value, inputs={"s": [key, "title"]})
        evil_guard.check()

    prop()
    evil_guard.check_full()


def test_injection_class_names(evil_db, evil_guard):
    @settings(max_examples=min(settings().max_examples, 200))  # nine calls per example
    @given(value=hostile_strings())
    def prop(value):
        assume(value not in evil_db.schema.classes)
        for query in (None, {"title": "x"}, "where({})"):
            with pytest.raises(SchemaError) as info:
                evil_db.query(value, query)
            check_error(info.value)
            with pytest.raises(SchemaError):
                evil_db.compile(value, query)
            with pytest.raises(SchemaError):
                evil_db.reference(value, query)
        evil_guard.check()

    prop()
    evil_guard.check_full()


NUL_FREE_POOL = [v for v in HOSTILE_POOL if "\x00" not in v]


@pytest.mark.parametrize("value", NUL_FREE_POOL, ids=[repr(v)[:30] for v in NUL_FREE_POOL])
def test_injection_every_pool_value_finds_its_record(evil_db, evil_guard, value):
    """Each hostile id and title is found exactly, by both engines, as a parameter."""
    res = evil_db.query("Evil", {"idEqualTo": value})
    assert res.ids == [value]
    assert evil_db.reference("Evil", {"idEqualTo": value}).ids == [value]
    plan = evil_db.compile("Evil", "where({ objectId: Inputs.v })", inputs={"v": value})
    assert value in plan.params
    res = evil_db.query("Evil", "where({ title: Inputs.v })", inputs={"v": value})
    assert value in res.ids and res.ids == evil_db.reference("Evil", {"title": value}).ids
    res = evil_db.query("Evil", {"peer": {"pointsTo": value}})
    assert res.ids == evil_db.reference("Evil", {"peer": {"pointsTo": value}}).ids and len(res.ids) == 1
    evil_guard.check_full()


@pytest.mark.parametrize("oid", ["a\x00b", "\x00"])
def test_nul_in_ids_is_consistent(oid):
    db = querylang.connect()
    doc = {"classes": {"N": {"fields": {"p": {"type": "Pointer", "targetClass": "N"}}}},
           "records": {"N": [{"objectId": oid, "p": oid}]}}
    try:
        db.load(doc)
    except DataError:
        return  # refused at load: consistent
    assert db.query("N", {"idEqualTo": oid}).ids == [oid]
    assert db.query("N", {"p": {"pointsTo": oid}}).ids == [oid]


# Hostile names in the data file: class and field names must be plain identifiers.
BAD_NAMES = ['Post"; DROP TABLE "Post', "a'b", "a;b", "a--", "a b", "", "1a", "_x", "a.b", "a:b", "é", "a\x00", "😀", "$a"]
NEWLINE_NAMES = ["Evil\n", "title\n"]




@pytest.mark.parametrize(
    "where,name",
    [(w, n) for w in ("class", "field", "target") for n in BAD_NAMES]
    + [pytest.param(w, n, marks=()) for w in ("class", "field") for n in NEWLINE_NAMES]
    + [("target", n) for n in NEWLINE_NAMES],  # rejected: no such class
)
def test_load_rejects_hostile_names(where, name):
    db = querylang.connect()
    db.load(SMALL_DOC)
    before = db_hash(db)
    if where == "class":
        doc = {"classes": {name: {"fields": {"a": {"type": "String"}}}}}
    elif where == "field":
        doc = {"classes": {"Thing": {"fields": {name: {"type": "String"}}}}}
    else:
        doc = {"classes": {"Thing": {"fields": {"p": {"type": "Pointer", "targetClass": name}}}}}
    with pytest.raises(DataError) as info:
        db.load(doc)
    check_error(info.value)
    assert db_hash(db) == before


# --- values the engines cannot represent -----------------------------------------------------


@pytest.mark.parametrize("query", [
    {"tags": {"equalTo": 10**400}},
    {"tags": {"containedIn": [10**400]}},
    {"meta": {"equalTo": {"a": 10**400}}},
], ids=["array-eq", "array-in", "object-eq"])
def test_huge_int_in_filter_dict(db, query):
    with pytest.raises(QueryError):
        db.query("Post", query)


def test_huge_int_input(db):
    with pytest.raises(QueryError):
        db.query("Post", "where({ tags: Inputs.x })", inputs={"x": 10**400})


def test_huge_int_json_parse(db):
    # JSON.parse reads it as JavaScript does (Infinity); Infinity is no value to query by.
    assert run_script("where({ tags: JSON.parse('1' + '0'.repeat(400)) })").where["tags"] == math.inf
    with pytest.raises(QueryError):
        db.query("Post", "where({ tags: JSON.parse('1' + '0'.repeat(400)) })")


def test_huge_numbers_that_work(db):
    """A long number literal is a double (as in JavaScript); Number fields reject ±huge ints cleanly."""
    assert db.query("Post", "where({ tags: 123456789012345678901234567890 })").ids == []
    assert db.query("Post", {"score": {"greaterThan": 10**30}}).ids == db.reference("Post", {"score": {"greaterThan": 10**30}}).ids
    with pytest.raises(QueryError):
        db.query("Post", "where({ tags: 1e400 })")  # Infinity


def test_non_string_keys_in_filter_dict(db):
    with pytest.raises(QueryError):
        db.query("Post", {1: 2})


def test_non_string_class_name(db):
    with pytest.raises(QueryError):
        db.query(1, None)


@pytest.mark.parametrize("query", [
    {"title": "\ud800"},
    {"title": {"containedIn": ["a\udcff"]}},
    {"tags": "\ud83d"},
    "where({ title: '\\ud800' })",
    "where({ title: Inputs.v })",
], ids=["eq", "in", "array", "script-literal", "input"])
def test_lone_surrogates_are_clean_errors(db, sample_guard, query):
    """A lone surrogate cannot be sent to DuckDB: a QueryError (today from the database), never a crash."""
    res = attempt(lambda: db.query("Post", query, inputs={"v": "\udc80"}))
    if not isinstance(res, QueryError):
        assert res.ids == db.reference("Post", query, inputs={"v": "\udc80"}).ids
    sample_guard.check_full()


@pytest.mark.parametrize("query", [
    {"o": {"a\ud800": 1}},
    {"o": {"notEqualTo": {"k": {"\udcff": "x"}}}},
    {"o.k": {"containedIn": [{"\ud83d": 1}]}},
    {"arr": {"equalTo": {"\ud800": 1}}},
    {"arr": {"all": [{"k\udfff": 1}]}},
    "where({ o: { equalTo: JSON.parse('{\"\\\\ud800\": 1}') } })",
], ids=["object", "not-equal", "path-list", "array", "all", "script"])
def test_a_lone_surrogate_in_an_operands_key_is_a_clean_error_on_each_engine(engine, query):
    """The values of an object operand were checked for valid Unicode, its keys were not: the
    key reached the driver, and PostgreSQL's raised UnicodeEncodeError (a traceback) where
    DuckDB's answered an EngineError quoting "Python Conversion Failure". Found with operands
    of odd code points, beside tests/test_property_gaps.py."""
    with engine() as d:
        d.load({"classes": {"T": {"fields": {"o": {"type": "Object"}, "arr": {"type": "Array"}}}},
                "records": {"T": [{"objectId": "t1", "o": {"k": 1}, "arr": [{"k": 1}]}]}})
        for run in (d.query, d.reference):
            with pytest.raises(QueryTypeError, match="a string holds a lone surrogate"):
                run("T", query)


@pytest.mark.parametrize("query", [
    {"title": "pointer index 1\x00"},
    "where({ title: 'a\\0' })",
    "where({ title: `${'\\u0000'}` })",
    {"idEqualTo": "p001\x00"},
    {"tags": {"containedIn": ["\x00"]}},
    {"meta": {"equalTo": {"\x00": 1}}},
    {"title": {"matchesRegex": "\x00"}},
], ids=["eq", "script-escape", "template", "id", "array", "object-key", "regex"])
def test_nul_characters_in_queries(db, query):
    """NUL cannot be stored in a String, so a query holding one is a clean error or matches nothing."""
    res = attempt(lambda: db.query("Post", query), query if isinstance(query, str) else None)
    if isinstance(res, QueryError):
        assert isinstance(res, QueryTypeError)
    else:
        assert res.ids == []


# --- 4. query limits -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def slow_db() -> querylang.Database:
    """10,000 random a/b strings of 200 characters: RE2 needs seconds for the pattern below."""
    d = querylang.connect(timeout=0.05)
    rnd = random.Random(7)
    table = str.maketrans("01", "ab")
    rows = [{"objectId": f"r{i}", "s": format(rnd.getrandbits(200), "0200b").translate(table)} for i in range(10_000)]
    d.load({"classes": {"Slow": {"fields": {"s": {"type": "String"}}}}, "records": {"Slow": rows}})
    return d


SLOW_REGEX = "[ab]*a[ab]{30}b[ab]{30}c"  # a DFA blow-up: RE2 falls back to its slow NFA


def test_timeout_stops_a_slow_query(slow_db):
    before = db_hash(slow_db)
    t0 = time.perf_counter()
    with pytest.raises(QueryTimeout) as info:
        slow_db.query("Slow", {"s": {"matchesRegex": SLOW_REGEX}}, limit=0, count=True)
    elapsed = time.perf_counter() - t0
    assert elapsed < 5, f"the timeout took {elapsed:.1f} s to stop the query"
    assert info.value.code == 1 and "0.05 s" in str(info.value)
    # The database is intact and answers the next query.
    assert slow_db.query("Slow", {"idEqualTo": "r5"}).ids == ["r5"]
    assert slow_db.query("Slow", None, limit=0, count=True).count == 10_000
    assert db_hash(slow_db) == before


def test_timeout_none_means_no_limit(slow_db):
    slow_db.timeout = None
    try:
        assert slow_db.query("Slow", {"s": {"matchesRegex": "^a{20}"}}, limit=0, count=True).count is not None
    finally:
        slow_db.timeout = 0.05


def test_timeout_bounds_huge_lists():
    ids = [f"x{i}" for i in range(100_000)]
    quick = querylang.connect(timeout=0.05)
    quick.load(SAMPLE)
    t0 = time.perf_counter()
    try:
        res = quick.query("Post", {"idContainedIn": ids, "title": {"containedIn": ids}})
        assert res.ids == []
    except QueryTimeout:
        pass
    # A bound that says the timeout cut the work short, not a speed target: binding and
    # scanning two 100,000-item lists runs for many seconds without it.
    assert time.perf_counter() - t0 < 5


def test_max_rows():
    small = querylang.connect(max_rows=10)
    small.load(SAMPLE)
    with pytest.raises(LimitExceeded) as info:
        small.query("Post", None)
    assert "more than 10 records" in str(info.value)
    with pytest.raises(LimitExceeded):
        small.query("Post", "where({ score: { exists: true } })")
    with pytest.raises(LimitExceeded):
        small.query("Post", None, limit=11)
    assert len(small.query("Post", None, limit=10)) == 10
    assert len(small.query("Post", None, limit=10, skip=35)) == 5
    assert small.query("Post", None, limit=0, count=True).count == 40  # count is not capped
    assert len(small.query("User", None)) == 8  # under the cap
    assert len(small.query("Post", {"idContainedIn": [f"p{i:03d}" for i in range(1, 11)]})) == 10  # exactly the cap
    none = querylang.connect(max_rows=None)
    none.load(SAMPLE)
    assert len(none.query("Comment", None)) == 120
    zero = querylang.connect(max_rows=0)
    zero.load(SAMPLE)
    assert zero.query("Post", {"idEqualTo": "nope"}).ids == []
    with pytest.raises(LimitExceeded):
        zero.query("Post", {"idEqualTo": "p001"})


def test_defaults_are_documented():
    from querylang.api import DEFAULT_MAX_ROWS, DEFAULT_TIMEOUT
    from querylang.frontends.filters import MAX_CONDITIONS, MAX_LIST

    assert DEFAULT_TIMEOUT == 60.0 and DEFAULT_MAX_ROWS == 1_000_000 and MAX_CONDITIONS == 5_000
    assert MAX_SCRIPT_SIZE == 1_000_000 and MAX_DEPTH == 200 and MAX_STEPS == 100_000
    assert MAX_STRING_LENGTH == 10_000_000 and MAX_ARRAY_LENGTH == 1_000_000 and MAX_LIST == 100_000
    d = querylang.connect()
    assert d.timeout == DEFAULT_TIMEOUT and d.max_rows == DEFAULT_MAX_ROWS


def test_script_size_limit(db):
    ok = "where({})/*" + "x" * (MAX_SCRIPT_SIZE - 13) + "*/"
    assert len(ok) == MAX_SCRIPT_SIZE
    assert len(db.query("Post", ok)) == 40
    with pytest.raises(LimitExceeded) as info:
        db.query("Post", ok + " ")
    assert "script is too long (1,000,001 characters, max 1,000,000)" in str(info.value)
    with pytest.raises(LimitExceeded):
        run_script("1", max_size=0)


def test_script_depth_limit(db):
    ok = "where({ tags: " + "[" * (MAX_DEPTH - 2) + "]" * (MAX_DEPTH - 2) + " })"
    assert attempt(lambda: db.query("Post", ok)) is not None
    too_deep = "where({ tags: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + " })"
    with pytest.raises(LimitExceeded) as info:
        db.query("Post", too_deep)
    err = info.value
    assert err.line == 1 and err.column == len("where({ tags: ") + MAX_DEPTH - 1
    assert f"script nests too deeply (max {MAX_DEPTH})" in str(err)
    assert "^" in str(err)  # the caret view
    with pytest.raises(LimitExceeded):
        run_script("[[[1]]]", max_depth=2)


def test_step_limit(db):
    # No loops: the steps of a run grow with the script; a long computed script hits the limit.
    long = "let x = 0\nwhere({ tags: [" + "x," * (MAX_STEPS + 1) + "] })"
    with pytest.raises(LimitExceeded) as info:
        run_script(long)
    assert "step limit" in str(info.value) and info.value.line is not None
    with pytest.raises(LimitExceeded):
        db.query("Post", long)
    with pytest.raises(LimitExceeded):
        run_script("where({ score: 1 + 2 + 3 + 4 + 5 })", max_steps=5)
    assert run_script("where({ score: 1 + 2 + 3 + 4 + 5 })", max_steps=50).where["score"] == 15
    assert len(run_script("let x = 0\nwhere({ tags: [" + "x," * 1000 + "] })").where["tags"]) == 1000


def test_string_and_array_length_limits():
    with pytest.raises(LimitExceeded) as info:
        run_script(f"const s = 'x'.repeat({MAX_STRING_LENGTH + 1})")
    assert "string too long" in str(info.value)
    with pytest.raises(LimitExceeded):
        run_script("let s = 'ab'\n" + "s = s + s\n" * 30)
    with pytest.raises(LimitExceeded):
        run_script("let s = 'ab'\n" + "s = `${s}${s}`\n" * 30)
    with pytest.raises(LimitExceeded):
        run_script("'x'.repeat(1e4).replaceAll('x', 'x'.repeat(1e4))")
    with pytest.raises(LimitExceeded) as info:
        run_script("let a = [1, 2, 3, 4, 5, 6, 7, 8]\n" + "a = a.concat(a)\n" * 20)
    assert "array too long" in str(info.value)


def test_split_respects_the_array_limit():
    with pytest.raises(LimitExceeded):
        run_script("const a = 'x'.repeat(2e6).split('')")


_JOIN_CHILD = """
import resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))  # a runaway allocation fails fast
from querylang import QueryError
from querylang.script.interpreter import run_script
t0 = time.perf_counter()
try:
    run_script(sys.argv[1])
    print("ok")
except QueryError as err:
    print("QueryError", type(err).__name__)
except BaseException as err:
    print("escaped", type(err).__name__)
print(round(time.perf_counter() - t0, 2))
"""


def test_join_respects_the_string_limit():
    script = "const s = 'x'.repeat(1e6)\nconst a = s.split('')\nwhere({ title: a.join(s) })"
    proc = subprocess.run([sys.executable, "-c", _JOIN_CHILD, script], capture_output=True, text=True, timeout=60, cwd=ROOT)
    lines = proc.stdout.split()
    assert lines[:2] == ["QueryError", "LimitExceeded"], proc.stdout + proc.stderr


_CPU_CHILD = """
import sys, time
import querylang
db = querylang.connect(timeout=1.0)
db.load({"classes": {"T": {"fields": {"s": {"type": "String"}}}}})
t0 = time.perf_counter()
try:
    db.query("T", sys.argv[1])
    print("ok", flush=True)
except querylang.QueryError as err:
    print(type(err).__name__, flush=True)
print(round(time.perf_counter() - t0, 2), flush=True)
"""


def test_script_cpu_time_is_bounded():
    script = "const a = 'x'.repeat(9e6).split('')\nwhere({ s: JSON.stringify(a) + JSON.stringify(a) })"
    try:
        proc = subprocess.run([sys.executable, "-c", _CPU_CHILD, script], capture_output=True, text=True, timeout=6, cwd=ROOT)
    except subprocess.TimeoutExpired:
        pytest.fail("the script ran for more than 6 s with timeout=1.0")
    assert proc.stdout.split()[0] in ("LimitExceeded", "QueryTimeout"), proc.stdout + proc.stderr


def test_list_size_limit(db):
    for query in (
        {"title": {"containedIn": ["x"] * 100_001}},
        {"idContainedIn": ["x"] * 100_001},
        {"or": [{"title": "x"}] * 100_001},
        {"author": {"pointsTo": ["x"] * 100_001}},
    ):
        with pytest.raises(QueryError) as info:
            db.query("Post", query)
        assert "max 100000" in str(info.value)


def test_condition_count_limit(engine):
    """A filter of 40,000 conditions crashed the process in DuckDB (exit 139) and 20,000 ran past
    the timeout; more than MAX_CONDITIONS keys across the filter's objects (inner queries too)
    are refused before anything runs, on both engines and in the reference."""
    from querylang.frontends.filters import MAX_CONDITIONS

    d = engine()
    d.load({"classes": {"P": {"fields": {"t": {"type": "String"}, "u": {"type": "Pointer", "targetClass": "P"}}}},
            "records": {"P": [{"objectId": "a", "t": "x"}]}})
    many = [{"t": {"notEqualTo": f"x{i}"}} for i in range(40_000)]
    split = {"and": many[: MAX_CONDITIONS // 2], "u": {"matchesQuery": {"and": many[: MAX_CONDITIONS // 2 + 5]}}}
    for query in ({"and": many}, {"or": many}, {"nor": many}, split):
        for run in (d.query, d.reference, d.count):
            with pytest.raises(LimitExceeded, match=f"more than {MAX_CONDITIONS} conditions"):
                run("P", query)
    assert d.query("P", {"and": many[: MAX_CONDITIONS - 1]}).ids == ["a"]


def test_inner_query_count_limit(engine):
    """Each inner query is a sub-select; DuckDB planned 300 of them in seconds, 600 in about
    ten, and refused some 800 with its binder's "max expression depth" (an engine error, not
    the user's). More than MAX_INNER_QUERIES are refused before anything runs, naming the kind,
    on both engines and in the reference; as many as the limit are answered as the reference."""
    from querylang.frontends.filters import MAX_INNER_QUERIES

    d = engine()
    d.load({"classes": {"P": {"fields": {"t": {"type": "String"}, "u": {"type": "Pointer", "targetClass": "P"},
                                         "r": {"type": "Relation", "targetClass": "P"}}}},
            "records": {"P": [{"objectId": "a", "t": "x", "u": {"__type": "Pointer", "className": "P", "objectId": "a"}}]}})
    shapes = [  # (the kind named, a filter of k inner queries)
        ("matchesQuery on 'u'", lambda k: {"or": [{"u": {"matchesQuery": {"t": {"equalTo": f"x{i}"}}}} for i in range(k)]}),
        ("doesNotMatchQuery on 'u'", lambda k: {"and": [{"u": {"doesNotMatchQuery": {"t": f"x{i}"}}} for i in range(k)]}),
        ("matchesKeyInQuery on 't'", lambda k: {"or": [{"t": {"matchesKeyInQuery": {"key": "t", "className": "P", "where": {"t": f"y{i}"}}}}
                                                       for i in range(k)]}),
        ("the path 'u.t'", lambda k: {"or": [{"u.t": {"equalTo": f"x{i}"}} for i in range(k)]}),
        ("notEqualTo on Relation 'r'", lambda k: {"and": [{"r": {"notEqualTo": f"x{i}"}} for i in range(k)]}),
        ("relatedTo", lambda k: {"or": [{"relatedTo": {"id": f"x{i}", "key": "r"}} for i in range(k)]}),
        ("matchesQuery on 'u'", lambda k: {"u": {"matchesQuery": {"or": [{"u": {"matchesQuery": {"t": f"x{i}"}}} for i in range(k - 1)]}}}),
    ]
    for what, make in shapes:
        for run in (d.query, d.reference, d.count):
            with pytest.raises(LimitExceeded, match=f"more than {MAX_INNER_QUERIES} inner queries \\(this one: {what}\\)"):
                run("P", make(MAX_INNER_QUERIES + 1))
        at_limit = make(MAX_INNER_QUERIES)
        assert d.query("P", at_limit).ids == d.reference("P", at_limit).ids, what


def test_sort_key_count_limit(engine):
    """DuckDB planned an ORDER BY of 5,000 Object sub-keys in about a quarter of a minute, past
    any timeout (planning is not interrupted). More than MAX_SORT_KEYS different keys are
    refused before anything runs, however the sort is given; a key repeated is one key."""
    from querylang.frontends.sort_paging import MAX_SORT_KEYS

    d = engine()
    d.load({"classes": {"P": {"fields": {"m": {"type": "Object"}}}},
            "records": {"P": [{"objectId": "a", "m": {"k1": 2}}, {"objectId": "b", "m": {"k1": 1}}]}})
    keys = [f"m.k{i}" for i in range(MAX_SORT_KEYS + 1)]
    for run in (lambda: d.query("P", None, sort=keys), lambda: d.reference("P", None, sort=keys),
                lambda: d.find("P", {}, order=",".join(keys)),
                lambda: d.query("P", f"where({{}})\nsort({keys!r})")):
        with pytest.raises(LimitExceeded, match=f"more than {MAX_SORT_KEYS} different keys"):
            run()
    assert d.query("P", None, sort=keys[:-1]).ids == ["b", "a"]
    assert d.query("P", None, sort=[*keys[:-1], *keys[:-1]]).ids == ["b", "a"]


def test_regex_limits(db):
    with pytest.raises(QueryError) as info:
        db.query("Post", "where({ title: { matchesRegex: 'a{1001}' } })")
    assert "1000" in str(info.value) and info.value.line == 1
    with pytest.raises(QueryError):
        db.query("Post", {"title": {"matchesRegex": "(a)\\1"}})  # back-references: not in RE2


# --- every error class, with a real message ---------------------------------------------------

ERROR_EXAMPLES = [
    (QuerySyntaxError, 102, "Post", "where({ score: { greaterThan: 3 } )", None),
    (QuerySyntaxError, 102, "Post", "while (true) {}", None),
    (ScriptError, 102, "Post", "where({ score: Inputs.x.y })", None),
    (SchemaError, 105, "Post", "where({ scroe: { greaterThan: 3 } })", None),
    (SchemaError, 103, "Posts", None, None),
    (QueryTypeError, 111, "Post", "where({ score: { greaterThan: '3' } })", None),
    (QueryTypeError, 107, "Post", "where({ title: { containedIn: 'x' } })", None),
    (QueryError, 102, "Post", "where({ score: { greaterThen: 3 } })", None),
    (LimitExceeded, 102, "Post", "(" * 300, None),
]


@pytest.mark.parametrize("etype,code,cls,script,inputs", ERROR_EXAMPLES, ids=[f"{e.__name__}-{i}" for i, (e, *_rest) in enumerate(ERROR_EXAMPLES)])
def test_error_classes_codes_and_caret(db, etype, code, cls, script, inputs):
    with pytest.raises(etype) as info:
        db.query(cls, script, inputs=inputs)
    err = info.value
    assert type(err) is etype or etype is QueryError
    assert err.code == code
    check_error(err, script)
    if script is not None and err.line is not None:
        assert "^" in str(err).splitlines()[-1]  # the caret line


def test_every_error_is_a_query_error():
    for cls in (QuerySyntaxError, ScriptError, SchemaError, QueryTypeError, DataError, QueryTimeout, LimitExceeded):
        assert issubclass(cls, QueryError)
    assert issubclass(QueryError, Exception) and not issubclass(QueryError, (ValueError, TypeError))



def test_a_long_script_is_parsed_each_time_not_kept():
    """Found by a review: parsed scripts were kept by their text, 512 of them, whatever their
    length, so 600 distinct scripts each holding a literal list of 3,000 ids kept about 360 MB
    alive after their queries (even with the plan cache off). A script past a few kilobytes is
    parsed each time; a short one is still kept."""
    from querylang.script.parser import KEEP_PARSED_UP_TO, parse_script

    ids = ", ".join(f"'x{i:05d}'" for i in range(KEEP_PARSED_UP_TO // 8))
    long = f"where({{ objectId: {{ containedIn: [{ids}] }} }})"
    assert len(long) > KEEP_PARSED_UP_TO
    assert parse_script(long) is not parse_script(long)
    assert parse_script(long) == parse_script(long)
    short = "where({ a: { equalTo: 1 } })"
    assert parse_script(short) is parse_script(short)
