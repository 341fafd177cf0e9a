"""The ecosystem check's own logic: records are stable and differences read finding by finding."""

from __future__ import annotations

import json

from ecosystem import difference, record, render


def _finding(rule: str, path: str, fingerprint: str, severity: str = "error", line: int = 3) -> dict:
    return {"rule": rule, "severity": severity, "path": path, "line": line, "end_line": line,
            "message": f"{rule} says so", "object": "Kustomization/flux-system/apps", "fix": None,
            "fingerprint": fingerprint}


def test_record_keeps_only_the_recorded_fields_in_a_stable_order() -> None:
    findings = [_finding("b/rule", "z.yaml", "2"), _finding("a/rule", "a.yaml", "1")]
    rows = record(findings)
    assert [r["path"] for r in rows] == ["a.yaml", "z.yaml"]
    assert set(rows[0]) == {"rule", "severity", "path", "object", "fingerprint"}
    assert record(list(reversed(findings))) == rows


def test_render_writes_one_finding_per_line_and_reads_back() -> None:
    rows = record([_finding("a/rule", "a.yaml", "1"), _finding("b/rule", "b.yaml", "2")])
    text = render(rows)
    assert text.count("\n") == 4
    assert json.loads(text) == rows
    assert render([]) == "[]\n"


def test_no_difference_when_only_lines_and_messages_moved() -> None:
    expected = record([_finding("a/rule", "a.yaml", "1", line=3)])
    assert difference(expected, [_finding("a/rule", "a.yaml", "1", line=30)]) == ""


def test_difference_names_what_appeared_and_what_went() -> None:
    expected = record([_finding("a/rule", "a.yaml", "1"), _finding("b/rule", "b.yaml", "2")])
    diff = difference(expected, [_finding("a/rule", "a.yaml", "1"), _finding("c/rule", "c.yaml", "3", line=7)])
    assert diff.splitlines()[0] == "1 findings gone, 1 new"
    assert "- b/rule error b.yaml Kustomization/flux-system/apps [2]" in diff
    assert "+ c/rule error c.yaml:7 Kustomization/flux-system/apps [3]" in diff
    assert "c/rule says so" in diff


def test_a_severity_change_and_a_repeated_finding_are_differences() -> None:
    expected = record([_finding("a/rule", "a.yaml", "1")])
    assert "1 findings gone, 1 new" in difference(expected, [_finding("a/rule", "a.yaml", "1", severity="warning")])
    twice = [_finding("a/rule", "a.yaml", "1"), _finding("a/rule", "a.yaml", "1", line=9)]
    assert difference(expected, twice).startswith("0 findings gone, 1 new")
