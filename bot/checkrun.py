"""The ``flux-review`` Check Run's lifecycle: created in progress, completed with a verdict, never left open.

A run is created (or, for a job that is resumed, reused or adopted) on
the head commit as soon as a review starts, and completed with the
counts and the findings as annotations (GitHub takes at most 50 per
request, so longer lists go in several updates), or with a clear title
and message when the review could not be made. The output of a failed
review is plain data (``Outcome``), so it can be parked in the ledger and
posted later if GitHub is down at that moment. Rich summaries and review
comments come later; this module keeps the verdict honest and the run
closed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from github.CheckRun import CheckRun
from github.Repository import Repository

from bot.analysis import ReviewResult
from checks.findings import Finding, Severity, counted

NAME = "flux-review"
ANNOTATIONS_PER_REQUEST = 50
MAX_TITLE = 255
MAX_TEXT = 65_535
MAX_ANNOTATION_MESSAGE = 64 * 1024 - 1
NOTES_ROOM = 10_000  # what the engine's summary leaves for the job's notes (each cut at 4,000 characters)
SUMMARY_LIMIT = MAX_TEXT - NOTES_ROOM
LEVELS = {Severity.ERROR: "failure", Severity.WARNING: "warning", Severity.INFO: "notice"}


@dataclass(frozen=True)
class Outcome:
    """How a Check Run ends: ``conclusion`` (success, failure, neutral, cancelled...), title, summary, annotations.

    Plain data, so a verdict GitHub would not take can be parked in the
    ledger and posted later (``annotations`` are those not yet sent).
    """

    conclusion: str
    title: str
    summary: str
    annotations: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["annotations"] = list(self.annotations)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Outcome:
        return cls(str(data["conclusion"]), str(data["title"]), str(data["summary"]),
                   tuple(data.get("annotations") or ()))


class NotPosted(Exception):
    """GitHub did not take (all of) a Check Run's completion; ``outcome`` is what is left to post."""

    def __init__(self, outcome: Outcome, cause: BaseException) -> None:
        super().__init__(f"the Check Run was not completed ({type(cause).__name__})")
        self.outcome = outcome
        self.cause = cause


def start(repo: Repository, head_sha: str, job_id: str, existing_id: int | None = None,
          adopt: bool = False) -> CheckRun:
    """The job's Check Run, in progress on ``head_sha``.

    ``existing_id`` (recorded in the ledger by an earlier attempt) is reused
    without a request. With ``adopt``, a run this job created but never
    recorded (the process died between GitHub's answer and the ledger write,
    or the answer was lost) is looked up by its ``external_id`` first, so a
    retried job never leaves a twin run in progress.
    """
    if existing_id is not None:
        return repo.get_check_run(existing_id)
    if adopt:
        for run in repo.get_commit(head_sha).get_check_runs(check_name=NAME):
            if run.external_id == job_id and run.status != "completed":
                return run
    return repo.create_check_run(
        name=NAME,
        head_sha=head_sha,
        status="in_progress",
        external_id=job_id,
        started_at=datetime.now(UTC),
        output={"title": "Reviewing", "summary": "flux-review is reviewing the Flux manifests of this commit."},
    )


def complete(run: CheckRun, review: ReviewResult, max_annotations: int, notes: Sequence[str] = ()) -> Outcome:
    """Complete the run with the review's verdict, summary and annotations; ``NotPosted`` keeps what is left."""
    outcome = verdict(review, max_annotations, notes)
    finish(run, outcome)
    return outcome


def verdict(review: ReviewResult, max_annotations: int, notes: Sequence[str] = ()) -> Outcome:
    """The review as a Check Run's completion: conclusion, title, summary, and up to ``max_annotations``."""
    # GitHub names files in UTF-8: an annotation on a name that is not could not be placed (and could fail
    # the whole update), so such findings are told in the summary's table only.
    findings = [f for f in review.findings if _utf8(f.path)]
    unplaced = len(review.findings) - len(findings)
    if unplaced:
        notes = [*notes, f"{counted(unplaced, 'finding')} in files whose names are not UTF-8 "
                         f"{'is' if unplaced == 1 else 'are'} in the table above but not annotated."]
    shown = findings[:max_annotations]
    return Outcome(
        conclusion="failure" if review.failed else "success",
        title=_cut(review.title, MAX_TITLE),
        summary=_summary(review, len(findings), len(shown), notes),
        annotations=tuple(annotation(f) for f in shown),
    )


def _utf8(path: str) -> bool:
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def finish(run: CheckRun, outcome: Outcome) -> None:
    """Complete the run with ``outcome``: annotations 50 per request (GitHub appends them), the conclusion last.

    When a request fails, ``NotPosted`` carries the outcome with only the
    annotations not yet sent, so posting it again adds none twice.
    """
    output = {"title": _cut(outcome.title, MAX_TITLE), "summary": _cut(outcome.summary, MAX_TEXT)}
    annotations = list(outcome.annotations)
    sent = 0
    try:
        while len(annotations) - sent > ANNOTATIONS_PER_REQUEST:
            run.edit(output={**output, "annotations": annotations[sent:sent + ANNOTATIONS_PER_REQUEST]})
            sent += ANNOTATIONS_PER_REQUEST
        run.edit(status="completed", conclusion=outcome.conclusion, completed_at=datetime.now(UTC),
                 output={**output, "annotations": annotations[sent:]})
    except Exception as error:
        raise NotPosted(replace(outcome, annotations=tuple(annotations[sent:])), error) from error


def waiting(run: CheckRun, seconds: float, now: datetime | None = None) -> None:
    """Say on a run left in progress that the review waits for GitHub's rate limit, and until when."""
    resume = (now or datetime.now(UTC)) + timedelta(seconds=seconds)
    run.edit(status="in_progress", output={
        "title": "Waiting for GitHub's rate limit",
        "summary": (f"GitHub's API rate limit for this installation is used up. The review resumes at about "
                    f"{resume:%H:%M} UTC (in {max(1, round(seconds / 60))} min) and completes this check then."),
    })


def annotation(finding: Finding) -> dict[str, Any]:
    """A finding as a Check Run annotation, within GitHub's limits."""
    start_line = max(1, finding.line)
    return {
        "path": finding.path,
        "start_line": start_line,
        "end_line": max(start_line, finding.last_line),
        "annotation_level": LEVELS.get(finding.severity, "notice"),
        "title": _cut(finding.rule, MAX_TITLE),
        "message": _cut(finding.message, MAX_ANNOTATION_MESSAGE),
    }


def _summary(review: ReviewResult, total: int, shown: int, notes: Sequence[str]) -> str:
    """The engine's Markdown summary (rendered within ``SUMMARY_LIMIT``), then the notes."""
    extra = []
    if shown < total:
        more = total - shown
        extra.append(f"{counted(more, 'more finding')} {'is' if more == 1 else 'are'} not annotated "
                     f"(FLUX_REVIEW_MAX_ANNOTATIONS={shown}).")
    extra.extend(review.notes)
    extra.extend(notes)
    tail = "".join("\n\n" + _cut(note, 4000) for note in extra)
    return _cut(review.summary + tail, MAX_TEXT)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
