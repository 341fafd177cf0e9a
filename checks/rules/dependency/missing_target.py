"""dependency/missing-target: a dependsOn entry naming an object that does not exist.

Flux's controllers keep the dependent waiting ("dependency not found") and
never apply it. An entry without ``namespace`` means the dependent's own
namespace, so a target in another namespace is the usual cause; when exactly
one object of that kind and name exists elsewhere, the fix adds the
namespace. Two neighbours say it better and take precedence: a target of the
other kind is dependency/kind-mismatch, a target the change deleted is
dependency/deleted-target.
"""

from __future__ import annotations

from collections.abc import Iterator

from checks.edits import add_sibling_fix, in_own_document, replace_value_fix
from checks.findings import Finding, Fix, Severity
from checks.rules.base import Rule, RuleContext
from checks.rules.dependency._shared import (
    Dependency,
    Hit,
    base_cluster,
    clusters_text,
    collect,
    dependencies,
    dependents,
    entry_pos,
    other_kind,
    shown,
)

RULE = Rule(
    id="dependency/missing-target",
    severity=Severity.ERROR,
    summary="A dependsOn entry names an object that does not exist",
    fixable=True,
    doc="""
        A Kustomization or HelmRelease waits until every object in its
        `dependsOn` is ready. An entry naming nothing (a typo, a rename, or the
        wrong namespace: an entry without `namespace` means the dependent's own)
        keeps it waiting forever ("dependency not found"), and nothing it
        renders is applied. Resolved in each cluster that renders the dependent.

        Fix: when exactly one object of that kind and name exists in another
        namespace, add `namespace:` to the entry.

        Failing (infra lives in flux-system, apps in apps):
            kind: Kustomization
            metadata: {name: apps, namespace: apps}
            spec:
              dependsOn:
                - name: infra

        Passing:
            spec:
              dependsOn:
                - name: infra
                  namespace: flux-system
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    hits: dict[tuple[str, int, str], Hit] = {}
    for cluster in ctx.model.clusters:
        base = base_cluster(ctx, cluster.name)
        for obj in dependents(cluster):
            for dep in dependencies(obj):
                if cluster.find(dep.kind, dep.namespace, dep.name):
                    continue
                if shown(cluster, other_kind(dep.kind), dep.namespace, dep.name):
                    continue  # dependency/kind-mismatch says it better
                if base is not None and base.find(dep.kind, dep.namespace, dep.name):
                    continue  # deleted by the change: dependency/deleted-target says it better
                # An object without a namespace (a root applied by hand) is in no namespace to point at.
                elsewhere = sorted({o.namespace for o in cluster.named(dep.kind, dep.name) if o.namespace})
                collect(hits, obj, dep, cluster, elsewhere)
    for hit in hits.values():
        yield _missing_target(ctx, hit)


def _missing_target(ctx: RuleContext, hit: Hit) -> Finding:
    dep, obj = hit.dep, hit.obj
    pos = entry_pos(dep)
    where = clusters_text(ctx.model, hit.clusters)
    elsewhere: list[str] = hit.detail
    fix = None
    if len(elsewhere) == 1:
        advice = (f" A {dep.kind} named {dep.name} exists in namespace {elsewhere[0]}: "
                  f"add `namespace: {elsewhere[0]}` to the entry.")
        fix = _namespace_fix(ctx, dep, elsewhere[0])
    elif elsewhere:
        advice = (f" {dep.kind}s named {dep.name} exist in namespaces {', '.join(elsewhere)}: "
                  "add the right `namespace:` to the entry.")
    else:
        advice = " Fix the name, or remove the entry."
    return Finding(
        "dependency/missing-target", Severity.ERROR, pos.path, pos.line,
        f"{obj.id} depends on {dep.target_id}, which does not exist{where}; Flux waits for it "
        f"and never applies {obj.name}.{advice}",
        object=obj.id, key=f"dependsOn:{dep.namespace}/{dep.name}", fix=fix,
    )


def _namespace_fix(ctx: RuleContext, dep: Dependency, namespace: str) -> Fix | None:
    """Set the entry's ``namespace:`` (replace it, or add it beside ``name:``) when it is this file's to edit."""
    obj = dep.dependent
    if "namespace" in dep.entry:
        pos = obj.key_pos(*dep.path, "namespace")
        return replace_value_fix(ctx.model, pos, "namespace", namespace) if in_own_document(obj, pos) else None
    pos = obj.key_pos(*dep.path, "name")
    if not in_own_document(obj, pos):
        return None
    return add_sibling_fix(ctx.model, pos, "name", "namespace", namespace)
