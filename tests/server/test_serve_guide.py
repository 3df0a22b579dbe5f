"""docs/serve.md's table of mistakes, asked of a running server: each row's status, and its body
where the row shows one (``...`` in it stands for any text), is what the server answers.

The rows are read from the page, so a changed message or status shows here as the row that no
longer holds; a new row fails until a request for it is added below.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import headers
from .live import LiveServer

GUIDE = (Path(__file__).resolve().parents[2] / "docs" / "serve.md").read_text(encoding="utf-8")


def _rows() -> list[tuple[str, int, str]]:
    start = GUIDE.index("| mistake | status | body |")
    rows = []
    for line in GUIDE[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        mistake, status, body = (c.strip() for c in line.strip().strip("|").split("|"))
        rows.append((mistake, int(status), body))
    return rows


ROWS = _rows()
J = {"Content-Type": "application/json"}

# The request that makes each mistake, by the row's first words (on the shared server: the
# sample data, and the class Note whose ACLs are in its field `acl`).
REQUESTS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "missing or wrong app id": ("GET", "/classes/Post", {"headers": {"X-Parse-Application-Id": "wrong"}}),
    "a `Host` naming a host": ("GET", "/classes/Post", {"headers": {"Host": "evil.example"}}),
    "`/schemas` or `PUT /config` without the master key": ("GET", "/schemas", {}),
    "a write without the master key": ("POST", "/classes/Post", {"json": {"title": "x"}}),
    "body that is not JSON": ("POST", "/classes/Post", {"content": b"not json", "headers": J, "master": True}),
    "body nested deeper than 110 levels": ("POST", "/classes/Post", {"content": b'{"meta": ' + b"[" * 120 + b"]" * 120 + b"}",
                                                                   "headers": J, "master": True}),
    "body in a charset": ("POST", "/classes/Post", {"content": b"{}", "headers": {"Content-Type": "text/plain; charset=koi8-r"},
                                                    "master": True}),
    "a client asking for a class only the master key": ("GET", "/classes/_Installation", {}),
    "`where` that is not JSON": ("GET", "/classes/Post", {"params": {"where": "{bad"}}),
    "body over `--max-body`": ("POST", "/classes/Post", {"content": b"{" + b" " * 21_000_000 + b"}", "headers": J,
                                                        "master": True}),
    "a create in an unknown class": ("POST", "/classes/Posts", {"json": {}, "master": True}),
    "a client asking for a class that is not there": ("GET", "/classes/Posts", {}),
    "an empty key in `order`": ("GET", "/classes/Post", {"params": {"order": "-score,"}}),
    "a sort key whose field": ("GET", "/classes/Post", {"params": {"order": "a b"}}),
    "a client's `explain`": ("GET", "/classes/Post", {"params": {"explain": "true"}}),
    "unknown field (query or write)": ("GET", "/classes/Post", {"params": {"where": '{"scroe": 1}'}}),
    "value of the wrong type": ("PUT", "/classes/Post/p001", {"json": {"score": "x"}, "master": True}),
    "unknown operator": ("GET", "/classes/Post", {"params": {"where": '{"score": {"$foo": 1}}'}}),
    "a `where` key on the ACL field": ("GET", "/classes/Note", {"params": {"where": '{"acl.u1.read": true}'}}),
    "without the master key, a dot path": ("GET", "/classes/Note", {"params": {"where": '{"about.title": "x"}'}}),
    "malformed ACL": ("PUT", "/classes/Note/n1", {"json": {"ACL": {"*": {"read": 1}}}, "master": True}),
    "duplicate `objectId` on create": ("POST", "/classes/Post", {"json": {"objectId": "p001"}, "master": True}),
    "record not there": ("GET", "/classes/Note/n3", {}),
    "a path under the mount that is no route here": ("GET", "/nowhere", {}),
    "a key holding `$` or `.` inside": ("PUT", "/classes/Post/p001", {"json": {"meta": {"$gt": 1}}, "master": True}),
}


def _request(row: str) -> tuple[str, str, dict[str, Any]]:
    found = [key for key in REQUESTS if row.startswith(key)]
    assert len(found) == 1, f"docs/serve.md: add a request for the row {row!r}"
    return REQUESTS[found[0]]


def test_the_guide_shows_the_table() -> None:
    assert len(ROWS) >= 12, ROWS


@pytest.mark.parametrize("mistake,status,body", ROWS, ids=[m[:40] for m, _, _ in ROWS])
def test_each_mistake_is_answered_as_the_guide_shows(
    mistake: str, status: int, body: str, shared: LiveServer, client: httpx.Client
) -> None:
    method, path, kw = _request(mistake)
    kw = dict(kw)
    hdrs = {**headers(master=kw.pop("master", False)), **kw.pop("headers", {})}
    r = client.request(method, shared.url + path, headers=hdrs, **kw)
    assert r.status_code == status, (mistake, r.status_code, r.text)
    shown = re.fullmatch(r"`(\{.*\})`", body)
    if shown is not None:  # a whole body: exact, `...` standing for any text
        pattern = ".*".join(re.escape(part) for part in shown.group(1).split("..."))
        answer = json.dumps(r.json(), separators=(", ", ": "), ensure_ascii=False)
        assert re.fullmatch(pattern, answer), f"docs/serve.md shows {shown.group(1)}, the server answers {answer}"
    else:  # a code, and what the message says
        code = re.match(r"(\d+)", body)
        assert code is not None and r.json()["code"] == int(code.group(1)), (body, r.text)
        if "did-you-mean" in body:
            assert "did you mean" in r.json()["error"], r.text
        if "needs the master key" in body:
            assert "master key" in r.json()["error"], r.text


def test_the_guides_command_prints_what_it_shows(tmp_path: Path) -> None:
    """The page's first block: `querylang serve --data blog.json ...` and the line it prints
    (on a port the system picks: 1337 may be taken), then the API answers there."""
    import os
    import shlex
    import shutil
    import subprocess
    import sys

    block = re.search(r"```sh\n(.*?)```", GUIDE, re.DOTALL)
    assert block is not None
    lines = block.group(1).splitlines()
    command = next(x for x in lines if x.startswith("querylang serve "))
    shown = next(x for x in lines if x.startswith("# querylang serve: "))[2:]
    root = Path(__file__).resolve().parents[2]
    shutil.copy(root / "querylang" / "data" / "sample.json", tmp_path / "blog.json")
    args = shlex.split(command)[1:]
    proc = subprocess.Popen([sys.executable, "-m", "querylang", *args, "--port", "0"], cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(root)}, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        printed = proc.stdout.readline().rstrip()
        port = re.search(r":(\d+)/parse", printed)
        assert port is not None, printed
        assert printed == shown.replace(":1337/", f":{port.group(1)}/"), (printed, shown)
        app_id = args[args.index("--app-id") + 1]
        r = httpx.get(f"http://127.0.0.1:{port.group(1)}/parse/classes/Post", params={"limit": 1},
                      headers={"X-Parse-Application-Id": app_id}, timeout=30)
        assert r.status_code == 200 and len(r.json()["results"]) == 1, r.text
    finally:
        proc.terminate()
        proc.wait(20)
