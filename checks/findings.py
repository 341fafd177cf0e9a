"""What a rule reports: a finding at a place, with an optional fix.

Findings are plain frozen data. Renderers (text, JSON, SARIF, Markdown) and
the bot's publisher read them; nothing here knows about output formats.
The fingerprint identifies the *problem*, not the line it sits on, so the
same problem is recognised across pushes and unrelated edits.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace


class Severity(enum.IntEnum):
    """Finding severities, ordered so that ``>=`` compares seriousness."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r}: expected error, warning or info") from None

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Fix:
    """Replace lines ``start_line..end_line`` (1-based, inclusive) of ``path``.

    ``replacement`` is the new text of those lines, newline-terminated, or
    ``""`` to delete them. This is exactly what a ```suggestion block holds.
    """

    path: str
    start_line: int
    end_line: int
    replacement: str

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "start_line": self.start_line,
            "end_line": self.end_line,
            "replacement": self.replacement,
        }


@dataclass(frozen=True)
class Finding:
    """One problem: which rule, how serious, where, about which object, and how to fix it.

    ``key`` is what makes the problem unique within its rule and object (a
    field path, a dependency name); with the rule and the object it forms the
    fingerprint. Findings without an object use ``anchor`` (for example a
    cluster, for cluster-wide findings) and else the file path.
    """

    rule: str
    severity: Severity
    path: str
    line: int
    message: str
    end_line: int | None = None
    object: str | None = None
    fix: Fix | None = None
    key: str = ""
    anchor: str = ""

    @property
    def last_line(self) -> int:
        return self.end_line if self.end_line is not None else self.line

    @property
    def fingerprint(self) -> str:
        anchor = self.object or self.anchor or self.path
        # surrogateescape: a file name that is not UTF-8 still has a fingerprint (from its bytes).
        digest = hashlib.sha256(f"{self.rule}\0{anchor}\0{self.key}".encode("utf-8", "surrogateescape")).hexdigest()
        return digest[:16]

    def with_severity(self, severity: Severity) -> Finding:
        return replace(self, severity=severity)

    def to_dict(self) -> dict[str, object]:
        """The stable JSON contract (version 1)."""
        return {
            "rule": self.rule,
            "severity": str(self.severity),
            "path": self.path,
            "line": self.line,
            "end_line": self.last_line,
            "message": self.message,
            "object": self.object,
            "fix": self.fix.to_dict() if self.fix else None,
            "fingerprint": self.fingerprint,
        }


def counted(number: int, word: str, plural: str | None = None) -> str:
    """``1 object``, ``3 objects``: a count with its noun in the right number, so messages never read "1 files".

    ``plural`` is for nouns that do not take an ``s`` (``Kustomizations`` does, ``entries`` is given).
    """
    return f"{number} {word if number == 1 else plural or word + 's'}"


def sort_key(finding: Finding) -> tuple[str, int, str, str]:
    """Order findings by file, line, rule and message for stable output."""
    return (finding.path, finding.line, finding.rule, finding.message)


def drop_repeats(findings: Iterable[Finding]) -> Iterator[Finding]:
    """Drop repeats of a finding on the same line (a file rendered into several clusters)."""
    seen: set[tuple[str, str, int, str]] = set()
    for finding in findings:
        mark = (finding.rule, finding.path, finding.line, finding.key)
        if mark not in seen:
            seen.add(mark)
            yield finding


def merge_repeats(findings: Iterable[Finding], verb: str = "renders") -> Iterator[Finding]:
    """One finding per written line, naming the other objects it renders as (or ``verb``: a template creates).

    A component rendered into many namespaces is one thing to fix, reported once.
    """
    groups: dict[tuple[str, str, int, str], list[Finding]] = {}
    for finding in findings:
        groups.setdefault((finding.rule, finding.path, finding.line, finding.key), []).append(finding)
    for group in groups.values():
        first = group[0]
        others = sorted({f.object for f in group[1:] if f.object and f.object != first.object})
        if others:
            shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
            first = replace(first, message=f"{first.message} The same line also {verb} {shown}.")
        yield first
