"""The import rules that keep the parts apart, read from the code itself (README, "Code map").

Each rule is checked on every module's imports (``ast``, nothing is run), so a new file that
breaks one fails here with the file and the line.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "querylang"
MAX_LINES = 700


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources(*folders: str) -> list[Path]:
    out: list[Path] = []
    for folder in folders:
        out += sorted((ROOT / folder).rglob("*.py"))
    return out


def _imports(path: Path) -> Iterator[tuple[int, str, list[str]]]:
    """(line, imported module, names) for each import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = _module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [a.name for a in node.names]
            yield node.lineno, base, names
            for name in names:  # `from querylang.engines import duckdb` imports a module
                yield node.lineno, f"{base}.{name}", []


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "querylang" else ""


def _violations(folders: tuple[str, ...], forbidden: tuple[str, ...], allowed: tuple[str, ...] = ()) -> list[str]:
    bad = []
    for path in _sources(*folders):
        for line, module, _ in _imports(path):
            if not module.startswith("querylang"):
                continue
            if any(module == f or module.startswith(f + ".") for f in forbidden) and not any(
                module == a or module.startswith(a + ".") for a in allowed
            ):
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return sorted(set(bad))


def test_model_imports_nothing_but_errors() -> None:
    bad = []
    for path in _sources("querylang/model"):
        for line, module, _ in _imports(path):
            if module.startswith("querylang") and module != "querylang" and not (
                module.startswith("querylang.model") or module.startswith("querylang.errors")
            ):
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert not bad, "\n".join(bad)


def test_script_and_frontends_never_import_an_engine_or_the_reference() -> None:
    bad = _violations(("querylang/script", "querylang/frontends"), ("querylang.engines", "querylang.reference"))
    assert not bad, "\n".join(bad)


def test_reference_and_engines_never_import_each_other() -> None:
    bad = _violations(("querylang/reference",), ("querylang.engines",))
    bad += _violations(("querylang/engines",), ("querylang.reference",))
    assert not bad, "\n".join(bad)


def test_app_and_server_use_the_public_api() -> None:
    folders = tuple(f for f in ("querylang/app", "querylang/server") if (ROOT / f).exists())
    bad = _violations(folders, ("querylang.engines", "querylang.reference", "querylang.interchange"))
    assert not bad, "\n".join(bad)


def test_no_module_imports_another_modules_private_names() -> None:
    bad = []
    for path in _sources("querylang", "benchmarks"):
        own = _module_name(path)
        for line, module, names in _imports(path):
            if not module.startswith("querylang") or module == own:
                continue
            for name in names:
                if name.startswith("_") and not name.startswith("__"):
                    bad.append(f"{path.relative_to(ROOT)}:{line} imports {module}.{name}")
    assert not bad, "\n".join(sorted(set(bad)))


def _querylang_names(path: Path, tree: ast.AST) -> set[str]:
    """The names a file binds to querylang modules or to things imported from them."""
    here = _module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.asname or a.name.split(".")[0] for a in node.names if a.name.split(".")[0] == "querylang"}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package[: len(package) - node.level + 1], base])
            if base.split(".")[0] == "querylang":
                names |= {a.asname or a.name for a in node.names}
    return names


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _root(node: ast.expr) -> ast.expr:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node


