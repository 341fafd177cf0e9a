"""structure/forgotten-suspend: a Flux object with ``spec.suspend: true`` and no reason recorded.

A suspended object is not reconciled until someone resumes it. A comment on
the ``suspend:`` line or the line above, or an annotation whose key mentions
a suspend or a reason, records why; only a suspend without one is reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from checks.findings import Finding, Severity
from checks.model import KubeObject
from checks.repo import RepoModel
from checks.rules.base import Rule, RuleContext
from checks.rules.structure._shared import commented
from checks.yaml_docs import Pos

RULE = Rule(
    id="structure/forgotten-suspend",
    severity=Severity.WARNING,
    summary="suspend: true with no reason recorded",
    doc="""
        A suspended Flux object is not reconciled: Git changes stop reaching the
        cluster and drift is not corrected. Suspending is a fine temporary measure;
        forgetting to resume is the problem. Record why (a comment on the
        `suspend:` line or the line above, a comment at the top of the object's
        document that speaks of suspending it, or an annotation whose key
        mentions the reason) so the next reader knows whether it is still needed.

        Failing:
            spec:
              suspend: true

        Passing:
            spec:
              suspend: true  # upstream chart 4.2 breaks ingress; resume after #1234
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    seen: set[tuple[str, int]] = set()
    for obj in ctx.model.applied_objects():
        if not obj.is_flux or obj.get("spec", "suspend") is not True:
            continue
        pos = obj.key_pos("spec", "suspend")
        if (pos.path, pos.line) in seen or _reason_recorded(ctx.model, obj, pos):
            continue
        seen.add((pos.path, pos.line))
        yield Finding(
            "structure/forgotten-suspend", Severity.WARNING, pos.path, pos.line,
            f"{obj.id} has `spec.suspend: true` and no recorded reason: Flux stops reconciling it until "
            f"someone resumes it, and nothing tells the next reader why. Say why (and until when) in a "
            f"comment on that line, or remove `suspend: true`.",
            object=obj.id, key="spec.suspend")


_REASON_KEY = re.compile(r"suspend|reason", re.I)


def _reason_recorded(model: RepoModel, obj: KubeObject, pos: Pos) -> bool:
    if any(_REASON_KEY.search(str(key)) for key in obj.annotations()):
        return True
    return commented(model, pos) or _explained_in_header(model, obj)


def _explained_in_header(model: RepoModel, obj: KubeObject) -> bool:
    """A comment block at the top of the object's document that speaks of suspending it (an opt-in
    Kustomization explained in the file's header, say) records the reason too."""
    loaded = model.files.get(obj.path)
    if loaded is None:
        return False
    start = max(obj.line - 1, 0)
    header: list[str] = []
    for line in reversed(loaded.lines[:start]):
        stripped = line.strip()
        if stripped.startswith("#"):
            header.append(stripped)
        elif stripped and stripped != "---":
            break
    return any("suspend" in line.lower() for line in header)
