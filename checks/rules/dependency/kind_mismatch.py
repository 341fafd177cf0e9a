"""dependency/kind-mismatch: a Kustomization's dependsOn names a HelmRelease, or the reverse.

``dependsOn`` has no kind field: kustomize-controller looks the entry up as a
Kustomization and helm-controller as a HelmRelease, so an entry naming an
object of the other kind waits for something that never exists. Reported
instead of dependency/missing-target, which stays quiet for these entries.
"""

from __future__ import annotations

from collections.abc import Iterator

from checks.findings import Finding, Severity
from checks.rules.base import Rule, RuleContext
from checks.rules.dependency._shared import (
    Hit,
    clusters_text,
    collect,
    dependencies,
    dependents,
    entry_pos,
    other_kind,
    shown,
)

RULE = Rule(
    id="dependency/kind-mismatch",
    severity=Severity.ERROR,
    summary="A Kustomization depends on a HelmRelease's name, or the reverse",
    doc="""
        `dependsOn` has no `kind`: a Kustomization's entries name Kustomizations
        and a HelmRelease's entries name HelmReleases. Naming an object of the
        other kind makes Flux wait for an object that never exists, so the
        dependent is never applied.

        Failing (podinfo is a HelmRelease):
            kind: Kustomization
            spec:
              dependsOn:
                - name: podinfo

        Passing (the Kustomization that renders the HelmRelease, with wait: true):
            kind: Kustomization
            spec:
              dependsOn:
                - name: apps-podinfo
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    hits: dict[tuple[str, int, str], Hit] = {}
    for cluster in ctx.model.clusters:
        for obj in dependents(cluster):
            for dep in dependencies(obj):
                if cluster.find(dep.kind, dep.namespace, dep.name):
                    continue
                others = shown(cluster, other_kind(dep.kind), dep.namespace, dep.name)
                if others:
                    collect(hits, obj, dep, cluster, others[0])
    for hit in hits.values():
        yield _kind_mismatch(ctx, hit)


def _kind_mismatch(ctx: RuleContext, hit: Hit) -> Finding:
    dep, obj, other = hit.dep, hit.obj, hit.detail
    pos = entry_pos(dep)
    where = clusters_text(ctx.model, hit.clusters)
    if dep.kind == "Kustomization":
        renderer = other.rendered_by
        advice = (f"Depend on the Kustomization that renders it ({renderer.split('/', 1)[1]}) with "
                  "`wait: true`, or list the HelmRelease under `healthChecks`."
                  if renderer and not renderer.endswith("/flux-system/flux-system")
                  else "Depend on the Kustomization that renders it, or list the HelmRelease under `healthChecks`.")
    else:
        advice = ("Move this dependsOn to the Kustomization that renders this HelmRelease, or depend on "
                  "the HelmReleases that Kustomization renders.")
    return Finding(
        "dependency/kind-mismatch", Severity.ERROR, pos.path, pos.line,
        f"{obj.id} depends on `{dep.display()}`, which is a {other.kind} ({other.id}){where}; a "
        f"{dep.kind}'s dependsOn only reaches {dep.kind}s, so Flux waits for a {dep.kind} that never "
        f"exists. {advice}",
        object=obj.id, key=f"dependsOn:{dep.namespace}/{dep.name}",
    )
