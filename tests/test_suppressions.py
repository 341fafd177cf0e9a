"""Inline suppressions: what they silence, and where.

The comments that silence nothing are the findings of structure/unused-suppression:
their tests, and those of its fix, are in tests/rules/structure/test_unused_suppression.py.
"""

from __future__ import annotations

import textwrap

from rule_support import SHORT_INTERVAL_SOURCE, config_map, kustomization, of, run, source

from checks.findings import Severity
from checks.suppressions import UNUSED_RULE_ID, parse_suppressions


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


def test_ignore_file_silences_the_rule_in_the_whole_file() -> None:
    files = source()
    files["clusters/prod/sources.yaml"] = "# flux-review: ignore-file[interval/too-short]\n" + textwrap.dedent(
        files["clusters/prod/sources.yaml"])
    analysis = run(files)
    assert of(analysis, "interval/too-short") == []
    assert of(analysis, UNUSED_RULE_ID) == []


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
    suppressed = SHORT_INTERVAL_SOURCE.format(comment="  # flux-review: ignore[interval/too-short]")
    files["clusters/prod/other.yaml"] = suppressed.replace("podinfo", "other")
    with_comment = run(files)
    without = run(source())
    kept = [f for f in with_comment.findings if f.path == "clusters/prod/sources.yaml"]
    assert [(f.rule, f.line, f.fingerprint) for f in kept] == [
        (f.rule, f.line, f.fingerprint) for f in without.findings if f.path == "clusters/prod/sources.yaml"]


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
