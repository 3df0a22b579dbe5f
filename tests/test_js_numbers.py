"""Numbers in JSON answers written as Parse Server 9 (JavaScript) writes them: an integral
double of 2**53 or more was answered ``9007199254740992.0`` and ``1e+20`` by ``querylang serve``
and the command line's JSON, where Parse answers ``9007199254740992`` and
``100000000000000000000`` (each case below is what Parse Server 9 answered for that Number
stored, tests/server/test_parse_live_fidelity.py). Comparisons are unchanged: the stored
values are the same doubles."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import assume, given
from hypothesis import strategies as st

import querylang
from querylang.app.cli import main
from querylang.model.jsvalues import num_str
from querylang.server.answer_json import answer_bytes

from .server.live import http_client, start

# (the double, Parse Server 9's text for it, Node's Number.prototype.toString)
PARSE_TEXT = [
    (2.0**53, "9007199254740992"),
    (-(2.0**53), "-9007199254740992"),
    (9007199254740994.0, "9007199254740994"),
    (1e16, "10000000000000000"),
    (1e20, "100000000000000000000"),
    (123456789012345678901.0, "123456789012345680000"),
    (1e21, "1e+21"),
    (1e22, "1e+22"),
    (2e53, "2e+53"),
    (1.5e300, "1.5e+300"),
    (-0.0, "0"),
    (4.5e15, "4500000000000000"),
    (9007199254740991.0, "9007199254740991"),
    (1e-7, "1e-7"),
    (1.23456e-8, "1.23456e-8"),
    (0.00001, "0.00001"),
    (0.000001, "0.000001"),
    (0.1, "0.1"),
    (123.456, "123.456"),
    (5e-324, "5e-324"),
    (1.7976931348623157e308, "1.7976931348623157e+308"),
]
BIG = [(x, text) for x, text in PARSE_TEXT if x.is_integer() and abs(x) < 1e21]


@pytest.mark.parametrize(("x", "text"), PARSE_TEXT)
def test_js_text_is_javascripts(x: float, text: str) -> None:
    assert num_str(x) == text


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_an_answer_writes_every_double_as_javascript_does(x: float) -> None:
    """orjson's text where it is JavaScript's, js_text's where it is not (integral doubles,
    and those from 10**-6 up to below 10**-5, which orjson writes with an exponent)."""
    assert answer_bytes({"n": [x, {"x": x}]}) == f'{{"n":[{num_str(x)},{{"x":{num_str(x)}}}]}}'.encode()


def _db() -> querylang.Database:
    db = querylang.connect()
    db.load({"classes": {"N": {"fields": {"n": {"type": "Number"}, "o": {"type": "Object"}, "a": {"type": "Array"}}}},
             "records": {"N": [{"objectId": f"n{i}", "n": x, "o": {"x": x}, "a": [x]} for i, (x, _) in enumerate(PARSE_TEXT)]}})
    return db


def test_serve_answers_numbers_as_parse_does() -> None:
    """GET /classes/N: each Number, and the same number inside an Object and an Array, in
    Parse's text; a where on 2**53 finds its record (comparisons unchanged)."""
    srv = start(_db())
    try:
        with http_client() as client:
            h = {"X-Parse-Application-Id": srv.config.app_id, "X-Parse-Master-Key": srv.config.master_key}
            for i, (_, text) in enumerate(PARSE_TEXT):
                r = client.get(f"{srv.url}/classes/N/n{i}", headers=h, params={"keys": "n,o,a"})
                assert re.search(f'"n":{re.escape(text)}[,}}]', r.text), r.text
                assert f'"o":{{"x":{text}}}' in r.text and f'"a":[{text}]' in r.text, r.text
            where = json.dumps({"n": 2**53})
            r = client.get(f"{srv.url}/classes/N", headers=h, params={"where": where, "keys": "n"})
            assert [x["objectId"] for x in r.json()["results"]] == ["n0"]
            assert '"n":9007199254740992}' in r.text
    finally:
        srv.stop()


def test_the_command_lines_json_writes_big_integral_numbers_as_parse_does(tmp_path: Any) -> None:
    doc, data = tmp_path / "doc.json", tmp_path / "doc.duckdb"
    doc.write_text(json.dumps({"classes": {"N": {"fields": {"n": {"type": "Number"}, "o": {"type": "Object"}}}},
                               "records": {"N": [{"objectId": f"n{i}", "n": x, "o": {"x": [x]}} for i, (x, _) in enumerate(BIG)]}}))
    assert CliRunner().invoke(main, ["load", str(doc), "--db", str(data)]).exit_code == 0
    for fmt in ("json", "jsonl"):
        res = CliRunner().invoke(main, ["query", "N", "sort('n')", "--db", str(data), "--format", fmt, "--select", "n,o"])
        assert res.exit_code == 0, res.output
        want = [text for _, text in sorted(BIG)]
        assert re.findall(r'"n": ([^,\s]+),', res.stdout) == want, res.stdout
        assert re.findall(r'"x": \[\s*([^\s\]]+)', res.stdout) == want, res.stdout


# Doubles json writes with a negative exponent, where JavaScript writes digits (below 1e-4 and
# from 1e-6 on) or an exponent of no leading zero (below 1e-6); integral ones and -0.0 beside them.
SMALL = [1e-05, 1.5e-07, 1e-7, 5e-324, 0.1, 1e21, -0.0, -2.5e-6, 0.000099, 1e-4]


