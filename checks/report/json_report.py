"""The JSON contract (version 1) that tools and tests depend on."""

from __future__ import annotations

import json
from collections.abc import Sequence

from checks.findings import Finding, sort_key

VERSION = 1


def render(findings: Sequence[Finding], stats: dict, new: set[str] | None = None) -> str:
    """``{"version": 1, "findings": [...], "stats": {...}}``; ``new`` adds ``"new"`` per finding."""
    items = []
    for finding in sorted(findings, key=sort_key):
        item = finding.to_dict()
        if new is not None:
            item["new"] = finding.fingerprint in new
        items.append(item)
    counts = {"error": 0, "warning": 0, "info": 0}
    for finding in findings:
        counts[str(finding.severity)] += 1
    return json.dumps({"version": VERSION, "findings": items, "stats": {**stats, **counts}}, indent=2) + "\n"
