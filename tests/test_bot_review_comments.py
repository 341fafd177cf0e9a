"""Planning review comments: only commentable lines, suggestions inside one hunk, no repeats, a cap."""

from __future__ import annotations

from bot_support.suggestions import apply_suggestion, suggested_text
from rule_support import ROOT, config_map, kustomization, snapshot, yaml

from bot.review_comments import (
    CommentPlan,
    PostedComment,
    fence,
    hunks,
    marker,
    plan_comments,
    read_marker,
    resolved_body,
)
from checks.config import CommentSettings
from checks.diff import ChangedFile, parse_patch
from checks.findings import Finding, Fix, Severity
from checks.review import review_snapshots

SETTINGS = CommentSettings()


def finding(line: int, rule: str = "interval/too-short", severity: Severity = Severity.WARNING,
            path: str = "apps/a.yaml", fix: Fix | None = None, key: str = "", end: int | None = None) -> Finding:
    return Finding(rule, severity, path, line, f"problem on line {line}", end_line=end, object=f"Kustomization/x/{key}",
                   fix=fix, key=key or str(line))


def changed(path: str = "apps/a.yaml", lines: range = range(1, 0)) -> ChangedFile:
    shown = frozenset(lines)
    return ChangedFile(path, "modified", added_lines=shown, hunk_lines=shown)


def test_hunks_are_the_runs_of_shown_head_lines() -> None:
    patch = "@@ -1,3 +1,4 @@\n a\n+b\n c\n d\n@@ -20,2 +21,3 @@\n x\n+y\n z"
    assert hunks(parse_patch("f.yaml", patch)) == [(1, 4), (21, 23)]


def test_only_findings_inside_a_hunk_are_commented_and_the_rest_go_in_the_body() -> None:
    changes = {"apps/a.yaml": changed(lines=range(10, 15))}
    inside, outside, other_file = finding(12), finding(40, key="b"), finding(3, path="apps/b.yaml", key="c")
    plan = plan_comments([inside, outside, other_file], changes, [], SETTINGS, "https://checks/1")
    assert [(c.path, c.line, c.start_line) for c in plan.comments] == [("apps/a.yaml", 12, None)]
    assert plan.comments[0].to_api() == {"path": "apps/a.yaml", "line": 12, "side": "RIGHT",
                                         "body": plan.comments[0].body}
    assert "apps/a.yaml:40" in plan.body and "apps/b.yaml:3" in plan.body
    assert "https://checks/1" in plan.body


def test_a_range_is_used_only_when_it_lies_in_one_hunk() -> None:
    two_hunks = {"apps/a.yaml": changed(lines=[*range(1, 5), *range(8, 12)])}  # type: ignore[arg-type]
    plan = plan_comments([finding(2, end=4)], two_hunks, [], SETTINGS)
    assert (plan.comments[0].start_line, plan.comments[0].line) == (2, 4)
    assert plan.comments[0].to_api()["start_side"] == "RIGHT"
    across = plan_comments([finding(3, end=9)], two_hunks, [], SETTINGS)
    assert (across.comments[0].start_line, across.comments[0].line) == (None, 3)  # its first line only


def test_a_suggestion_covers_exactly_the_fixed_lines_and_only_inside_one_hunk() -> None:
    fix = Fix("apps/a.yaml", 5, 6, "  interval: 10m\n  timeout: 5m\n")
    inside = plan_comments([finding(5, fix=fix)], {"apps/a.yaml": changed(lines=range(1, 9))}, [], SETTINGS)
    [comment] = inside.comments
    assert (comment.start_line, comment.line, comment.suggestion) == (5, 6, True)
    assert suggested_text(comment.body) == "  interval: 10m\n  timeout: 5m\n"
    cut = plan_comments([finding(5, fix=fix)], {"apps/a.yaml": changed(lines=range(1, 6))}, [], SETTINGS)
    assert not cut.comments[0].suggestion and cut.comments[0].line == 5


def test_secret_findings_never_carry_a_suggestion() -> None:
    fix = Fix("apps/a.yaml", 5, 5, "")
    plan = plan_comments([finding(5, rule="secrets/plaintext-secret", severity=Severity.ERROR, fix=fix)],
                         {"apps/a.yaml": changed(lines=range(1, 9))}, [], SETTINGS)
    assert not plan.comments[0].suggestion and suggested_text(plan.comments[0].body) is None


def test_the_fence_is_longer_than_any_backtick_run_in_the_suggestion() -> None:
    assert fence("a: b\n") == "```"
    assert fence("a: ```` b\n") == "`````"
    fix = Fix("apps/a.yaml", 2, 2, "  note: ```` quoted\n")
    [comment] = plan_comments([finding(2, fix=fix)], {"apps/a.yaml": changed(lines=range(1, 4))}, [],
                              SETTINGS).comments
    assert "`````suggestion\n  note: ```` quoted\n`````" in comment.body
    assert suggested_text(comment.body) == "  note: ```` quoted\n"


def test_each_comment_names_its_rule_how_to_learn_more_and_how_to_silence_it_and_hides_a_marker() -> None:
    [comment] = plan_comments([finding(2)], {"apps/a.yaml": changed(lines=range(1, 4))}, [], SETTINGS).comments
    assert comment.body.startswith("**⚠️ interval/too-short**: problem on line 2")
    assert "/flux-review explain interval/too-short" in comment.body
    assert "docs/rules/interval/too-short.md" in comment.body
    assert "# flux-review: ignore[interval/too-short]" in comment.body
    assert read_marker(comment.body) == (frozenset({finding(2).fingerprint}), False)


