"""The `querylang serve` command line (the running server itself is exercised by the load smoke test)."""

from __future__ import annotations

from click.testing import CliRunner

from querylang.app.cli import main


def test_serve_help_lists_the_flags() -> None:
    out = CliRunner().invoke(main, ["serve", "--help"]).output
    for flag in ("--db", "--data", "--host", "--port", "--mount", "--app-id", "--master-key", "--rest-key",
                 "--allow-client-writes"):
        assert flag in out


def test_serve_needs_keys() -> None:
    res = CliRunner().invoke(main, ["serve"])
    assert res.exit_code == 2 and "--app-id" in res.output


def test_serve_refuses_postgres_for_now() -> None:
    res = CliRunner().invoke(main, ["serve", "--db", "postgresql://u@127.0.0.1/x", "--app-id", "a", "--master-key", "m"])
    assert res.exit_code == 2 and "no PostgreSQL engine" in res.output
