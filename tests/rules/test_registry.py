"""The registry: one file per rule, named after it, each listed once and implemented."""

from __future__ import annotations

import ast
from pathlib import Path

from checks.rules import RULE_MODULES, RULES, RULES_BY_ID
from checks.rules.base import Rule

RULES_FOLDER = Path(__file__).resolve().parents[2] / "checks" / "rules"
TESTS_FOLDER = Path(__file__).resolve().parent


def _rule_files() -> list[Path]:
    return sorted(p for p in RULES_FOLDER.glob("*/*.py") if not p.name.startswith("_"))


def test_every_rule_has_exactly_one_file_named_after_it() -> None:
    for rule in RULES:
        group, name = rule.group.replace("-", "_"), rule.name.replace("-", "_")
        path = RULES_FOLDER / group / f"{name}.py"
        assert path.is_file(), rule.id
        assert f'id="{rule.id}"' in path.read_text(encoding="utf-8") or rule.id == "structure/unused-suppression"
    listed = {f"{p.parent.name}.{p.stem}" for p in _rule_files()}
    assert listed == set(RULE_MODULES), "a rule file missing from checks/rules/__init__.py, or the reverse"


def test_ids_are_unique_and_match_the_listed_modules() -> None:
    assert len(RULES) == len(RULE_MODULES) == len(RULES_BY_ID)
    for module, rule in zip(RULE_MODULES, RULES, strict=True):
        group, name = module.split(".")
        assert rule.id == f"{group.replace('_', '-')}/{name.replace('_', '-')}"


def test_each_rule_file_defines_one_rule_first_and_then_its_check() -> None:
    for path in _rule_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        rules = [node for node in tree.body if isinstance(node, ast.Assign)
                 and isinstance(node.value, ast.Call) and getattr(node.value.func, "id", "") == "Rule"]
        assert len(rules) == 1, path
        assert [t.id for t in rules[0].targets if isinstance(t, ast.Name)] == ["RULE"], path
        functions = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
        assert all(rules[0].lineno < f.lineno for f in functions), f"{path}: the Rule comes before the code"


def test_every_rule_is_implemented_with_severity_and_documentation() -> None:
    for rule in RULES:
        assert isinstance(rule, Rule) and rule.implemented, rule.id
        assert rule.summary and not rule.summary.endswith("."), rule.id
        assert len(rule.documentation) > 80, rule.id


def test_every_rule_has_its_test_file() -> None:
    for rule in RULES:
        path = TESTS_FOLDER / rule.group.replace("-", "_") / f"test_{rule.name.replace('-', '_')}.py"
        assert path.is_file(), f"{rule.id}: no {path.relative_to(TESTS_FOLDER.parent)}"


def test_no_engine_module_is_longer_than_about_500_lines() -> None:
    engine = RULES_FOLDER.parent
    long = {p.relative_to(engine).as_posix(): n for p in engine.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 520}
    assert long == {}, "split the module by purpose"


def test_implementation_binds_one_check() -> None:
    rule = Rule("x/y", RULES[0].severity, "S", "D")
    assert not rule.implemented

    @rule.implementation
    def check(ctx: object) -> list:
        return ["found"]

    assert rule.check(None) == ["found"]  # type: ignore[arg-type]
    try:
        rule.implementation(check)
    except ValueError as exc:
        assert "already has a check" in str(exc)
    else:
        raise AssertionError("a second check was accepted")
