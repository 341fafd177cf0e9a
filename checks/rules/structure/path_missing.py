"""structure/path-missing: a Kustomization's spec.path that is not a folder of this repository.

The model reports the missing path itself while it resolves each
Kustomization (``checks.repo``); this rule adds the fix: the one existing
folder a small typo away, written the way the path was.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

from checks.edits import line_text
from checks.findings import Finding, Fix, Severity
from checks.layout import nearest_folder
from checks.repo import RepoModel
from checks.rules.base import Rule, RuleContext
from checks.source import normalize

RULE = Rule(
    id="structure/path-missing",
    severity=Severity.ERROR,
    summary="A Kustomization's spec.path is not a folder of this repository",
    fixable=True,
    doc="""
        kustomize-controller fails with "no such file or directory" and nothing
        under that Kustomization is applied. Only checked for Kustomizations whose
        source is this repository.

        Failing:
            spec:
              path: ./apps/stagign

        Passing:
            spec:
              path: ./apps/staging
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    for problem in ctx.model.problems:
        if problem.rule == "structure/path-missing":
            yield _with_path_fix(ctx.model, problem)


_PATH_LINE = re.compile(
    r"^(?P<head>\s*(?:-\s+)?path:\s*)(?P<quote>[\"']?)(?P<value>[^\"'#\s]+)(?P=quote)(?P<tail>\s*(?:#.*)?)$")


def _with_path_fix(model: RepoModel, finding: Finding) -> Finding:
    """Offer the one existing folder a small typo away, written the way the path was."""
    match = _PATH_LINE.match(line_text(model, finding.path, finding.line) or "")
    if not match:
        return finding
    value = match["value"]
    folder = normalize(value)
    if not folder or model.snapshot.is_dir(folder):
        return finding
    suggestion = nearest_folder(folder, model.snapshot)
    if not suggestion:
        return finding
    lead = "./" if value.startswith("./") else "/" if value.startswith("/") else ""
    new_value = lead + suggestion + ("/" if value.endswith("/") else "")
    line = f"{match['head']}{match['quote']}{new_value}{match['quote']}{match['tail']}\n"
    return replace(finding, fix=Fix(finding.path, finding.line, finding.line, line))
