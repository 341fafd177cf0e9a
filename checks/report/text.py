"""Findings for people in a terminal: grouped by file, aligned, coloured on a TTY."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

from checks.findings import Finding, Severity, sort_key

_COLOURS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m"}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"


def render(findings: Sequence[Finding], stats: dict, colour: bool = False,
           new: set[str] | None = None) -> str:
    """The report text; ``new`` marks fingerprints a review found new."""
    lines: list[str] = []
    ordered = sorted(findings, key=sort_key)
    rule_width = max((len(f.rule) for f in ordered), default=0)
    for path, group in groupby(ordered, key=lambda f: f.path):
        lines.append(f"{_BOLD}{path}{_RESET}" if colour else path)
        for finding in group:
            where = f"{finding.line}"
            severity = f"{finding.severity!s:<7}"
            if colour:
                severity = f"{_COLOURS[finding.severity]}{severity}{_RESET}"
            rule = f"{finding.rule:<{rule_width}}"
            if colour:
                rule = f"{_DIM}{rule}{_RESET}"
            mark = "" if new is None else ("new  " if finding.fingerprint in new else "     ")
            lines.append(f"  {where:>5}  {mark}{severity}  {rule}  {finding.message}")
    if lines:
        lines.append("")
    lines.append(summary_line(ordered, stats))
    return "\n".join(lines) + "\n"


def summary_line(findings: Sequence[Finding], stats: dict) -> str:
    counts = {s: sum(1 for f in findings if f.severity == s) for s in Severity}
    total = len(findings)
    fixes = sum(1 for f in findings if f.fix)
    parts = [f"{counts[s]} {s}{'s' if counts[s] != 1 else ''}" for s in (Severity.ERROR, Severity.WARNING,
                                                                           Severity.INFO) if counts[s]]
    head = (f"{total} problem{'s' if total != 1 else ''} ({', '.join(parts)})" if total
            else "No problems")
    files = stats.get("files", 0)
    tail = f" in {files} file{'s' if files != 1 else ''}, {stats.get('seconds', 0):.2f} s."
    hints = []
    if total:
        hints.append("`flux-review explain RULE` for details")
    if fixes:
        hints.append(f"`--fix` to apply {fixes} fix{'es' if fixes != 1 else ''}")
    return head + tail + (" " + ", ".join(hints) + "." if hints else "")
