"""dependency/not-ready-gate: a dependsOn target Kustomization with neither wait nor healthChecks.

kustomize-controller marks a Kustomization ready when its last apply
succeeded; without ``wait: true`` or ``healthChecks`` that is when the API
server accepted the manifests, not when the workloads run. Only targets that
render something whose readiness means more than "applied"
(``WORKLOAD_KINDS``) are reported. Not concerned: HelmRelease dependents (a
HelmRelease is ready once Helm has waited for its resources), entries with a
``readyExpr`` (readiness is the user's CEL expression), ambiguous or implicit
targets and the bootstrap's generated files. Values set by a parent's
``spec.patches`` are already in the rendered object.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from checks.edits import add_spec_field_fix, in_own_document, replace_value_fix
from checks.findings import Finding, Severity, drop_repeats
from checks.model import KubeObject, bootstrap_generated
from checks.repo import Cluster
from checks.rules.base import Rule, RuleContext
from checks.rules.dependency._shared import dependencies, dependents, short_name

RULE = Rule(
    id="dependency/not-ready-gate",
    severity=Severity.WARNING,
    summary="A dependsOn target Kustomization with neither wait nor healthChecks",
    fixable=True,
    doc="""
        A Kustomization is ready when its last apply succeeded. Without
        `wait: true` or `healthChecks` that is the moment the manifests are
        accepted by the API server, not when its Deployments, HelmReleases or
        child Kustomizations are up; whoever depends on it starts too early.
        Reported on the dependency (once, naming its dependents) when it renders
        workloads; entries with a `readyExpr` and HelmRelease dependencies (ready
        only after Helm waited) are not concerned. Values set by a parent's
        `spec.patches` count.

        Fix: `wait: true` on the dependency.

        Failing:
            kind: Kustomization
            metadata: {name: infra-controllers}
            spec:
              path: ./infrastructure/controllers
            ---
            kind: Kustomization
            metadata: {name: apps}
            spec:
              dependsOn: [{name: infra-controllers}]

        Passing:
            kind: Kustomization
            metadata: {name: infra-controllers}
            spec:
              path: ./infrastructure/controllers
              wait: true
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    def findings() -> Iterator[Finding]:
        for cluster in ctx.model.clusters:
            waiting: dict[str, list[KubeObject]] = defaultdict(list)
            targets: dict[str, KubeObject] = {}
            renderers = _workload_renderers(cluster)
            for obj in dependents(cluster):
                if obj.kind != "Kustomization":
                    continue  # a HelmRelease is ready once Helm has waited for its resources
                for dep in dependencies(obj):
                    if dep.entry.get("readyExpr"):
                        continue  # readiness is the user's CEL expression
                    found = cluster.find(dep.kind, dep.namespace, dep.name)
                    if len(found) != 1 or found[0].implicit or bootstrap_generated(found[0].path):
                        continue
                    target = found[0]
                    if _gates(target) is False and target.id in renderers:
                        targets[target.id] = target
                        if obj not in waiting[target.id]:
                            waiting[target.id].append(obj)
            for target_id, target in targets.items():
                yield _not_ready_gate(ctx, target, waiting[target_id])

    return drop_repeats(findings())


# Kinds whose readiness means something beyond "applied": what `wait: true` waits for.
WORKLOAD_KINDS = frozenset(("Deployment", "StatefulSet", "DaemonSet", "Job", "HelmRelease", "Kustomization"))


def _gates(obj: KubeObject) -> bool | None:
    """True when readiness waits for workloads, False when it only means "applied", None if unknown."""
    wait = obj.get("spec", "wait")
    checks = obj.get("spec", "healthChecks")
    if wait is True or (isinstance(checks, list) and checks):
        return True
    if isinstance(wait, str) or isinstance(checks, str):
        return None  # a substituted value: decided at apply time
    return False


def _workload_renderers(cluster: Cluster) -> set[str]:
    """Kustomizations that render something whose readiness is more than "applied"."""
    return {o.rendered_by for o in cluster.objects if o.rendered_by and o.kind in WORKLOAD_KINDS}


def _not_ready_gate(ctx: RuleContext, target: KubeObject, waiters: list[KubeObject]) -> Finding:
    if "wait" in target.spec:
        pos = target.key_pos("spec", "wait")
        fix = replace_value_fix(ctx.model, pos, "wait", "true") if in_own_document(target, pos) else None
    else:
        pos = target.key_pos("spec") if "spec" in target.body else target.body.pos
        fix = add_spec_field_fix(ctx.model, target, "wait", "true")
    names = sorted({short_name(d, target) for d in waiters})
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return Finding(
        "dependency/not-ready-gate", Severity.WARNING, pos.path, pos.line,
        f"{target.id} is in the dependsOn of {shown}, but has neither `wait: true` nor `healthChecks`: "
        "it turns ready as soon as its manifests are applied, so its dependents start before its "
        "workloads run. Set `wait: true` (or list the objects that matter under `healthChecks`).",
        object=target.id, key="spec.wait", fix=fix,
    )
