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
from hypothesis import given
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
