"""Differential review: what a change adds, not what the repository already had.

A finding is reported for a change when it is new at head (its fingerprint
is absent at base), or when it sits on a line the change wrote. Findings
the change causes in files it did not touch (a deleted dependency target,
a removed source) are new by fingerprint, so they are reported too; rules
that compare with the base (``needs_base``) see the base model. Fingerprints
anchored on a file (findings without an object) follow the file through a
rename, so moving a file does not make its old problems look new.
Pre-existing problems in touched files are kept apart, for a collapsed
section of the summary, and problems the change removes are counted.

Suppressions are a way to pass a review, so the ones a change writes are
listed with what they silence; a rule the configuration (read from the
default branch) forbids silencing stays reported despite them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from checks.config import Config
from checks.diff import ChangedFile
from checks.engine import Analysis, analyze
from checks.findings import Finding, Severity, sort_key
from checks.loading import ParseCache
from checks.source import RepoSnapshot


@dataclass(frozen=True)
class AddedSuppression:
    """A suppression comment the change wrote, the finding it silences, and whether that is allowed."""

    finding: Finding
    path: str
    line: int
    comment: str
    honoured: bool


@dataclass
class Review:
    """The verdict on one change."""

    findings: list[Finding]
    new_fingerprints: frozenset[str]
    pre_existing: list[Finding] = field(default_factory=list)
    head: Analysis | None = None
    base: Analysis | None = None
    changes: Mapping[str, ChangedFile] = field(default_factory=dict)
    fail_on: Severity | None = Severity.ERROR
    resolved: list[Finding] = field(default_factory=list)
    added_suppressions: list[AddedSuppression] = field(default_factory=list)

    def is_new(self, finding: Finding) -> bool:
        return finding.fingerprint in self.new_fingerprints

    def counts(self) -> dict[str, int]:
        """Counts per severity name of the reported findings."""
        result = {"error": 0, "warning": 0, "info": 0}
        for finding in self.findings:
            result[str(finding.severity)] += 1
        return result

    @property
    def failed(self) -> bool:
        """True when a reported finding is at or above the failing threshold."""
        if self.fail_on is None:
            return False
        return any(f.severity >= self.fail_on for f in self.findings)


def review_snapshots(
    base: RepoSnapshot,
    head: RepoSnapshot,
    changes: Mapping[str, ChangedFile],
    config: Config | None = None,
    cache: ParseCache | None = None,
) -> Review:
    """Review the change from ``base`` to ``head`` described by ``changes``.

    Base and head share one parse cache: the files a change did not touch
    are parsed once.
    """
    config = config or Config()
    cache = cache or ParseCache()
    base_analysis = analyze(base, config, cache=cache)
    head_analysis = analyze(head, config, previous=base_analysis, cache=cache)
    return compare(base_analysis, head_analysis, changes, config)


def compare(
    base: Analysis, head: Analysis, changes: Mapping[str, ChangedFile], config: Config
) -> Review:
    """Split head's findings into those the change is responsible for and the rest."""
    renamed = {c.previous_path: c.path for c in changes.values() if c.previous_path and c.previous_path != c.path}
    removed = {path for path, c in changes.items() if c.status == "removed"}
    base_prints = {_at_head(f, renamed).fingerprint for f in base.findings}
    # A finding anchored on a file (no object) whose file the change removed may reappear
    # on another file of the same cluster (a cluster-wide finding reported on its first file).
    orphaned = {_same_problem(f) for f in base.findings if f.object is None and f.path in removed}
    added = [AddedSuppression(finding, s.path, s.line, s.text, config.may_silence(finding.rule))
             for finding, s in head.silenced if _writes(s.line, changes.get(s.path))]
    forbidden = [a.finding for a in added if not a.honoured]
    forced = {id(f) for f in forbidden}
    head_prints = {f.fingerprint for f in [*head.findings, *forbidden]}
    moved = {_same_problem(f) for f in head.findings if f.object is None}
    reported: list[Finding] = []
    pre_existing: list[Finding] = []
    new: set[str] = set()
    for finding in sorted([*head.findings, *forbidden], key=sort_key):
        is_new = finding.fingerprint not in base_prints and not (
            finding.object is None and _same_problem(finding) in orphaned)
        if is_new:
            new.add(finding.fingerprint)
        if is_new or _touches(finding, changes.get(finding.path)) or id(finding) in forced:
            reported.append(finding)
        elif finding.path in changes:
            pre_existing.append(finding)
    return Review(
        findings=reported,
        new_fingerprints=frozenset(new),
        pre_existing=pre_existing,
        head=head,
        base=base,
        changes=changes,
        fail_on=config.fail_on,
        resolved=[f for f in base.findings if _at_head(f, renamed).fingerprint not in head_prints
                  and not (f.path in removed and f.object is None and _same_problem(f) in moved)],
        added_suppressions=added,
    )


def _writes(line: int, change: ChangedFile | None) -> bool:
    """Whether the change wrote the suppression comment on ``line`` (every one of a file it added)."""
    if change is None:
        return False
    return change.whole_file_changed or line in change.added_lines


def _same_problem(finding: Finding) -> tuple[str, str, str]:
    return (finding.rule, finding.key, finding.message)


def _at_head(finding: Finding, renamed: Mapping[str, str]) -> Finding:
    """A base finding as head would name it: its file renamed where the change renamed it."""
    if finding.path in renamed:
        return replace(finding, path=renamed[finding.path])
    return finding


def _touches(finding: Finding, change: ChangedFile | None) -> bool:
    if change is None:
        return False
    if change.whole_file_changed:
        return True
    return any(line in change.added_lines for line in range(finding.line, finding.last_line + 1))
