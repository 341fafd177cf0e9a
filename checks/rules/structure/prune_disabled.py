"""structure/prune-disabled: a Kustomization with ``prune: false``, so objects removed from Git stay.

A Kustomization that renders CustomResourceDefinitions or Namespaces keeps them
on purpose (deleting one deletes every object of that kind, or in it), and
one whose content is not in the repository cannot be judged: neither is
reported, nor is a ``prune: false`` with a comment saying why. The fix sets
``prune: true`` on the line as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from checks.edits import line_text
from checks.findings import Finding, Fix, Severity
from checks.repo import RepoModel
from checks.rules.base import Rule, RuleContext
from checks.rules.structure._shared import commented, effective_kustomization
from checks.yaml_docs import Pos

RULE = Rule(
    id="structure/prune-disabled",
    severity=Severity.WARNING,
    summary="A Kustomization with prune: false",
    fixable=True,
    doc="""
        With `prune: false`, objects removed from Git stay in the cluster,
        unmanaged and invisible in the repository. The exception is a
        Kustomization that renders CustomResourceDefinitions: deleting a CRD
        deletes every custom resource of that kind, so keeping them is
        deliberate, and it is not reported. Kustomizations whose content is not
        in the repository (external sources) are not reported either.

        Failing:
            spec:
              prune: false

        Passing:
            spec:
              prune: true
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    model = ctx.model
    seen: set[tuple[str, int]] = set()
    for cluster in model.clusters:
        for ks_id, node in cluster.renders.items():
            ks = effective_kustomization(cluster, ks_id)
            if ks is None or ks.implicit or not ks.is_flux or ks.get("spec", "prune") is not False:
                continue
            if node.build is None or _renders_cascading_kinds(node.build):
                continue  # content unknown (external, missing path), or kept on purpose
            pos = ks.pos("spec", "prune")
            if (pos.path, pos.line) in seen or commented(model, pos):
                continue
            seen.add((pos.path, pos.line))
            yield Finding(
                "structure/prune-disabled", Severity.WARNING, pos.path, pos.line,
                f"{ks.id} has `prune: false`: objects removed from Git stay in the cluster, unmanaged, "
                f"until someone deletes them by hand. Set `prune: true` (keep `prune: false` only for a "
                f"Kustomization that installs CRDs).",
                object=ks.id, key="spec.prune", fix=_prune_fix(model, pos))


_PRUNE_LINE = re.compile(r"^(?P<head>\s*(?:-\s+)?prune:\s*)(?P<value>false|False|FALSE)(?P<tail>\s*(?:#.*)?)$")


def _renders_cascading_kinds(build: Any) -> bool:
    """CRDs and Namespaces: deleting one deletes everything of that kind or in it, so
    a Kustomization that renders them keeps them on purpose."""
    if any(o.body.get("kind") in ("CustomResourceDefinition", "Namespace") for o in build.objects):
        return True
    return any("crd" in remote.url.lower() for remote in build.remote)


def _prune_fix(model: RepoModel, pos: Pos) -> Fix | None:
    match = _PRUNE_LINE.match(line_text(model, pos.path, pos.line) or "")
    if not match:
        return None
    return Fix(pos.path, pos.line, pos.line, f"{match['head']}true{match['tail']}\n")
