"""Differential review: what a change adds, not what the repository already had.

A finding is reported for a change when it is new at head (its fingerprint
is absent at base), or when it sits on a line the change wrote. Findings
the change causes in files it did not touch (a deleted dependency target,
a removed source) are new by fingerprint, so they are reported too.
Pre-existing problems in touched files are kept apart, for a collapsed
section of the summary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from checks.config import Config
from checks.diff import ChangedFile
from checks.engine import Analysis, analyze
from checks.findings import Finding, Severity
from checks.source import RepoSnapshot


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
) -> Review:
    """Review the change from ``base`` to ``head`` described by ``changes``."""
    config = config or Config()
    base_analysis = analyze(base, config)
    head_analysis = analyze(head, config, previous=base_analysis)
    return compare(base_analysis, head_analysis, changes, config)


def compare(
    base: Analysis, head: Analysis, changes: Mapping[str, ChangedFile], config: Config
) -> Review:
    """Split head's findings into those the change is responsible for and the rest."""
    base_prints = {f.fingerprint for f in base.findings}
    reported: list[Finding] = []
    pre_existing: list[Finding] = []
    new: set[str] = set()
    for finding in head.findings:
        is_new = finding.fingerprint not in base_prints
        if is_new:
            new.add(finding.fingerprint)
        if is_new or _touches(finding, changes.get(finding.path)):
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
    )


def _touches(finding: Finding, change: ChangedFile | None) -> bool:
    if change is None:
        return False
    if change.whole_file_changed:
        return True
    return any(line in change.added_lines for line in range(finding.line, finding.last_line + 1))
