"""structure/unused-suppression: inline ignore comments that silence nothing, and the fix that removes them.

How suppressions silence findings (and where they apply) is tested with the
machinery, in tests/test_suppressions.py.
"""

from __future__ import annotations

from rule_support import apply_fix, flux_object, of, round_trip, run, source
from rule_support import findings as findings_of

from checks.findings import Severity
from checks.rules import RULES_BY_ID
from checks.suppressions import UNUSED_RULE_ID


def git_repository(spec: str) -> dict[str, str]:
    """A GitRepository of podinfo whose spec is ``spec`` (it has no interval/too-short finding at 10m)."""
    return {"clusters/prod/sources.yaml": flux_object("GitRepository", "podinfo", spec)}


# -- failing --------------------------------------------------------------------------------------------
def test_comment_above_a_line_with_nothing_to_silence() -> None:
    """The documented failing example: nothing on the next line is too short."""
    files = git_repository("""\
        # flux-review: ignore[interval/too-short]
        interval: 10m
        url: https://github.com/stefanprodan/podinfo
        """)
    [finding] = findings_of(files, UNUSED_RULE_ID)
    assert (finding.path, finding.line, finding.severity) == ("clusters/prod/sources.yaml", 7, Severity.INFO)
    assert finding.key == "ignore[interval/too-short]"
    assert "silences nothing" in finding.message and "interval/too-short" in finding.message


def test_suppressing_another_rule_keeps_the_finding_and_reports_the_comment() -> None:
    analysis = run(source("  # flux-review: ignore[source/insecure]"))
    assert len(of(analysis, "interval/too-short")) == 1
    assert [f.key for f in of(analysis, UNUSED_RULE_ID)] == ["ignore[source/insecure]"]


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


def test_unused_suppression_rule_follows_the_configuration() -> None:
    comment = "  # flux-review: ignore[source/insecure]"
    assert of(run(source(comment), "rules:\n  structure/unused-suppression: off\n"), UNUSED_RULE_ID) == []
    regraded = of(run(source(comment), "rules:\n  structure/unused-suppression: warning\n"), UNUSED_RULE_ID)
    assert [f.severity for f in regraded] == [Severity.WARNING]


# -- look-alikes that stay quiet ---------------------------------------------------------------------------
def test_used_suppressions_and_mentions_that_are_not_suppressions_are_quiet() -> None:
    """A used trailing comment, and `flux-review: ignore[...]` in a value or inside another comment."""
    files = {
        **source("  # flux-review: ignore[interval/too-short]"),
        "clusters/prod/other.yaml": flux_object("GitRepository", "other", """\
            interval: 10m  # flux-review runs in CI
            url: https://github.com/stefanprodan/podinfo#flux-review: ignore[source/insecure]
            ref:
              branch: master  # see flux-review: ignore[source/floating-ref] in the docs
            """),
    }
    analysis = run(files)
    assert of(analysis, "interval/too-short") == []
    assert of(analysis, UNUSED_RULE_ID) == []


def test_suppression_of_a_disabled_rule_is_not_reported() -> None:
    analysis = run(source("  # flux-review: ignore[interval/too-short]"), "rules:\n  interval/too-short: off\n")
    assert of(analysis, UNUSED_RULE_ID) == []


def test_suppression_of_a_rule_that_needs_the_base_is_not_reported_outside_a_review() -> None:
    needs_base = next(rule.id for rule in RULES_BY_ID.values() if rule.needs_base)
    assert of(run(source(f"  # flux-review: ignore[{needs_base}]")), UNUSED_RULE_ID) == []


# -- the fix ----------------------------------------------------------------------------------------------
def test_fix_round_trip() -> None:
    """The fix removes the stale comment: the finding is gone and the file still parses."""
    fixed = round_trip(git_repository("""\
        # flux-review: ignore[interval/too-short]
        interval: 10m
        url: https://github.com/stefanprodan/podinfo
        """), UNUSED_RULE_ID)
    assert "flux-review" not in fixed["clusters/prod/sources.yaml"]


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
