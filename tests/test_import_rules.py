"""The architecture's rules, read from the source (issue #11): which part may import which.

- model/ imports nothing of querylang but errors;
- script/ and frontends/ never import an engine or the reference evaluator;
- reference/ and engines/ never import each other;
- app/ (the command line and the REPL) never imports an engine or the reference;
- no module imports another module's ``_private`` names;
- SQL text is written only under engines/.

KNOWN lists the breaches the layout move found and that are being removed by the helpers who
own those modules. The test fails on any breach not listed, and on any listed one that is gone
(so the list is kept true: remove the entry with the fix).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "querylang"
SQL = re.compile(
    r"\b(SELECT\b.*\bFROM|INSERT\s+INTO|CREATE\s+(TABLE|INDEX|UNIQUE)|UPDATE\s+\S+\s+SET|DELETE\s+FROM|EXPLAIN\s)",
    re.S,
)

KNOWN = {
    # private names
    ("querylang.engines.duckdb.store", "private name querylang.model.values._plain"),
    ("querylang.engines.sql.plan_cache", "private name querylang.engines.sql.compiler._param"),
    ("querylang.engines.sql.plan_cache", "private name querylang.frontends.filters._id"),
    ("querylang.engines.sql.plan_cache", "private name querylang.frontends.filters._value"),
    ("querylang.interchange.columns", "private name querylang.interchange.document._class_rows"),
    ("querylang.interchange.columns", "private name querylang.interchange.document._open_document"),
    ("querylang.interchange.columns", "private name querylang.interchange.document._relation_list"),
    ("querylang.interchange.columns", "private name querylang.model.values._plain"),
    ("querylang.interchange.document", "private name querylang.model.schema._check_case"),
    # front ends asking the reference whether a filter holds for an absent record
    ("querylang.frontends.filters", "frontends imports querylang.reference.evaluator"),
    ("querylang.frontends.parse_rest", "frontends imports querylang.reference.evaluator"),
    # SQL text outside the engines (count / distinct / aggregate)
    ("querylang.api", "SQL text"),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def part(module: str) -> str | None:
    """model, script, frontends, reference, engines, app, ... of a querylang module."""
    bits = module.split(".")
    if bits[0] != "querylang":
        return None
    return bits[1] if len(bits) > 1 else "querylang"


def breaches(path: Path, module: str | None = None) -> set[tuple[str, str]]:
    module = module or module_name(path)
    src = part(module)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body and isinstance(node.body[0], ast.Expr)
    }  # fmt: skip
    found: set[tuple[str, str]] = set()
    for node in ast.walk(tree):
        targets: list[tuple[str, str | None]] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [(node.module, a.name) for a in node.names]
        elif isinstance(node, ast.Import):
            targets = [(a.name, None) for a in node.names]
        for target, name in targets:
            dst = part(target)
            if dst is None:
                continue
            if src == "model" and dst not in ("model", "errors"):
                found.add((module, f"model imports {target}"))
            if src in ("script", "frontends") and dst in ("engines", "reference"):
                found.add((module, f"{src} imports {target}"))
            if (src, dst) in (("reference", "engines"), ("engines", "reference")):
                found.add((module, f"{src} imports {target}"))
            if src == "app" and dst in ("engines", "reference"):
                found.add((module, f"app imports {target}"))
            if name is not None and name.startswith("_") and not name.startswith("__") and target != module:
                found.add((module, f"private name {target}.{name}"))
        if src != "engines" and isinstance(node, ast.Constant | ast.JoinedStr) and id(node) not in docstrings:
            if isinstance(node, ast.JoinedStr):
                text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
            else:
                text = node.value if isinstance(node.value, str) else ""
            if isinstance(text, str) and SQL.search(text):
                found.add((module, "SQL text"))
    return found


def test_the_parts_import_only_what_the_architecture_allows() -> None:
    found: set[tuple[str, str]] = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        found |= breaches(path)
    new = sorted(found - KNOWN)
    gone = sorted(KNOWN - found)
    assert not new, f"imports the architecture forbids: {new}"
    assert not gone, f"fixed (well done): remove them from KNOWN in this file: {gone}"


def test_the_check_sees_a_breach(tmp_path: Path) -> None:
    """The rules above are not vacuous: a forbidden import and SQL text are found."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        'from querylang.engines.duckdb.store import Store\nfrom querylang.model.values import _plain\n'
        'Q = f"SELECT {1} FROM t"\n',
        encoding="utf-8",
    )
    assert breaches(probe, "querylang.app.probe") == {
        ("querylang.app.probe", "app imports querylang.engines.duckdb.store"),
        ("querylang.app.probe", "private name querylang.model.values._plain"),
        ("querylang.app.probe", "SQL text"),
    }
