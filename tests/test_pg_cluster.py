"""The throw-away PostgreSQL cluster (querylang/engines/postgres/cluster.py) run as a program."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest

from querylang.engines.postgres.cluster import Cluster, Unavailable

ROOT = Path(__file__).resolve().parents[1]


def _running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended: only unreaped


def test_sigterm_stops_the_server_and_removes_its_directory() -> None:
    # SIGTERM ended the program alone: its postmaster went on running on the port, with the
    # cluster's temporary directory left behind, where Ctrl-C stopped both.
    proc = subprocess.Popen([sys.executable, "-m", "querylang.engines.postgres.cluster"], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    data = None
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        with psycopg.connect(url) as con:
            row = con.execute("SHOW data_directory").fetchone()
        assert row is not None
        data = Path(row[0])
        postmaster = int((data / "postmaster.pid").read_text().split()[0])
        assert _running(postmaster)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        assert not _running(postmaster)
        assert not data.parent.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if data is not None and (data / "postmaster.pid").exists():  # what the old code left
            with contextlib.suppress(OSError, ValueError):
                os.kill(int((data / "postmaster.pid").read_text().split()[0]), signal.SIGQUIT)
            shutil.rmtree(data.parent, ignore_errors=True)


def test_a_cluster_that_fails_to_start_leaves_no_directory() -> None:
    # A failed initdb (here a locale the system lacks) raised Unavailable and left the
    # cluster's temporary directory behind: no caller held the cluster to stop it.
    prefix = f"ql-pg-fails-{os.getpid()}-"
    with pytest.raises(Unavailable, match="initdb failed"):
        Cluster(locale="xx_NOWHERE.UTF-8", prefix=prefix)
    assert list(Path(tempfile.gettempdir()).glob(prefix + "*")) == []