@pytest.mark.parametrize("command", ["find", "query"])
def test_the_command_lines_json_writes_every_number_as_parse_does(tmp_path: Any, command: str) -> None:
    """Before, --format json and jsonl wrote a double below 1e-4 as Python does (1e-05,
    1.5e-07, in an Object and an Array too), where Parse Server (JavaScript) writes 0.00001
    and 1.5e-7, as the table and CSV views did already."""
    doc, data = tmp_path / "doc.json", tmp_path / "doc.duckdb"
    records = [{"objectId": f"n{i}", "n": x, "o": {"x": [x, {"y": x}]}, "s": repr(x)}
               for i, (x, _) in enumerate(PARSE_TEXT)]
    doc.write_text(json.dumps({"classes": {"N": {"fields": {"n": {"type": "Number"}, "o": {"type": "Object"},
                                                            "s": {"type": "String"}}}}, "records": {"N": records}}))
    assert CliRunner().invoke(main, ["load", str(doc), "--db", str(data)]).exit_code == 0
    asked = ["{}", "--order", "objectId", "--keys", "n,o,s"] if command == "find" else ["sort('objectId')", "--select", "n,o,s"]
    order = sorted(range(len(PARSE_TEXT)), key=lambda i: f"n{i}")
    want = [PARSE_TEXT[i][1] for i in order]
    for fmt in ("json", "jsonl"):
        res = CliRunner().invoke(main, [command, "N", *asked, "--db", str(data), "--format", fmt])
        assert res.exit_code == 0, res.output
        assert re.findall(r'"n": ([^,\s]+),', res.stdout) == want, res.stdout
        assert re.findall(r'"x": \[\s*([^,\s]+),', res.stdout) == want, res.stdout
        assert re.findall(r'"y": ([^\s}]+)', res.stdout) == want, res.stdout
        # Strings as they were, Python's text of the number included.
        assert re.findall(r'"s": "([^"]*)"', res.stdout) == [repr(PARSE_TEXT[i][0]) for i in order], res.stdout


@given(st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(SMALL),
       st.text() | st.sampled_from(["1e-05", 'a"1e-05', "\\", '\\"1e-7"', "x\\\\", "1e-05\n\u00e9", "e-5"]))
def test_json_text_writes_numbers_as_javascript_and_strings_as_json(x: float, s: str) -> None:
    """Every double as JavaScript writes it, also nested and indented; the rest of the text is
    json's own (spacing, key order, strings holding what reads as a number, ensure_ascii=False)."""
    from querylang.app.render import dumps

    assume(s != MARK)
    n, text = num_str(x), json.dumps(s, ensure_ascii=False)
    assert dumps([s, [x, {"x": x}], {s: x}]) == f'[{text}, [{n}, {{"x": {n}}}], {{{text}: {n}}}]'
    marked = json.dumps([s, [MARK, {"x": MARK}], {s: MARK}], ensure_ascii=False, indent=2)
    assert dumps([s, [x, {"x": x}], {s: x}], indent=2) == marked.replace(json.dumps(MARK), n)


MARK = "\0a number"  # written escaped (\u0000), as a string holding it would be: left out


def test_the_command_lines_tables_and_csv_write_the_numbers_of_objects_and_arrays_as_parse_does(tmp_path: Any) -> None:
    """Before, an Object or Array in a table or in CSV was json's text of it, its numbers as
    Python writes them ({"x": 1.152921504606847e+18, "y": [1e-05, 1.5e-07]}), where a Number
    beside it was JavaScript's text already; a string in it stays as it was."""
    doc, data = tmp_path / "doc.json", tmp_path / "doc.duckdb"
    doc.write_text(json.dumps({"classes": {"N": {"fields": {"o": {"type": "Object"}, "a": {"type": "Array"}}}},
                               "records": {"N": [{"objectId": "n1", "o": {"x": 2.0**60},
                                                  "a": [1e-05, 1.5e-07, "e-5.0]"]}]}}))
    assert CliRunner().invoke(main, ["load", str(doc), "--db", str(data)]).exit_code == 0
    for fmt in ("table", "csv"):
        res = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"}).invoke(
            main, ["query", "N", "", "--db", str(data), "--format", fmt, "--select", "o,a"])
        assert res.exit_code == 0, res.output
        quote = '""' if fmt == "csv" else '"'  # CSV doubles a quote within a field
        assert "{" + f"{quote}x{quote}: 1152921504606847000" + "}" in res.stdout, res.stdout
        array = f"[0.00001, 1.5e-7, {quote}e-5.0]{quote}]"
        assert (array if fmt == "csv" else array[:18]) in res.stdout, res.stdout  # a table cuts it short


JSON_DATA = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(SMALL)
    | st.text() | st.sampled_from(["5.0]", "1e+17,", "e-5"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4), max_leaves=12)


@given(st.lists(JSON_DATA, max_size=3) | st.dictionaries(st.text(), JSON_DATA, max_size=3), st.sampled_from([None, 2]))
def test_the_text_of_an_object_or_array_is_dumps_text(value: Any, indent: int | None) -> None:
    """json_text (tables, CSV, the data browser) takes json's text where it is dumps' already,
    and is dumps' text everywhere: a number ending a line of indented text (5.0) included."""
    from querylang.app.render import dumps, json_text

    assert json_text(value, indent=indent) == dumps(value, indent=indent)
    assert json_text([1, [5.0]], indent=indent) == dumps([1, [5]], indent=indent)
