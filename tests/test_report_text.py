"""Findings for people: grouped by file, aligned, coloured only on a terminal."""

from __future__ import annotations

from checks.findings import Finding, Fix, Severity
from checks.report.text import render, summary_line

STATS = {"files": 12, "seconds": 0.0321}

FINDINGS = [
    Finding("structure/path-missing", Severity.ERROR, "clusters/prod/apps.yaml", 20,
            "Kustomization/flux-system/apps renders `spec.path: ./app`, which is not a folder.",
            object="Kustomization/flux-system/apps", key="spec.path",
            fix=Fix("clusters/prod/apps.yaml", 20, 20, "  path: ./apps\n")),
    Finding("structure/file-too-large", Severity.INFO, "big.yaml", 1, "the file is too large.", key="size"),
    Finding("structure/duplicate-key", Severity.ERROR, "clusters/prod/apps.yaml", 7,
            "the key `interval` appears twice.", key="0:spec.interval"),
    Finding("structure/yaml-invalid", Severity.WARNING, "apps/x.yaml", 3, "not valid YAML.", key="parse"),
]


def test_findings_are_grouped_by_file_and_ordered_by_line() -> None:
    lines = render(FINDINGS, STATS).splitlines()
    assert lines == [
        "apps/x.yaml",
        "      3  warning  structure/yaml-invalid    not valid YAML.",
        "big.yaml",
        "      1  info     structure/file-too-large  the file is too large.",
        "clusters/prod/apps.yaml",
        "      7  error    structure/duplicate-key   the key `interval` appears twice.",
        "     20  error    structure/path-missing    Kustomization/flux-system/apps renders `spec.path: ./app`, "
        "which is not a folder.",
        "",
        "4 problems (2 errors, 1 warning, 1 info) in 12 files, 0.03 s. `flux-review explain RULE` for details, "
        "`--fix` to apply 1 fix.",
    ]


def test_no_findings_is_one_line() -> None:
    assert render([], STATS) == "No problems in 12 files, 0.03 s.\n"


def test_colour_only_when_asked() -> None:
    plain = render(FINDINGS, STATS)
    assert "\033[" not in plain
    coloured = render(FINDINGS, STATS, colour=True)
    assert "\033[31merror  \033[0m" in coloured
    assert "\033[33mwarning\033[0m" in coloured
    assert "\033[36minfo   \033[0m" in coloured
    assert "\033[1mbig.yaml\033[0m" in coloured


def test_new_findings_are_marked_in_a_review() -> None:
    new = {FINDINGS[0].fingerprint}
    lines = render(FINDINGS, STATS, new=new).splitlines()
    assert lines[6].startswith("     20  new  error")
    assert lines[5].startswith("      7       error")


def test_summary_line_counts() -> None:
    one_error = [FINDINGS[2]]
    assert summary_line(one_error, {"files": 1, "seconds": 1}) == (
        "1 problem (1 error) in 1 file, 1.00 s. `flux-review explain RULE` for details.")
    two_fixes = [FINDINGS[0], FINDINGS[0]]
    assert summary_line(two_fixes, {}).endswith("`--fix` to apply 2 fixes.")
    assert summary_line([], {}) == "No problems in 0 files, 0.00 s."
