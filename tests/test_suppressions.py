"""Inline suppressions: what they silence, where, and the ones that silence nothing."""

from __future__ import annotations

import textwrap

from rule_support import analyze_files, apply_fix, config_map, kustomization, of

from checks.engine import Analysis, load_config_text
from checks.findings import Severity
from checks.rules import RULES_BY_ID
from checks.suppressions import UNUSED_RULE_ID, parse_suppressions

SOURCE = """\
    apiVersion: source.toolkit.fluxcd.io/v1
    kind: GitRepository
    metadata:
      name: podinfo
      namespace: flux-system
    spec:
      interval: 30s{comment}
      url: https://github.com/stefanprodan/podinfo
      ref:
        branch: master
    """


def run(files: dict[str, str], config_text: str | None = None) -> Analysis:
    config = load_config_text(config_text, ".github/flux-review.yml") if config_text else None
    return analyze_files(files, config)


def source(comment: str = "", above: str = "") -> dict[str, str]:
    text = SOURCE.format(comment=comment)
    if above:
        text = text.replace("      interval: 30s", f"      {above}\n      interval: 30s")
    return {"clusters/prod/sources.yaml": text}


def test_unsuppressed_source_raises_too_short() -> None:
    assert [f.line for f in of(run(source()), "interval/too-short")] == [7]


def test_trailing_comment_silences_its_own_line() -> None:
    analysis = run(source("  # flux-review: ignore[interval/too-short]"))
    assert of(analysis, "interval/too-short") == []
    assert of(analysis, UNUSED_RULE_ID) == []
    assert analysis.stats["suppressed"] == 1


def test_comment_on_the_line_above_silences_the_next_line() -> None:
    analysis = run(source(above="# flux-review: ignore[interval/too-short]"))
    assert of(analysis, "interval/too-short") == []
    assert of(analysis, UNUSED_RULE_ID) == []


def test_stacked_comments_above_a_line_all_apply() -> None:
    files = source(above="# flux-review: ignore[interval/no-retry]\n      # flux-review: ignore[interval/too-short]")
    analysis = run(files, "rules:\n  interval/no-retry: off\n")
    assert of(analysis, "interval/too-short") == []


def test_comment_separated_by_a_blank_line_does_not_apply_and_is_reported() -> None:
    analysis = run(source(above="# flux-review: ignore[interval/too-short]\n"))
    assert len(of(analysis, "interval/too-short")) == 1
    unused = of(analysis, UNUSED_RULE_ID)
    assert [(f.line, f.severity) for f in unused] == [(7, Severity.INFO)]
    assert "silences nothing" in unused[0].message and "interval/too-short" in unused[0].message


def test_suppressing_another_rule_keeps_the_finding_and_reports_the_comment() -> None:
    analysis = run(source("  # flux-review: ignore[source/insecure]"))
    assert len(of(analysis, "interval/too-short")) == 1
    assert [f.key for f in of(analysis, UNUSED_RULE_ID)] == ["ignore[source/insecure]"]


def test_ignore_file_silences_the_rule_in_the_whole_file() -> None:
    files = source()
    files["clusters/prod/sources.yaml"] = "# flux-review: ignore-file[interval/too-short]\n" + textwrap.dedent(
        files["clusters/prod/sources.yaml"])
    analysis = run(files)
    assert of(analysis, "interval/too-short") == []
    assert of(analysis, UNUSED_RULE_ID) == []


def test_ignore_file_that_silences_nothing_is_reported() -> None:
    files = {"clusters/prod/notes.yaml": "# flux-review: ignore-file[secrets/plaintext-secret]\n"
                                         "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\n"}
    unused = of(run(files), UNUSED_RULE_ID)
    assert len(unused) == 1 and "in this file" in unused[0].message


def test_bare_ignore_silences_nothing_and_says_a_list_is_required() -> None:
    analysis = run(source("  # flux-review: ignore"))
    assert len(of(analysis, "interval/too-short")) == 1
    unused = of(analysis, UNUSED_RULE_ID)
    assert len(unused) == 1
    assert "names no rule" in unused[0].message and unused[0].fix is None


def test_unknown_form_is_reported_as_not_a_suppression() -> None:
    unused = of(run(source("  # flux-review: ignore-line[interval/too-short]")), UNUSED_RULE_ID)
    assert len(unused) == 1 and "not a suppression flux-review reads" in unused[0].message


def test_misspelt_rule_id_is_reported_with_a_suggestion() -> None:
    analysis = run(source("  # flux-review: ignore[interval/too-shrt]"))
    assert len(of(analysis, "interval/too-short")) == 1
    unused = of(analysis, UNUSED_RULE_ID)
    assert len(unused) == 1 and "Did you mean `interval/too-short`?" in unused[0].message


def test_one_list_silences_several_rules_and_reports_only_the_unused_id() -> None:
    analysis = run(source("  # flux-review: ignore[interval/too-short, source/insecure]"))
    assert of(analysis, "interval/too-short") == []
    assert [f.key for f in of(analysis, UNUSED_RULE_ID)] == ["ignore[source/insecure]"]


