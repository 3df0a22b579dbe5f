"""benchmarks/serve_load.py still runs: a small bounded load (querylang serve only), nothing timed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_serve_load_smoke(tmp_path: Path) -> None:
    out = tmp_path / "serve-load.md"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.serve_load", "--scale", "T", "--ops", "300", "--clients", "4",
         "--without-parse", "--max-seconds", "120", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    text = out.read_text(encoding="utf-8")
    # 300 requests, no error, no lost write
    assert "| querylang serve | 300 | 0 | 0 |" in text
    assert "problems: none" in text
