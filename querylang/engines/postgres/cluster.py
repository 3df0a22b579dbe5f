"""A throw-away PostgreSQL cluster on 127.0.0.1, for the tests and the benchmarks.

Uses ``initdb``/``pg_ctl`` of the newest Debian PostgreSQL (``pg_config --bindir``, PATH, or
/usr/lib/postgresql/*/bin); when there is none and we are root, installs Debian's
``postgresql`` package first. initdb and postgres refuse to run as root, so as root the
cluster belongs to the ``postgres`` user. It listens on a free loopback port with fsync off
(a test instance: nothing in it needs to survive a crash) and is removed by :meth:`stop`.

    python -m querylang.engines.postgres.cluster     # start one, print its URL, wait for Ctrl-C or SIGTERM
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Any

INSTALL_HINT = "install PostgreSQL (as root: apt-get install -y postgresql)"


class Unavailable(RuntimeError):
    """PostgreSQL cannot be run here; the message says what is missing."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(cmd: list[str], what: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)
    except FileNotFoundError as exc:
        raise Unavailable(f"{what}: {cmd[0]} not found") from exc
    except subprocess.CalledProcessError as exc:
        raise Unavailable(f"{what} failed: {(exc.stderr or exc.stdout or '').strip()[-500:]}") from exc
    except subprocess.TimeoutExpired as exc:
        raise Unavailable(f"{what} timed out after {exc.timeout} s") from exc


def _found_bin() -> Path | None:
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if out and (Path(out) / "initdb").exists():
            return Path(out)
    cands = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if cands:
        return Path(cands[-1]).parent
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


def pg_bin() -> Path:
    """The directory of initdb/pg_ctl/postgres; installs Debian's package when missing (root)."""
    found = _found_bin()
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        run(["apt-get", "update", "-q"], "apt-get update", timeout=600)
        run(["apt-get", "install", "-y", "-q", "postgresql"], "apt-get install postgresql", timeout=900)
        found = _found_bin()
        if found:
            return found
    raise Unavailable(f"PostgreSQL is not installed (need initdb and pg_ctl): {INSTALL_HINT}")


class Cluster:
    """A throw-away PostgreSQL cluster on 127.0.0.1 with one database ``dbname``."""

    def __init__(self, dbname: str = "querylang", *, locale: str = "C", prefix: str = "ql-pg-") -> None:
        self.bin = pg_bin()
        self.tmp = Path(tempfile.mkdtemp(prefix=prefix))
        self.data = self.tmp / "data"
        self.port = free_port()
        self.dbname = dbname
        self._standbys: list[Path] = []  # the data directories of standby()'s servers
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.tmp, "postgres", "postgres")
        try:
            self.version = run([str(self.bin / "postgres"), "--version"], "postgres --version").stdout.strip()
            self._pg(["initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                      f"--locale={locale}", "--no-sync"], "initdb")
            self.start()
            self.psql(["-d", "postgres", "-c", f'CREATE DATABASE "{dbname}"'])
        except BaseException:
            # No caller holds the cluster yet to stop it: a failed or interrupted start would
            # leave its directory, and maybe a server, behind.
            self.stop()
            raise

    def start(self) -> None:
        opts = (f"-p {self.port} -k {self.tmp} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._pg(["pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.tmp / "log"), "-w", "-t", "60", "start"],
                 "pg_ctl start")

    def _pg(self, args: list[str], what: str, **kw: Any) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return run(cmd, what, timeout=300, **kw)

    def psql(self, args: list[str], stdin: str | None = None) -> str:
        psql = str(self.bin / "psql") if (self.bin / "psql").exists() else (shutil.which("psql") or "psql")
        cmd = [psql, "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-q", *args]
        return run(cmd, "psql", input=stdin, timeout=600).stdout

    def url(self, dbname: str | None = None, user: str = "postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{dbname or self.dbname}"

    @property
    def uri(self) -> str:
        return self.url()

    def halt(self) -> None:
        """Stop the server, keeping its files (``start`` brings it back)."""
        self._pg(["pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop"], "pg_ctl stop")

    def standby(self) -> str:
        """Start a hot standby of this cluster (a streaming replica: read-only, as a replica
        querylang may be pointed at is); the URL of its database. stop() stops it too."""
        data, port = self.tmp / "standby", free_port()
        # A fast checkpoint: the default spreads it, and the copy waited for it up to a minute and more.
        self._pg(["pg_basebackup", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-D", str(data), "-R",
                  "-c", "fast", "-X", "stream"], "pg_basebackup")
        opts = f"-p {port} -k {self.tmp} -c listen_addresses=127.0.0.1 -c max_connections=200"  # as start's
        self._pg(["pg_ctl", "-D", str(data), "-o", opts, "-l", str(self.tmp / "standby.log"), "-w", "-t", "60", "start"],
                 "pg_ctl start (standby)")
        self._standbys.append(data)
        return f"postgresql://postgres@127.0.0.1:{port}/{self.dbname}"

    def stop(self) -> None:
        for data in (*self._standbys, self.data):
            try:
                self._pg(["pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop"], "pg_ctl stop")
            except Unavailable:
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)


if __name__ == "__main__":
    import signal
    import time

    # SIGTERM (kill, a CI job cancelled) ends it as Ctrl-C does, through the stop below: by
    # default it ended the process alone, leaving the server running and its directory behind.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    c = Cluster()
    print(c.url(), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        # A second Ctrl-C or SIGTERM (an impatient kill) would cut the stop short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        c.stop()
