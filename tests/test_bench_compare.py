"""bench/compare.py: the floor's work, how each tool's findings are counted from its output, and its command lines."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"
_spec = importlib.util.spec_from_file_location("bench_compare", BENCH / "compare.py")
assert _spec is not None and _spec.loader is not None
_module = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _module  # dataclasses look their module up while the file runs
_spec.loader.exec_module(_module)
Run = _module.Run
commands = _module.commands
compose_all = _module.compose_all
count_findings = _module.count_findings
yaml_files = _module.yaml_files


def test_the_floor_composes_every_yaml_file_and_counts_those_libyaml_refuses(tmp_path: Path) -> None:
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "good.yaml").write_text("a: 1\n---\nb: [1, 2]\n")
    (tmp_path / "apps" / "bad.yml").write_text("a: [1, 2\n")
    (tmp_path / "notes.txt").write_text("a: [\n")  # not YAML by its name: not read
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config.yaml").write_text("a: [\n")  # git's own folder: not read
    assert [p.name for p in yaml_files(tmp_path)] == ["bad.yml", "good.yaml"]
    assert compose_all(tmp_path) == 1


def test_findings_are_read_from_each_tools_own_output() -> None:
    assert count_findings("flux-review", json.dumps({"version": 1, "findings": [{}, {}, {}]})) == 3
    assert count_findings("flux-review", "Traceback (most recent call last):") is None
    assert count_findings("floor", "2\n") == 2
    assert count_findings("yamllint", "a.yaml:1:1: [warning] missing document start\n\nb.yaml:3:5: [error] x\n") == 2
    checkov = ("kubernetes scan results:\n\nPassed checks: 722, Failed checks: 152, Skipped checks: 0\n\n"
               "Check: CKV_K8S_12: \"Memory requests should be set\"\n")
    assert count_findings("checkov", checkov) == 152
    assert count_findings("checkov", "") == 0  # nothing Kubernetes to scan: checkov prints no summary


def test_a_tool_without_a_path_is_left_out_and_a_timeout_is_reported_as_such(tmp_path: Path) -> None:
    planned = commands(tmp_path, {"flux-review": "flux-review", "yamllint": "/opt/yamllint", "checkov": None})
    assert sorted(planned) == ["floor", "flux-review", "yamllint"]
    assert planned["yamllint"] == ["/opt/yamllint", "-f", "parsable", str(tmp_path)]
    assert Run(120.4, None, 120.0).cell() == "timed out after 120 s"
    assert Run(1.234, 5).cell() == "1.23" and Run(1.0, None).found() == "-"
