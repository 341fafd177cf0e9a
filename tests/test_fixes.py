"""Applying fixes: several per file, overlaps, line ends, diffs and atomic writes."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from rule_support import analyze_files, config_map, findings, kustomization

from checks.findings import Finding, Fix, Severity
from checks.fixes import FileFix, apply_fixes, describe, plan_fixes, unified_diff, write_fixes

TEXT = "a: 1\nb: 2\nc: 3\nd: 4\n"


def finding(fix: Fix, rule: str = "interval/too-short", line: int | None = None) -> Finding:
    return Finding(rule, Severity.WARNING, fix.path, line or fix.start_line, "message", fix=fix)


def test_one_fix_replaces_its_lines() -> None:
    text, applied, skipped = apply_fixes(TEXT, [Fix("f.yaml", 2, 2, "b: 20\n")])
    assert text == "a: 1\nb: 20\nc: 3\nd: 4\n"
    assert len(applied) == 1 and skipped == []


def test_several_fixes_use_the_original_line_numbers() -> None:
    fixes = [Fix("f.yaml", 1, 1, "a: 1\n  extra: true\n"), Fix("f.yaml", 3, 3, ""), Fix("f.yaml", 4, 4, "d: 40\n")]
    text, applied, _ = apply_fixes(TEXT, fixes)
    assert text == "a: 1\n  extra: true\nb: 2\nd: 40\n"
    assert applied == fixes


def test_overlapping_fix_is_skipped_with_a_reason() -> None:
    first, second = Fix("f.yaml", 2, 3, "bc: 5\n"), Fix("f.yaml", 3, 3, "c: 30\n")
    text, applied, skipped = apply_fixes(TEXT, [first, second])
    assert text == "a: 1\nbc: 5\nd: 4\n"
    assert applied == [first]
    assert [s.fix for s in skipped] == [second]
    assert "overlaps the fix of lines 2-3" in skipped[0].reason and "--fix again" in skipped[0].reason


def test_fixes_that_only_add_lines_after_the_same_line_are_combined() -> None:
    text = "spec:\n  interval: 1h\n  path: ./apps\n"
    retry = Fix("f.yaml", 2, 2, "  interval: 1h\n  retryInterval: 2m\n")
    timeout = Fix("f.yaml", 2, 2, "  interval: 1h\n  timeout: 5m\n")
    fixed, applied, skipped = apply_fixes(text, [retry, timeout])
    assert fixed == "spec:\n  interval: 1h\n  retryInterval: 2m\n  timeout: 5m\n  path: ./apps\n"
    assert applied == [retry, timeout] and skipped == []
    rewrite = Fix("f.yaml", 2, 2, "  interval: 10m\n")  # changes the line itself: a real conflict
    _, applied, skipped = apply_fixes(text, [retry, rewrite])
    assert applied == [retry] and [s.fix for s in skipped] == [rewrite]


def test_identical_fixes_count_once() -> None:
    fix = Fix("f.yaml", 2, 2, "b: 20\n")
    text, applied, skipped = apply_fixes(TEXT, [fix, Fix("f.yaml", 2, 2, "b: 20\n")])
    assert text.count("b: 20") == 1 and applied == [fix] and skipped == []


def test_fix_outside_the_file_is_skipped() -> None:
    _, applied, skipped = apply_fixes(TEXT, [Fix("f.yaml", 9, 9, "x\n"), Fix("f.yaml", 0, 1, "x\n")])
    assert applied == [] and len(skipped) == 2 and "outside the file (4 lines)" in skipped[0].reason
    _, _, [one] = apply_fixes("a: 1\n", [Fix("f.yaml", 2, 2, "x\n")])
    assert "outside the file (1 line)" in one.reason


def test_crlf_line_ends_are_kept() -> None:
    text, _, _ = apply_fixes("a: 1\r\nb: 2\r\n", [Fix("f.yaml", 1, 1, "a: 10\n  z: 1\n")])
    assert text == "a: 10\r\n  z: 1\r\nb: 2\r\n"


def test_missing_final_line_end_stays_missing() -> None:
    text, _, _ = apply_fixes("a: 1\nb: 2", [Fix("f.yaml", 2, 2, "b: 20\n")])
    assert text == "a: 1\nb: 20"


def test_replacement_without_line_end_does_not_swallow_the_next_line() -> None:
    text, _, _ = apply_fixes(TEXT, [Fix("f.yaml", 1, 1, "a: 10")])
    assert text.startswith("a: 10\nb: 2\n")


def test_plan_groups_fixes_per_file_in_findings_order() -> None:
    files = {"one.yaml": b"a: 1\nb: 2\n", "two.yaml": b"x: 1\n"}
    findings = [finding(Fix("one.yaml", 1, 1, "a: 10\n")), finding(Fix("two.yaml", 1, 1, "x: 10\n")),
                finding(Fix("one.yaml", 1, 2, "ab: 3\n")), Finding("r/x", Severity.INFO, "one.yaml", 1, "no fix")]
    planned = {p.path: p for p in plan_fixes(findings, files.get)}
    assert planned["one.yaml"].after == "a: 10\nb: 2\n" and len(planned["one.yaml"].skipped) == 1
    assert planned["two.yaml"].after == "x: 10\n"


def test_plan_refuses_a_fix_that_would_break_the_yaml() -> None:
    planned = plan_fixes([finding(Fix("f.yaml", 1, 1, "a: [1\n"))], {"f.yaml": b"a: 1\nb: 2\n"}.get)
    assert not planned[0].changed
    assert planned[0].skipped[0].reason == "the fixed file would not be valid YAML"


def test_plan_refuses_unreadable_and_non_utf8_files() -> None:
    planned = plan_fixes([finding(Fix("gone.yaml", 1, 1, "x\n")), finding(Fix("latin.yaml", 1, 1, "x: 1\n"))],
                         {"latin.yaml": "é: 1\n".encode("latin-1")}.get)
    reasons = {p.path: p.skipped[0].reason for p in planned}
    assert reasons == {"gone.yaml": "the file cannot be read", "latin.yaml": "the file is not UTF-8 text"}


def test_byte_order_mark_is_kept() -> None:
    planned = plan_fixes([finding(Fix("f.yaml", 1, 1, "a: 2\n"))], {"f.yaml": "\ufeffa: 1\n".encode()}.get)
    assert planned[0].encoded() == "\ufeffa: 2\n".encode()


def test_unified_diff_applies_with_git(tmp_path: Path) -> None:
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "one.yaml").write_text("a: 1\nb: 2\n")
    (tmp_path / "two.yaml").write_text("x: 1")  # no final line end
    planned = plan_fixes([finding(Fix("apps/one.yaml", 2, 2, "b: 20\n")), finding(Fix("two.yaml", 1, 1, "x: 2\n"))],
                         lambda p: (tmp_path / p).read_bytes())
    diff = unified_diff(planned)
    assert diff.startswith("--- a/apps/one.yaml\n+++ b/apps/one.yaml\n")
    assert "-b: 2\n+b: 20\n" in diff and "\\ No newline at end of file\n" in diff
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "apply", "-"], input=diff.encode(), check=True)
    assert (tmp_path / "apps" / "one.yaml").read_text() == "a: 1\nb: 20\n"
    assert (tmp_path / "two.yaml").read_text() == "x: 2"


def test_unified_diff_of_nothing_is_empty() -> None:
    assert unified_diff([FileFix("f.yaml", "a\n", "a\n", (), ())]) == ""


def test_write_replaces_files_atomically_and_keeps_their_mode(tmp_path: Path) -> None:
    target = tmp_path / "f.yaml"
    target.write_text("a: 1\n")
    target.chmod(0o640)
    written, refused = write_fixes(tmp_path, [FileFix("f.yaml", "a: 1\n", "a: 2\n", (), ())])
    assert [f.path for f in written] == ["f.yaml"] and refused == []
    assert target.read_text() == "a: 2\n"
    assert oct(target.stat().st_mode & 0o777) == oct(0o640)
    assert sorted(os.listdir(tmp_path)) == ["f.yaml"]  # no temporary file left behind


def test_write_refuses_paths_outside_the_folder_and_symbolic_links(tmp_path: Path) -> None:
    inside = tmp_path / "repo"
    inside.mkdir()
    outside = tmp_path / "outside.yaml"
    outside.write_text("a: 1\n")
    (inside / "link.yaml").symlink_to(outside)
    planned = [FileFix("../outside.yaml", "a: 1\n", "a: 2\n", (), ()),
               FileFix("link.yaml", "a: 1\n", "a: 2\n", (), ()),
               FileFix("/etc/passwd", "a: 1\n", "a: 2\n", (), ()),
               FileFix("missing.yaml", "a: 1\n", "a: 2\n", (), ())]
    written, refused = write_fixes(inside, planned)
    assert written == [] and len(refused) == 4
    assert outside.read_text() == "a: 1\n"


def test_describe_names_files_rules_and_skipped_fixes() -> None:
    applied, overlapping = Fix("f.yaml", 2, 2, "b: 20\n"), Fix("f.yaml", 2, 3, "bc\n")
    findings = [finding(applied, "interval/too-short"), finding(overlapping, "interval/no-retry")]
    planned = plan_fixes(findings, {"f.yaml": TEXT.encode()}.get)
    text = describe(planned, findings, {"f.yaml"})
    assert text.startswith("Fixed 1 problem in 1 file:\n  f.yaml: interval/too-short (line 2)\nNot fixed:\n")
    assert "f.yaml:2 interval/no-retry: lines 2-3: overlaps the fix of line 2" in text
    assert describe(planned, findings).startswith("Would fix 1 problem in 1 file:")
    assert describe([], []) == "Nothing to fix.\n"


KUSTOMIZATION = kustomization(path="./apps/stagign  # typo", wait=True)


@pytest.mark.parametrize("rule", ["structure/path-missing", "interval/too-short"])
def test_fixed_repository_parses_and_no_longer_raises_the_finding(rule: str) -> None:
    files = {
        "clusters/prod/apps.yaml": KUSTOMIZATION.replace("interval: 10m", "interval: 20s"),
        "apps/staging/cm.yaml": config_map("x"),
    }
    before = findings(files, rule)
    assert len(before) == 1 and before[0].fix is not None
    planned = plan_fixes(before, lambda p: files[p].encode())
    fixed = {**files, **{p.path: p.after for p in planned}}
    assert "# typo" in fixed["clusters/prod/apps.yaml"]  # trailing comments survive
    after = analyze_files(fixed)
    assert not any(f.rule == "structure/yaml-invalid" for f in after.findings)
    assert not any(f.rule == rule for f in after.findings)