def test_suppression_in_a_parents_patch_silences_the_finding_reported_there() -> None:
    files = {
        "clusters/prod/apps.yaml": """\
            apiVersion: kustomize.toolkit.fluxcd.io/v1
            kind: Kustomization
            metadata:
              name: apps
              namespace: flux-system
            spec:
              interval: 10m
              path: ./apps
              prune: true
              wait: true
              sourceRef:
                kind: GitRepository
                name: flux-system
              patches:
                - patch: |-
                    apiVersion: kustomize.toolkit.fluxcd.io/v1
                    kind: Kustomization
                    metadata:
                      name: all
                    spec:
                      interval: 30s{comment}
                  target:
                    kind: Kustomization
            """,
        "apps/kustomization.yaml": "resources:\n  - podinfo.yaml\n",
        "apps/podinfo.yaml": kustomization("podinfo", "./podinfo"),
        "podinfo/cm.yaml": config_map("x"),
    }
    plain = dict(files, **{"clusters/prod/apps.yaml": files["clusters/prod/apps.yaml"].format(comment="")})
    assert [(f.path, f.line) for f in of(run(plain), "interval/too-short")] == [("clusters/prod/apps.yaml", 21)]
    silenced = dict(files, **{"clusters/prod/apps.yaml": files["clusters/prod/apps.yaml"].format(
        comment="  # flux-review: ignore[interval/too-short]")})
    analysis = run(silenced)
    assert of(analysis, "interval/too-short") == []
    assert of(analysis, UNUSED_RULE_ID) == []


def test_other_findings_and_fingerprints_are_unchanged() -> None:
    files = source()
    files["clusters/prod/other.yaml"] = SOURCE.format(comment="  # flux-review: ignore[interval/too-short]").replace(
        "podinfo", "other")
    with_comment = run(files)
    without = run(source())
    kept = [f for f in with_comment.findings if f.path == "clusters/prod/sources.yaml"]
    assert [(f.rule, f.line, f.fingerprint) for f in kept] == [
        (f.rule, f.line, f.fingerprint) for f in without.findings if f.path == "clusters/prod/sources.yaml"]


def test_suppression_of_a_disabled_rule_is_not_reported() -> None:
    analysis = run(source("  # flux-review: ignore[interval/too-short]"), "rules:\n  interval/too-short: off\n")
    assert of(analysis, UNUSED_RULE_ID) == []


def test_suppression_of_a_rule_that_needs_the_base_is_not_reported_outside_a_review() -> None:
    needs_base = next(rule.id for rule in RULES_BY_ID.values() if rule.needs_base)
    assert of(run(source(f"  # flux-review: ignore[{needs_base}]")), UNUSED_RULE_ID) == []


def test_unused_suppression_rule_follows_the_configuration() -> None:
    comment = "  # flux-review: ignore[source/insecure]"
    assert of(run(source(comment), "rules:\n  structure/unused-suppression: off\n"), UNUSED_RULE_ID) == []
    regraded = of(run(source(comment), "rules:\n  structure/unused-suppression: warning\n"), UNUSED_RULE_ID)
    assert [f.severity for f in regraded] == [Severity.WARNING]


def test_fix_removes_a_trailing_comment_and_keeps_the_value() -> None:
    files = source("  # flux-review: ignore[source/insecure]")
    finding = of(run(files), UNUSED_RULE_ID)[0]
    fixed = apply_fix(files, finding)
    assert "  interval: 30s\n" in fixed["clusters/prod/sources.yaml"]
    analysis = run(fixed)
    assert of(analysis, UNUSED_RULE_ID) == []
    assert len(of(analysis, "interval/too-short")) == 1


def test_fix_deletes_a_comment_on_its_own_line() -> None:
    files = source(above="# flux-review: ignore[source/insecure]")
    fixed = apply_fix(files, of(run(files), UNUSED_RULE_ID)[0])
    assert "flux-review" not in fixed["clusters/prod/sources.yaml"]
    assert of(run(fixed), UNUSED_RULE_ID) == []


def test_fix_keeps_the_ids_that_are_used() -> None:
    files = source("  # flux-review: ignore[source/insecure, interval/too-short]  reviewed in #42")
    fixed = apply_fix(files, of(run(files), UNUSED_RULE_ID)[0])
    assert "interval: 30s  # flux-review: ignore[interval/too-short]  reviewed in #42\n" in fixed[
        "clusters/prod/sources.yaml"]
    analysis = run(fixed)
    assert of(analysis, UNUSED_RULE_ID) == [] and of(analysis, "interval/too-short") == []


def test_every_stale_id_of_one_comment_gets_the_same_fix() -> None:
    files = source(above="# flux-review: ignore[source/insecure, interval/no-retry]")
    unused = of(run(files), UNUSED_RULE_ID)
    assert len(unused) == 2 and unused[0].fix == unused[1].fix


def test_parse_reads_only_comments() -> None:
    text = ("url: http://example.com/#flux-review: ignore[a/b]\n"
            "key: value # flux-review: ignore[ a/b , c/d ]\n"
            "# flux-review: ignore[e/f]\n"
            "# another comment\n"
            "value: 1\n")
    parsed = parse_suppressions("f.yaml", text)
    assert [(s.line, s.rule_ids, sorted(s.targets)) for s in parsed.all] == [
        (2, ("a/b", "c/d"), [2]),
        (3, ("e/f",), [3, 5]),
    ]
    assert parsed.silencer("e/f", 5) is not None
    assert parsed.silencer("e/f", 4) is None
    assert parsed.silencer("a/b", 1) is None