def test_no_module_reaches_into_another_modules_private_names() -> None:
    """``decode._json = ...`` or ``store.Store._insert_edges`` is the private import by another
    road: a renamed name is then silently not patched (or not measured)."""
    bad = []
    for path in _sources("querylang", "benchmarks"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = _querylang_names(path, tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and _private(node.attr):
                root = _root(node)
                if isinstance(root, ast.Name) and root.id in imported:
                    bad.append(f"{path.relative_to(ROOT)}:{node.lineno} reaches {ast.unparse(node)}")
    assert not bad, "\n".join(sorted(set(bad)))


# Private steps of the DuckDB store's load that benchmarks/__main__.py times by wrapping them
# (its load-phase table): waiting for a public phase hook in Store.load. Delete a name here
# when the benchmark stops naming it (the test says so).
PATCHED_FOR_NOW: frozenset[str] = frozenset()


def test_benchmarks_patch_no_private_names() -> None:
    """Benchmarks use public hooks only: no private name of querylang's handed to
    setattr/getattr or written as a string for them (a table of methods to wrap)."""
    defined = set()
    for path in _sources("querylang"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and _private(node.name):
                defined.add(node.name)
            elif isinstance(node, ast.Assign):
                defined |= {t.id for t in node.targets if isinstance(t, ast.Name) and _private(t.id)}
    bad, seen = [], set()
    for path in _sources("benchmarks"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in defined:
                name = node.value
            elif (
                isinstance(node, ast.Call)
                and (node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", ""))
                in ("setattr", "getattr", "delattr", "hasattr")
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
                and isinstance(node.args[1].value, str)
                and _private(node.args[1].value)
            ):
                name = node.args[1].value
            else:
                continue
            seen.add(name)
            if name not in PATCHED_FOR_NOW:
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno} names {name}")
    assert not bad, "\n".join(sorted(set(bad)))
    stale = PATCHED_FOR_NOW - seen
    assert not stale, f"no benchmark names {sorted(stale)} any more: delete them from PATCHED_FOR_NOW"


# SQL statements written as text: what a string literal outside engines/ must not hold.
SQL = re.compile(r"\b(SELECT\s.+\sFROM\b|INSERT\s+INTO\b|CREATE\s+(TABLE|INDEX|VIEW)\b|DELETE\s+FROM\b|UPDATE\s+\S+\s+SET\b)", re.S)


def _string_literals(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value
        elif isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
            yield node.lineno, text


def test_sql_text_exists_only_under_the_engines() -> None:
    bad = []
    for path in _sources("querylang"):
        if _part(_module_name(path)) == "engines":
            continue
        for line, text in _string_literals(path):
            if SQL.search(text):
                bad.append(f"{path.relative_to(ROOT)}:{line}: {text[:60]!r}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("path", _sources("querylang", "benchmarks"), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_file_is_too_long_to_read(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines (at most {MAX_LINES}): split it by job"


def _import_graph() -> dict[str, dict[str, int]]:
    """Module → {module it imports: line} over querylang, every import counted wherever it is
    written (module level, inside a function, under TYPE_CHECKING): each is a dependency.
    ``from package import name`` is an import of the submodule when ``name`` is one, else
    of the package."""
    modules = {_module_name(p): p for p in _sources("querylang")}
    graph: dict[str, dict[str, int]] = {m: {} for m in modules}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        here = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = here[: len(here) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            for target in targets:
                if target in modules and target != module:
                    graph[module].setdefault(target, node.lineno)
    return graph


def _a_cycle(graph: dict[str, dict[str, int]]) -> list[str]:
    """One import cycle (its modules in order, the first repeated at the end), or []."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done (no cycle through it)
    path: list[str] = []

    def visit(module: str) -> list[str]:
        state[module] = 1
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[module] = 2
        return []

    for module in sorted(graph):
        if module not in state and (found := visit(module)):
            return found
    return []


def test_the_module_import_graph_has_no_cycles() -> None:
    graph = _import_graph()
    cycle = _a_cycle(graph)
    steps = [f"{a} imports {b} (line {graph[a][b]})" for a, b in zip(cycle, cycle[1:], strict=False)]
    assert not cycle, "import cycle (name what one side needs in a Protocol, or move the shared part below both):\n" + "\n".join(steps)


def test_the_cycle_check_finds_a_cycle() -> None:
    graph = {"a": {"b": 1}, "b": {"c": 2}, "c": {"a": 3}, "d": {"a": 4}}
    assert _a_cycle(graph) == ["a", "b", "c", "a"]
    assert _a_cycle({"a": {"b": 1}, "b": {}, "c": {"a": 2, "b": 3}}) == []
