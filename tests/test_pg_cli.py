"""The CLI given a PostgreSQL URL (--db postgresql://...): load and query, and a load whose
connection the server cuts."""

from __future__ import annotations

import threading
import time

import psycopg
from click.testing import CliRunner

import querylang

from .pg import DOC, fresh_url


def test_cli_takes_a_postgresql_url(pg_cluster, tmp_path):
    import json

    from querylang.app.cli import main

    url = fresh_url(pg_cluster)
    file = tmp_path / "doc.json"
    file.write_text(json.dumps(DOC))
    runner = CliRunner()
    res = runner.invoke(main, ["load", str(file), "--db", url])
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["query", "Post", "where({ score: { greaterThan: 0 } })", "--db", url, "--format", "json"])
    assert res.exit_code == 0, res.output
    assert "p1" in res.output and "p2" in res.output and "p3" not in res.output
    res = runner.invoke(main, ["load", str(file), "--db", url])
    assert res.exit_code == 2 and "duplicate objectId" in res.output
    res = runner.invoke(main, ["query", "Post", "where({})", "--db", "postgresql://nobody@127.0.0.1:1/x"])
    assert res.exit_code == 2 and "cannot connect to PostgreSQL" in res.output



def test_cli_load_cut_off_says_so_once(pg_cluster, tmp_path):
    """The server ending the load's connection during its COPY: exit 2, nothing loaded, and
    one line on stderr; psycopg's own warning ("error ignored terminating <psycopg.Copy
    [BAD] at 0x...>: the connection is lost") came first. A process of its own: pytest
    catches log records in-process."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    url = fresh_url(pg_cluster)
    file = tmp_path / "big.json"
    file.write_text(json.dumps({"classes": {"Big": {"fields": {"s": {"type": "String"}}}},
                                "records": {"Big": [{"objectId": f"b{i}", "s": "x" * 40} for i in range(300_000)]}}))

    def cut() -> None:
        with psycopg.connect(pg_cluster.url(), autocommit=True) as con:
            for _ in range(600):
                row = con.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE query LIKE 'COPY \"Big\"%%' AND pid <> pg_backend_pid()").fetchone()
                if row is not None:
                    return
                time.sleep(0.05)

    cutter = threading.Thread(target=cut)
    cutter.start()
    res = subprocess.run([sys.executable, "-m", "querylang", "load", str(file), "--db", url],
                         capture_output=True, text=True, timeout=300, cwd=Path(querylang.__file__).parent.parent)
    cutter.join()
    assert res.returncode == 2, res.stderr
    assert len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert "nothing was loaded" in res.stderr and "psycopg" not in res.stderr
    with querylang.connect(url) as db:
        assert "Big" not in db.schema.classes

