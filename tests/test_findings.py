"""Findings: severities, fixes, fingerprints and the dictionary of the JSON contract."""

from __future__ import annotations

import pytest

from checks.findings import Finding, Fix, Severity, counted, sort_key


def finding(**changes: object) -> Finding:
    values: dict[str, object] = {
        "rule": "interval/too-short", "severity": Severity.WARNING, "path": "clusters/prod/apps.yaml",
        "line": 14, "message": "Kustomization/flux-system/apps: `spec.interval: 10s` is below 1m.",
        "object": "Kustomization/flux-system/apps", "key": "spec.interval",
    }
    values.update(changes)
    return Finding(**values)  # type: ignore[arg-type]


def test_severities_are_ordered_and_parsed() -> None:
    assert Severity.ERROR > Severity.WARNING > Severity.INFO
    assert Severity.parse(" Warning ") is Severity.WARNING
    assert str(Severity.ERROR) == "error"
    with pytest.raises(ValueError, match="unknown severity 'fatal'"):
        Severity.parse("fatal")


def test_counted_nouns_agree_in_number() -> None:
    assert (counted(1, "more object"), counted(3, "more object")) == ("1 more object", "3 more objects")
    assert (counted(0, "file"), counted(1, "entry", "entries"), counted(2, "entry", "entries")) == (
        "0 files", "1 entry", "2 entries")


def test_fingerprint_ignores_lines_and_messages() -> None:
    base = finding()
    assert finding(line=40, end_line=42).fingerprint == base.fingerprint
    assert finding(message="reworded").fingerprint == base.fingerprint
    assert finding(severity=Severity.ERROR).fingerprint == base.fingerprint
    assert len(base.fingerprint) == 16 and int(base.fingerprint, 16) >= 0


@pytest.mark.parametrize("change", [
    {"rule": "interval/invalid"},
    {"object": "Kustomization/flux-system/infra"},
    {"key": "spec.timeout"},
])
def test_fingerprint_changes_with_the_problem(change: dict[str, object]) -> None:
    assert finding(**change).fingerprint != finding().fingerprint


def test_fingerprint_without_an_object_uses_the_path() -> None:
    one = finding(object=None, key="parse")
    assert one.fingerprint == finding(object=None, key="parse", line=99).fingerprint
    assert one.fingerprint != finding(object=None, key="parse", path="other.yaml").fingerprint


def test_to_dict_is_the_json_contract() -> None:
    fix = Fix("clusters/prod/apps.yaml", 14, 14, "  interval: 10m\n")
    item = finding(fix=fix).to_dict()
    assert item == {
        "rule": "interval/too-short",
        "severity": "warning",
        "path": "clusters/prod/apps.yaml",
        "line": 14,
        "end_line": 14,
        "message": "Kustomization/flux-system/apps: `spec.interval: 10s` is below 1m.",
        "object": "Kustomization/flux-system/apps",
        "fix": {"path": "clusters/prod/apps.yaml", "start_line": 14, "end_line": 14,
                "replacement": "  interval: 10m\n"},
        "fingerprint": finding().fingerprint,
    }
    assert finding(end_line=16).to_dict()["end_line"] == 16
    assert finding(object=None).to_dict()["object"] is None
    assert finding().to_dict()["fix"] is None


def test_last_line_and_with_severity() -> None:
    assert finding().last_line == 14
    assert finding(end_line=20).last_line == 20
    regraded = finding().with_severity(Severity.INFO)
    assert regraded.severity is Severity.INFO and regraded.fingerprint == finding().fingerprint


def test_findings_are_frozen() -> None:
    with pytest.raises(AttributeError):
        finding().line = 3  # type: ignore[misc]


def test_sort_key_orders_by_file_line_rule_message() -> None:
    items = [finding(path="b.yaml", line=1), finding(path="a.yaml", line=9), finding(path="a.yaml", line=2),
             finding(path="a.yaml", line=2, rule="interval/invalid")]
    ordered = sorted(items, key=sort_key)
    assert [(f.path, f.line, f.rule) for f in ordered] == [
        ("a.yaml", 2, "interval/invalid"), ("a.yaml", 2, "interval/too-short"), ("a.yaml", 9, "interval/too-short"),
        ("b.yaml", 1, "interval/too-short"),
    ]


def test_findings_without_an_object_can_anchor_their_fingerprint_elsewhere_than_their_file() -> None:
    from checks.findings import Finding, Severity

    first = Finding("notification/no-failure-alerts", Severity.INFO, "clusters/a/x.yaml", 1, "m",
                    key="cluster:a", anchor="cluster/a")
    moved = Finding("notification/no-failure-alerts", Severity.INFO, "clusters/a/b.yaml", 3, "m",
                    key="cluster:a", anchor="cluster/a")
    assert first.fingerprint == moved.fingerprint


def test_a_path_that_is_not_utf8_still_has_a_fingerprint() -> None:
    finding = Finding("structure/yaml-invalid", Severity.ERROR, "apps/bad\udcff.yaml", 1, "broken")
    assert len(finding.fingerprint) == 16
    assert finding.fingerprint != Finding("structure/yaml-invalid", Severity.ERROR, "apps/bad.yaml", 1, "x").fingerprint
