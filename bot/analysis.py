"""One review's analysis as a plain function of plain data: what the limited child process runs.

It takes the two archives as downloaded, the change's files and the
configuration, and returns only what the job posts (findings, verdict,
title, Markdown summary, notes), all picklable: the engine's models never
leave the child, and the memory they took goes with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.snapshot import read_snapshot, skipped_note
from checks.config import Config
from checks.diff import ChangedFile
from checks.findings import Finding
from checks.report import markdown
from checks.review import Review, review_snapshots
from checks.source import ArchiveLimits


@dataclass(frozen=True)
class Archive:
    """A downloaded archive and the name it goes by in messages (``owner/repo@sha12``)."""

    data: bytes = field(repr=False)
    label: str


@dataclass(frozen=True)
class ReviewResult:
    """What a review job posts: the reported findings, the verdict, and the Check Run's text."""

    findings: list[Finding]
    failed: bool
    title: str
    summary: str
    notes: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, review: Review, summary_limit: int, notes: list[str] | None = None) -> ReviewResult:
        return cls(list(review.findings), review.failed, markdown.title_text(review),
                   markdown.render_review(review, limit=summary_limit), notes or [])


def analyze_change(base: Archive, head: Archive, changes: Mapping[str, ChangedFile], config: Config,
                   limits: ArchiveLimits, summary_limit: int) -> ReviewResult:
    """Read both archives, review the change, and render its summary in at most ``summary_limit`` characters."""
    snapshots = {"base": read_snapshot(base.data, limits, base.label),
                 "head": read_snapshot(head.data, limits, head.label)}
    review = review_snapshots(snapshots["base"], snapshots["head"], changes, config)
    return ReviewResult.of(review, summary_limit, [note for note in (skipped_note(snapshots),) if note])
