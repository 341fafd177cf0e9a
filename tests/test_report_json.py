"""The JSON contract (version 1): shape, types, and fingerprints that survive unrelated edits."""

from __future__ import annotations

import json
import textwrap
from typing import Any

import jsonschema
from rule_support import analyze_files, kustomization

from checks.findings import Finding, Fix, Severity
from checks.report.json_report import VERSION, render

SCHEMA = {
    "type": "object",
    "required": ["version", "findings", "stats"],
    "additionalProperties": False,
    "properties": {
        "version": {"const": 1},
        "stats": {
            "type": "object",
            "required": ["error", "warning", "info"],
            "properties": {k: {"type": "integer", "minimum": 0} for k in ("error", "warning", "info")},
        },
        "findings": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["rule", "severity", "path", "line", "end_line", "message", "object", "fix",
                             "fingerprint"],
                "properties": {
                    "rule": {"type": "string", "pattern": "^[a-z-]+/[a-z-]+$"},
                    "severity": {"enum": ["error", "warning", "info"]},
                    "path": {"type": "string", "pattern": "^[^/\\\\]"},
                    "line": {"type": "integer", "minimum": 1},
                    "end_line": {"type": "integer", "minimum": 1},
                    "message": {"type": "string", "minLength": 1},
                    "object": {"type": ["string", "null"]},
                    "fingerprint": {"type": "string", "pattern": "^[0-9a-f]{16}$"},
                    "fix": {
                        "oneOf": [
                            {"type": "null"},
                            {
                                "type": "object",
                                "additionalProperties": False,
                                "required": ["path", "start_line", "end_line", "replacement"],
                                "properties": {
                                    "path": {"type": "string"},
                                    "start_line": {"type": "integer", "minimum": 1},
                                    "end_line": {"type": "integer", "minimum": 1},
                                    "replacement": {"type": "string"},
                                },
                            },
                        ],
                    },
                },
            },
        },
    },
}

KUSTOMIZATION = kustomization(path="./app")

REPO = {
    "clusters/prod/apps.yaml": KUSTOMIZATION,
    "apps/kustomization.yaml": "resources:\n  - present.yaml\n  - absent.yaml\n",
    "apps/present.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n",
    "clusters/prod/broken.yaml": "metadata:\n  name: x\n bad: indent\n",
    "clusters/prod/infra.yaml": KUSTOMIZATION.replace("name: apps", "name: infra").replace("./app", "./apps"),
}

ENGINE_RULES = {"structure/path-missing", "structure/resource-missing", "structure/duplicate-key",
                "structure/yaml-invalid"}


def report(files: dict[str, str]) -> dict[str, Any]:
    analysis = analyze_files(files)
    return json.loads(render(analysis.findings, analysis.stats))


def by_rule(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    items = {}
    for item in document["findings"]:
        if item["rule"] in ENGINE_RULES:
            assert item["rule"] not in items, item
            items[item["rule"]] = item
    return items


def test_report_follows_the_contract() -> None:
    document = report(REPO)
    jsonschema.validate(document, SCHEMA | {"additionalProperties": True})
    assert list(document) == ["version", "findings", "stats"]
    assert document["version"] == VERSION == 1
    items = by_rule(document)
    assert set(items) == ENGINE_RULES
    assert items["structure/path-missing"] | {"message": "", "fix": None} == {
        "rule": "structure/path-missing", "severity": "error", "path": "clusters/prod/apps.yaml", "line": 8,
        "end_line": 8, "message": "", "object": "Kustomization/flux-system/apps", "fix": None,
        "fingerprint": items["structure/path-missing"]["fingerprint"],
    }
    assert "Kustomization/flux-system/apps" in items["structure/path-missing"]["message"]
    assert (items["structure/resource-missing"]["path"], items["structure/resource-missing"]["line"]) == (
        "apps/kustomization.yaml", 3)
    assert (items["structure/duplicate-key"]["path"], items["structure/duplicate-key"]["line"]) == (
        "apps/present.yaml", 5)
    assert (items["structure/yaml-invalid"]["path"], items["structure/yaml-invalid"]["line"]) == (
        "clusters/prod/broken.yaml", 3)


def test_stats_count_every_severity() -> None:
    document = report(REPO)
    stats = document["stats"]
    for severity in ("error", "warning", "info"):
        assert stats[severity] == sum(1 for f in document["findings"] if f["severity"] == severity)
    assert stats["files"] == len(REPO)
    assert isinstance(stats["seconds"], float)


def test_fingerprints_survive_lines_inserted_above() -> None:
    before = by_rule(report(REPO))
    shifted = {path: "# a comment added above\n\n" + textwrap.dedent(text) for path, text in REPO.items()}
    after = by_rule(report(shifted))
    for rule in ENGINE_RULES:
        assert after[rule]["line"] == before[rule]["line"] + 2, rule
        assert after[rule]["fingerprint"] == before[rule]["fingerprint"], rule


def test_fingerprints_differ_between_problems() -> None:
    prints = [item["fingerprint"] for item in by_rule(report(REPO)).values()]
    assert len(prints) == len(set(prints))


def test_render_orders_findings_and_marks_new_ones() -> None:
    late = Finding("structure/yaml-invalid", Severity.ERROR, "b.yaml", 9, "late", key="parse")
    early = Finding("interval/too-short", Severity.WARNING, "a.yaml", 2, "early", object="Kustomization/x/y",
                    fix=Fix("a.yaml", 2, 2, "  interval: 10m\n"), key="spec.interval")
    document = json.loads(render([late, early], {"files": 2, "seconds": 0.5}, new={early.fingerprint}))
    jsonschema.validate({k: v for k, v in document.items()},
                        SCHEMA | {"properties": SCHEMA["properties"] | {"findings": {"type": "array"}}})
    assert [f["path"] for f in document["findings"]] == ["a.yaml", "b.yaml"]
    assert [f["new"] for f in document["findings"]] == [True, False]
    assert document["findings"][0]["fix"] == {"path": "a.yaml", "start_line": 2, "end_line": 2,
                                              "replacement": "  interval: 10m\n"}
    assert document["stats"] == {"files": 2, "seconds": 0.5, "error": 1, "warning": 1, "info": 0}


def test_an_empty_report() -> None:
    document = json.loads(render([], {"files": 0}))
    jsonschema.validate(document, SCHEMA | {"additionalProperties": True})
    assert document == {"version": 1, "findings": [], "stats": {"files": 0, "error": 0, "warning": 0, "info": 0}}
