"""The import graph of the project: no circles, and the layers point one way.

Read from the source (every ``import`` and ``from ... import``, those inside
functions included), so a circle hidden behind a lazy import is found too.
``from package import submodule`` is an import of the submodule only.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("checks", "bot")
# The modules that may read the rule registry: those that run, list or document rules.
RULE_READERS = {"checks.engine", "checks.cli", "checks.rule_docs", "checks.report.sarif"}


def _module_names() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            submodules = {f"{base}.{alias.name}" for alias in node.names} & modules.keys()
            found.update(submodules)
            if len(submodules) < len(node.names):
                found.add(base)  # a name defined in the module itself
    return {target for target in found if target in modules and target != name}


def import_graph() -> nx.DiGraph:
    modules = _module_names()
    graph = nx.DiGraph()
    for name, path in modules.items():
        graph.add_node(name)
        graph.add_edges_from((name, target) for target in _imports(name, path, modules))
    return graph


def test_no_import_circle() -> None:
    circles = [sorted(c) for c in nx.strongly_connected_components(import_graph()) if len(c) > 1]
    assert circles == []


def test_the_engine_never_imports_the_app() -> None:
    graph = import_graph()
    wrong = [(a, b) for a, b in graph.edges if a.startswith("checks") and b.startswith("bot")]
    assert wrong == []


def test_rules_read_the_model_and_the_model_never_reads_the_rules() -> None:
    graph = import_graph()
    readers = {a for a, b in graph.edges if b == "checks.rules" or b.startswith("checks.rules.")}
    model_side = {a for a in readers if not a.startswith("checks.rules")} - RULE_READERS
    assert model_side == set(), "only the engine, the CLI and the renderers of rule docs may import the rules"


def test_the_graph_sees_lazy_imports_and_relative_ones(tmp_path: Path) -> None:
    modules = {"pkg": tmp_path / "pkg/__init__.py", "pkg.a": tmp_path / "pkg/a.py", "pkg.b": tmp_path / "pkg/b.py"}
    for path in modules.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    modules["pkg.a"].write_text("def f():\n    from pkg.b import thing\n")
    modules["pkg.b"].write_text("from . import a\nfrom .a import f\n")
    modules["pkg"].write_text("")
    assert _imports("pkg.a", modules["pkg.a"], modules) == {"pkg.b"}
    assert _imports("pkg.b", modules["pkg.b"], modules) == {"pkg.a"}
