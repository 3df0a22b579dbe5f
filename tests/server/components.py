"""The real components the server tests drive, installed when missing (CI runs on a fresh machine).

- the Parse JS SDK (npm ``parse``), run by ``node``: installed with npm into tests/server/.node
  (gitignored); Node.js itself comes from apt when we are root and it is missing;
- Debian's ``chromium`` and ``chromium-driver`` (apt, as root), driven by Selenium.

A component that cannot be had makes the test fail with what to install: never a silent skip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from benchmarks.parse_server import install_once

HERE = Path(__file__).parent
NODE_DIR = HERE / ".node"
PARSE_SDK = "parse@6"
CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromedriver")


def _run(cmd: list[str], what: str, **kw: object) -> None:
    try:
        subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=900, **kw)  # type: ignore[call-overload]
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        detail = getattr(exc, "stderr", None) or str(exc)
        pytest.fail(f"{what} failed: {str(detail).strip()[-800:]}")


def _apt_install(*packages: str) -> None:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.fail(f"missing {', '.join(packages)}: install them (Debian: apt-get install -y {' '.join(packages)})")
    _run(["apt-get", "update", "-q"], "apt-get update")
    _run(["apt-get", "install", "-y", "-q", *packages], f"apt-get install {' '.join(packages)}")


def node_modules() -> Path:
    """node_modules holding the Parse JS SDK (installing node/npm and the SDK if needed)."""
    if not shutil.which("node") or not shutil.which("npm"):
        _apt_install("nodejs", "npm")
    modules = NODE_DIR / "node_modules"

    def install() -> None:
        (NODE_DIR / "package.json").write_text(json.dumps({"name": "querylang-serve-tests", "private": True}) + "\n")
        _run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", PARSE_SDK],
             f"npm install {PARSE_SDK} (needs the npm registry)", cwd=NODE_DIR)

    install_once(NODE_DIR, (modules / "parse" / "node.js").exists, install, PARSE_SDK)
    if not (modules / "parse" / "node.js").exists():
        pytest.fail(f"npm install {PARSE_SDK} did not produce {modules / 'parse'}")
    return modules


def chromium() -> tuple[str, str]:
    """Paths of Debian's chromium and chromedriver (apt-get installing them if needed)."""
    if not all(Path(p).exists() for p in CHROMIUM):
        _apt_install("chromium", "chromium-driver")
    missing = [p for p in CHROMIUM if not Path(p).exists()]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing after apt-get install chromium chromium-driver")
    return CHROMIUM


def run_node(script: Path, *args: str, timeout: float = 120) -> dict:
    """Run a node script with the SDK on its module path; its stdout is one JSON document."""
    env = {**os.environ, "NODE_PATH": str(node_modules())}
    proc = subprocess.run(["node", str(script), *args], capture_output=True, text=True, timeout=timeout, env=env)
    if proc.returncode != 0:
        pytest.fail(f"node {script.name} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout)