def test_findings_already_commented_are_not_commented_again_and_nothing_new_posts_no_review() -> None:
    changes = {"apps/a.yaml": changed(lines=range(1, 30))}
    first = plan_comments([finding(2, key="a"), finding(9, key="b")], changes, [], SETTINGS)
    posted = [PostedComment(n, f"N{n}", c.body, frozenset(c.fingerprints)) for n, c in enumerate(first.comments)]
    again = plan_comments([finding(2, key="a"), finding(9, key="b")], changes, posted, SETTINGS)
    assert again == CommentPlan() and not again.posts_review
    # The same problem on another line (an edit above it) is not new.
    moved = plan_comments([finding(3, key="a"), finding(9, key="b"), finding(20, key="new")], changes, posted,
                          SETTINGS)
    assert [c.line for c in moved.comments] == [20]


def test_comments_whose_finding_is_gone_are_resolved_once() -> None:
    changes = {"apps/a.yaml": changed(lines=range(1, 30))}
    first = plan_comments([finding(2), finding(9, key="b")], changes, [], SETTINGS)
    posted = [PostedComment(n, f"N{n}", c.body, frozenset(c.fingerprints)) for n, c in enumerate(first.comments)]
    fixed = plan_comments([finding(9, key="b")], changes, posted, SETTINGS)
    assert [c.id for c in fixed.resolved] == [0] and not fixed.posts_review
    body = resolved_body(fixed.resolved[0], "a" * 40)
    assert body.startswith("✅ Resolved in aaaaaaaaaaaa") and "suggestion" not in body
    assert read_marker(body) == (frozenset(posted[0].fingerprints), True)
    done = [PostedComment(0, "N0", body, posted[0].fingerprints, resolved=True), posted[1]]
    assert plan_comments([finding(9, key="b")], changes, done, SETTINGS).resolved == []
    # A problem that comes back after being resolved is a new comment.
    assert [c.line for c in plan_comments([finding(2), finding(9, key="b")], changes, done,
                                          SETTINGS).comments] == [2]


def test_notices_stay_in_the_check_run_unless_configured() -> None:
    notice = finding(2, severity=Severity.INFO)
    changes = {"apps/a.yaml": changed(lines=range(1, 4))}
    assert plan_comments([notice], changes, [], SETTINGS).comments == []
    assert len(plan_comments([notice], changes, [], CommentSettings(notices=True)).comments) == 1


def test_one_rule_on_adjacent_lines_shares_a_comment() -> None:
    group = [finding(4, key="a"), finding(5, key="b"), finding(6, key="c"), finding(9, key="d")]
    plan = plan_comments(group, {"apps/a.yaml": changed(lines=range(1, 12))}, [], SETTINGS)
    assert [(c.start_line, c.line) for c in plan.comments] == [(4, 6), (None, 9)]
    assert "3 findings" in plan.comments[0].body and len(plan.comments[0].fingerprints) == 3
    assert read_marker(plan.comments[0].body)[0] == frozenset(f.fingerprint for f in group[:3])  # type: ignore[index]


def test_the_cap_keeps_the_most_serious_and_the_body_counts_the_rest() -> None:
    many = [finding(n, key=str(n)) for n in range(1, 80, 2)] + [finding(100, rule="dependency/cycle",
                                                                         severity=Severity.ERROR)]
    plan = plan_comments(many, {"apps/a.yaml": changed(lines=range(1, 200))}, [], CommentSettings(max=5))
    assert len(plan.comments) == 5
    assert plan.comments[0].body.startswith("**❌ dependency/cycle**")
    assert "36 more comments" in plan.body and "`comments.max`" in plan.body


def test_markers_are_read_only_from_their_exact_form() -> None:
    assert read_marker("text " + marker(["ab12", "cd34"])) == (frozenset({"ab12", "cd34"}), False)
    assert read_marker("<!-- flux-review:other=ab -->") is None
    assert read_marker("no marker") is None


def test_a_suggestion_applied_to_the_file_removes_its_finding() -> None:
    base = {f"{ROOT}/apps.yaml": yaml(kustomization()), "apps/configmap.yaml": config_map("settings")}
    head_text = yaml("""
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: OCIRepository
        metadata:
          name: platform
          namespace: flux-system
        spec:
          interval: 30s
          url: oci://ghcr.io/org/platform
          ref:
            tag: 1.0.0
        """)
    path = f"{ROOT}/oci.yaml"
    head = {**base, path: head_text}
    lines = len(head_text.splitlines())
    changes = {path: ChangedFile(path, "added", added_lines=frozenset(range(1, lines + 1)),
                                 hunk_lines=frozenset(range(1, lines + 1)))}
    review = review_snapshots(snapshot(base), snapshot(head), changes)
    assert "interval/too-short" in {f.rule for f in review.findings}
    plan = plan_comments(review.findings, changes, [], SETTINGS)
    [comment] = [c for c in plan.comments if "interval/too-short" in c.body]
    assert comment.suggestion
    fixed = apply_suggestion(head_text, comment.start_line, comment.line, comment.body)
    after = review_snapshots(snapshot(base), snapshot({**base, path: fixed}), changes)
    assert "interval/too-short" not in {f.rule for f in after.findings}
