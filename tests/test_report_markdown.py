"""The Markdown summary of a review: title, findings table, deployment order, size limit."""

from __future__ import annotations

from rule_support import config_map, snapshot
from rule_support import kustomization as flux_kustomization

from checks.diff import ChangedFile
from checks.findings import Finding, Severity
from checks.report.markdown import MAX_CHARS, MAX_CLUSTERS, render_review, title_text, touched_kustomizations
from checks.review import Review, review_snapshots


def kustomization(name: str, interval: str = "10m", depends_on: str | None = None) -> str:
    text = flux_kustomization(name, f"./apps/{name}", spec=f"interval: {interval}", wait=True)
    return text + (f"  dependsOn:\n    - name: {depends_on}\n" if depends_on else "")


def finding(rule: str = "interval/too-short", severity: Severity = Severity.WARNING, path: str = "a.yaml",
            line: int = 3, message: str = "too short", obj: str | None = "Kustomization/flux-system/a") -> Finding:
    return Finding(rule, severity, path, line, message, object=obj, key=f"{path}:{line}")


def review_of(findings: list[Finding], pre_existing: list[Finding] | None = None,
              changes: dict[str, ChangedFile] | None = None) -> Review:
    return Review(findings, frozenset(f.fingerprint for f in findings), pre_existing or [],
                  changes=changes or {})


def test_title_counts_what_the_change_adds() -> None:
    review = review_of([finding(severity=Severity.ERROR), finding(line=4), finding(line=5)])
    assert title_text(review) == "1 error, 2 warnings added"
    assert render_review(review).startswith("### 1 error, 2 warnings added\n")
    assert render_review(review_of([])).startswith("### No new problems\n")
    assert title_text(review_of([finding(severity=Severity.INFO)])) == "1 notice added"


def test_table_row_has_icon_rule_object_place_and_message() -> None:
    text = render_review(review_of([finding(severity=Severity.ERROR, path="clusters/prod/a.yaml", line=11)]))
    assert "| | Rule | Object | Where | Problem |\n|---|---|---|---|---|\n" in text
    assert ("| ❌ | `interval/too-short` | Kustomization `flux-system/a` | `clusters/prod/a.yaml:11` "
            "| too short |") in text


def test_errors_come_first() -> None:
    text = render_review(review_of([finding(path="a.yaml"), finding(severity=Severity.ERROR, path="z.yaml")]))
    assert text.index("z.yaml") < text.index("a.yaml")


def test_cells_escape_pipes_and_html_but_keep_code_spans() -> None:
    message = "set `a|b` or <provider> | *.sops.yaml"
    text = render_review(review_of([finding(message=message, obj=None)]))
    assert "| — |" in text
    assert "set `a\\|b` or &lt;provider&gt; \\| \\*.sops.yaml |" in text


def test_findings_in_files_the_change_did_not_touch_are_marked() -> None:
    changes = {"a.yaml": ChangedFile("a.yaml")}
    text = render_review(review_of([finding(path="a.yaml"), finding(path="b.yaml")], changes=changes))
    assert "`a.yaml:3` |" in text and "`b.yaml:3` (not changed here) |" in text


def test_pre_existing_problems_are_collapsed() -> None:
    text = render_review(review_of([], pre_existing=[finding(), finding(line=9)]))
    assert text.startswith("### No new problems\n")
    assert "<details><summary>2 problems already present in files this change touches</summary>" in text
    assert text.count("| ⚠️ |") == 2


def test_footer_has_the_recheck_hint() -> None:
    text = render_review(review_of([finding()]))
    assert text.rstrip().endswith("Re-run: the button above, or comment `/flux-review recheck`.")
    assert "`# flux-review: ignore[RULE]`" in text


def test_summary_stays_within_githubs_limit() -> None:
    many = [finding(path=f"clusters/prod/app-{n}.yaml", message="x" * 300) for n in range(2000)]
    text = render_review(review_of(many, pre_existing=many[:500]))
    assert len(text) <= MAX_CHARS
    assert "more not shown: GitHub limits this summary to 65,535 characters" in text
    assert text.startswith("### 2000 warnings added\n")
    assert "/flux-review recheck" in text  # the footer survives the cut


def test_a_small_limit_is_respected() -> None:
    many = [finding(line=n, message="y" * 100) for n in range(1, 100)]
    text = render_review(review_of(many, pre_existing=many), limit=3000)
    assert len(text) <= 3000
    assert "more not shown" in text


def test_deployment_order_shows_touched_kustomizations_and_their_neighbours() -> None:
    base = {
        "clusters/prod/a.yaml": kustomization("a"),
        "clusters/prod/b.yaml": kustomization("b", depends_on="a"),
        "clusters/prod/c.yaml": kustomization("c"),
        "apps/a/cm.yaml": config_map("a"),
        "apps/b/cm.yaml": config_map("b"),
        "apps/c/cm.yaml": config_map("c"),
    }
    head = {**base, "clusters/prod/b.yaml": kustomization("b", interval="20m", depends_on="a")}
    changes = {"clusters/prod/b.yaml": ChangedFile("clusters/prod/b.yaml", added_lines=frozenset({7}))}
    review = review_snapshots(snapshot(base), snapshot(head), changes)
    text = render_review(review)
    assert "<details><summary>Deployment order after this change (prod)</summary>" in text
    chart = text.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert '["flux-system/a"]' in chart and '["flux-system/b"]' in chart
    assert "flux-system/c" not in chart
    assert "Kustomization_flux_system_a --> Kustomization_flux_system_b" in chart
    assert "class Kustomization_flux_system_b changed" in chart
    assert "1. `flux-system/a`\n2. **`flux-system/b`** (after `flux-system/a`)" in text  # the text fallback


def test_clusters_past_the_drawn_ones_are_counted_in_the_right_number() -> None:
    names = [f"c{n}" for n in range(MAX_CLUSTERS + 1)]
    base = {f"clusters/{name}/a.yaml": kustomization("a") for name in names} | {"apps/a/cm.yaml": config_map("a")}
    head = base | {f"clusters/{name}/a.yaml": kustomization("a", interval="20m") for name in names}
    changes = {f"clusters/{name}/a.yaml": ChangedFile(f"clusters/{name}/a.yaml", added_lines=frozenset({7}))
               for name in names}
    text = render_review(review_snapshots(snapshot(base), snapshot(head), changes))
    assert "The change touches Kustomizations of 1 more cluster; `flux-review graph` draws every cluster." in text


def test_touched_kustomizations_follow_the_files_they_render() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization("a") + "---\n" + kustomization("b"),
        "apps/a/cm.yaml": config_map("a"),
        "apps/b/cm.yaml": config_map("b"),
    }
    review = review_snapshots(snapshot(files), snapshot(files), {})
    assert review.head is not None
    cluster = review.head.model.clusters[0]
    rendered = {"apps/a/cm.yaml": ChangedFile("apps/a/cm.yaml", added_lines=frozenset({4}))}
    assert touched_kustomizations(cluster, rendered, None) == {"Kustomization/flux-system/a"}
    second = {"clusters/prod/apps.yaml": ChangedFile("clusters/prod/apps.yaml", added_lines=frozenset({20}))}
    assert touched_kustomizations(cluster, second, None) == {"Kustomization/flux-system/b"}


def test_no_deployment_section_without_touched_kustomizations() -> None:
    assert "Deployment order" not in render_review(review_of([finding()]))
