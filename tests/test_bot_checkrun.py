"""The Check Run lifecycle: start, reuse, adopt, complete with counts and annotations in batches of 50."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.analysis import ReviewResult
from bot.checkrun import SUMMARY_LIMIT, NotPosted, Outcome, annotation, complete, finish, start, waiting
from checks.findings import Finding, Severity
from checks.review import Review


def result(findings: list[Finding]) -> ReviewResult:
    return ReviewResult.of(Review(findings=findings, new_fingerprints=frozenset()), SUMMARY_LIMIT)


class FakeRun:
    def __init__(self, run_id: int = 1, external_id: str = "", status: str = "in_progress") -> None:
        self.id, self.external_id, self.status = run_id, external_id, status
        self.edits: list[dict[str, Any]] = []

    def edit(self, **fields: Any) -> None:
        self.edits.append(fields)


class FakeRepo:
    def __init__(self, runs: list[FakeRun] | None = None) -> None:
        self.runs = runs or []
        self.created: list[dict[str, Any]] = []

    def get_check_run(self, run_id: int) -> FakeRun:
        return FakeRun(run_id)

    def get_commit(self, sha: str) -> FakeRepo:
        return self

    def get_check_runs(self, check_name: str) -> list[FakeRun]:
        assert check_name == "flux-review"
        return self.runs

    def create_check_run(self, **fields: Any) -> FakeRun:
        self.created.append(fields)
        return FakeRun(99)


def finding(n: int, severity: Severity = Severity.ERROR, line: int = 3, end: int | None = None) -> Finding:
    return Finding("structure/yaml-invalid", severity, f"apps/f{n}.yaml", line, f"problem {n}", end_line=end)


def test_start_creates_an_in_progress_run_on_the_head_with_the_job_id() -> None:
    repo = FakeRepo()
    run = start(repo, "a" * 40, "job-1")  # type: ignore[arg-type]
    assert run.id == 99
    [created] = repo.created
    assert (created["name"], created["head_sha"], created["status"], created["external_id"]) == (
        "flux-review", "a" * 40, "in_progress", "job-1")


def test_a_resumed_job_reuses_its_run_and_a_retried_one_adopts_an_unrecorded_run() -> None:
    repo = FakeRepo([FakeRun(5, "other-job"), FakeRun(6, "job-1", "completed"), FakeRun(7, "job-1")])
    assert start(repo, "a" * 40, "job-1", existing_id=42).id == 42  # type: ignore[arg-type]
    assert start(repo, "a" * 40, "job-1", adopt=True).id == 7  # type: ignore[arg-type]
    assert repo.created == []
    assert start(FakeRepo([FakeRun(5, "other")]), "a" * 40, "job-1", adopt=True).id == 99  # type: ignore[arg-type]


def test_annotations_map_severities_to_levels_and_respect_lines() -> None:
    assert annotation(finding(1, Severity.ERROR))["annotation_level"] == "failure"
    assert annotation(finding(1, Severity.WARNING))["annotation_level"] == "warning"
    assert annotation(finding(1, Severity.INFO))["annotation_level"] == "notice"
    spread = annotation(finding(1, line=4, end=9))
    assert (spread["start_line"], spread["end_line"], spread["path"]) == (4, 9, "apps/f1.yaml")
    assert annotation(finding(1, line=0))["start_line"] == 1
    long = Finding("r" * 300, Severity.INFO, "a.yaml", 1, "m" * 70_000)
    assert len(annotation(long)["title"]) == 255 and len(annotation(long)["message"]) < 65_536


def test_completion_sends_annotations_fifty_at_a_time_and_the_conclusion_last() -> None:
    findings = [finding(n) for n in range(120)] + [finding(200, Severity.WARNING)]
    review = result(findings)
    run = FakeRun()
    outcome = complete(run, review, max_annotations=1000)  # type: ignore[arg-type]
    assert [len(e["output"]["annotations"]) for e in run.edits] == [50, 50, 21]
    assert all("conclusion" not in e for e in run.edits[:-1])
    assert (run.edits[-1]["status"], run.edits[-1]["conclusion"]) == ("completed", "failure")
    assert outcome.title == "120 errors, 1 warning added"
    assert outcome.summary.startswith("### 120 errors, 1 warning added")
    assert "/flux-review recheck" in outcome.summary


def test_a_clean_review_succeeds_in_one_request() -> None:
    run = FakeRun()
    outcome = complete(run, result([]), 100)  # type: ignore[arg-type]
    assert (outcome.conclusion, outcome.title) == ("success", "No new problems")
    assert len(run.edits) == 1 and run.edits[0]["output"]["annotations"] == []


def test_warnings_below_the_threshold_do_not_fail_and_the_annotation_cap_is_noted() -> None:
    review = result([finding(n, Severity.WARNING) for n in range(8)])
    run = FakeRun()
    outcome = complete(run, review, max_annotations=5, notes=["2 archive member(s) were not read."])  # type: ignore[arg-type]
    assert outcome.conclusion == "success"
    assert sum(len(e["output"]["annotations"]) for e in run.edits) == 5
    assert "3 more findings are not annotated" in outcome.summary
    assert "2 archive member(s) were not read." in outcome.summary


def test_finish_completes_with_a_prepared_outcome_within_limits() -> None:
    run = FakeRun()
    finish(run, Outcome("neutral", "t" * 300, "s" * 70_000))  # type: ignore[arg-type]
    [edit] = run.edits
    assert (edit["status"], edit["conclusion"]) == ("completed", "neutral")
    assert len(edit["output"]["title"]) == 255 and len(edit["output"]["summary"]) == 65_535
    assert Outcome.from_dict(Outcome("cancelled", "a", "b").to_dict()) == Outcome("cancelled", "a", "b")


def test_a_summary_with_thousands_of_findings_fits_github_limit_with_its_notes() -> None:
    findings = [Finding("interval/too-short", Severity.WARNING, f"apps/app-{n}/release.yaml", 3, "m" * 200)
                for n in range(3000)]
    review = result(findings)
    outcome = complete(FakeRun(), review, max_annotations=100, notes=["GitHub lists only 3,000 files."])  # type: ignore[arg-type]
    assert len(outcome.summary) <= 65_535
    assert outcome.summary.endswith("GitHub lists only 3,000 files.")
    assert "2900 more findings are not annotated" in outcome.summary


class FailingRun(FakeRun):
    """A run GitHub stops taking after ``good`` updates."""

    def __init__(self, good: int) -> None:
        super().__init__()
        self.good = good

    def edit(self, **fields: Any) -> None:
        if len(self.edits) >= self.good:
            raise ConnectionError("GitHub went away")
        super().edit(**fields)


def test_a_completion_cut_short_keeps_only_the_annotations_not_sent() -> None:
    review = result([finding(n) for n in range(120)])
    with pytest.raises(NotPosted) as stopped:
        complete(FailingRun(good=1), review, max_annotations=1000)  # type: ignore[arg-type]
    rest = stopped.value.outcome
    assert rest.conclusion == "failure" and len(rest.annotations) == 70
    assert Outcome.from_dict(rest.to_dict()) == rest  # it survives the ledger
    again = FakeRun()
    finish(again, rest)  # type: ignore[arg-type]
    assert [len(e["output"]["annotations"]) for e in again.edits] == [50, 20]
    assert again.edits[-1]["conclusion"] == "failure"


def test_a_waiting_run_says_when_it_resumes() -> None:
    run = FakeRun()
    waiting(run, 1800, now=datetime(2026, 12, 5, 10, 0, tzinfo=UTC))  # type: ignore[arg-type]
    [edit] = run.edits
    assert edit["status"] == "in_progress" and "10:30 UTC (in 30 min)" in edit["output"]["summary"]


def test_a_finding_in_a_file_whose_name_is_not_utf8_is_summarised_not_annotated() -> None:
    odd = Finding("yaml/parse-error", Severity.ERROR, "apps/caf\udce9.yaml", 1, "not valid YAML")
    outcome = complete(FakeRun(), result([odd, finding(1)]), 100)  # type: ignore[arg-type]
    assert outcome.conclusion == "failure"  # the verdict still counts it
    assert [a["path"] for a in outcome.annotations] == ["apps/f1.yaml"]
    assert "1 finding in files whose names are not UTF-8 is in the table above" in outcome.summary
