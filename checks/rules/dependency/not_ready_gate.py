"""dependency/not-ready-gate: a dependsOn target Kustomization with neither wait nor healthChecks.

kustomize-controller marks a Kustomization ready when its last apply
succeeded; without ``wait: true`` or ``healthChecks`` that is when the API
server accepted the manifests, not when the workloads run. Only targets that
render something whose readiness means more than "applied" are reported:
workloads (``WORKLOAD_KINDS``) and custom resources whose controllers report a
``Ready`` condition that kstatus, kustomize-controller's health assessment,
reads (``READY_CONDITION_KINDS``). ConfigMaps, Secrets, RBAC and Namespaces
are ready once applied, and kstatus takes a custom resource without conditions
as current at once: a target rendering only those gives ``wait`` nothing to
wait for. Flux sources are left out too: a HelmRelease whose chart is not ready
yet waits for it by itself (helm-controller requeues it). ``healthCheckExprs``
do not gate: kustomize-controller runs no health check without ``wait`` or
``healthChecks``. Not concerned: HelmRelease dependents (a HelmRelease is ready
once Helm has waited for its resources), entries with a ``readyExpr``
(readiness is the user's CEL expression), ambiguous or implicit targets and the
bootstrap's generated files. Values set by a parent's ``spec.patches`` are
already in the rendered object.
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
        child Kustomizations are up, or its custom resources report `Ready`;
        whoever depends on it starts too early. Reported on the dependency
        (once, naming its dependents) when it renders workloads, or custom
        resources whose controllers report a `Ready` condition that Flux's
        health assessment (kstatus) reads: cert-manager Certificates and
        (Cluster)Issuers, CloudNativePG Clusters, External Secrets
        (Cluster)ExternalSecrets and (Cluster)SecretStores, Kyverno
        (Cluster)Policies. A dependency that renders only configuration
        (ConfigMaps, Secrets, RBAC, Namespaces) or custom resources without
        such a status is not reported: `wait` would not wait for anything.
        `healthCheckExprs` alone are no gate: they say how to judge custom
        resources, but kustomize-controller runs a health check only with
        `wait: true` or `healthChecks`. Entries with a `readyExpr` and
        HelmRelease dependencies (ready only after Helm waited) are not
        concerned. Values set by a parent's `spec.patches` count.

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
            renderers = _readiness_renderers(cluster)
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
                yield _not_ready_gate(ctx, target, waiting[target_id], renderers[target_id])

    return drop_repeats(findings())


# Kinds whose readiness means something beyond "applied": what `wait: true` waits for.
WORKLOAD_KINDS = frozenset(("Deployment", "StatefulSet", "DaemonSet", "Job", "HelmRelease", "Kustomization"))

# Custom resources (API group, kind) whose controllers report a `Ready` condition. kstatus reads
# it for kinds without Reconciling/Stalled conditions or a rule of their own: Ready=False or
# Unknown is in progress, so `wait: true` holds the dependents until it turns True. An unknown
# custom resource without conditions is current at once: nothing to wait for, so not listed.
READY_CONDITION_KINDS = frozenset((
    ("cert-manager.io", "Certificate"),
    ("cert-manager.io", "Issuer"),
    ("cert-manager.io", "ClusterIssuer"),
    ("postgresql.cnpg.io", "Cluster"),
    ("external-secrets.io", "ExternalSecret"),
    ("external-secrets.io", "ClusterExternalSecret"),
    ("external-secrets.io", "SecretStore"),
    ("external-secrets.io", "ClusterSecretStore"),
    ("kyverno.io", "ClusterPolicy"),
    ("kyverno.io", "Policy"),
))


def _gates(obj: KubeObject) -> bool | None:
    """True when readiness waits for workloads, False when it only means "applied", None if unknown."""
    wait = obj.get("spec", "wait")
    checks = obj.get("spec", "healthChecks")
    if wait is True or (isinstance(checks, list) and checks):
        return True
    if isinstance(wait, str) or isinstance(checks, str):
        return None  # a substituted value: decided at apply time
    return False


def _readiness_renderers(cluster: Cluster) -> dict[str, list[str]]:
    """Kustomizations that render something whose readiness is more than "applied", with the
    kinds of custom resources that make it so (empty when it renders workloads)."""
    found: dict[str, list[str]] = {}
    for obj in cluster.objects:
        if not obj.rendered_by:
            continue
        if obj.kind in WORKLOAD_KINDS:
            found[obj.rendered_by] = []
        elif (obj.group, obj.kind) in READY_CONDITION_KINDS:
            kinds = found.setdefault(obj.rendered_by, [obj.kind])
            if kinds and obj.kind not in kinds:
                kinds.append(obj.kind)
    return found


def _not_ready_gate(ctx: RuleContext, target: KubeObject, waiters: list[KubeObject],
                    ready_kinds: list[str]) -> Finding:
    if "wait" in target.spec:
        pos = target.key_pos("spec", "wait")
        fix = replace_value_fix(ctx.model, pos, "wait", "true") if in_own_document(target, pos) else None
    else:
        pos = target.key_pos("spec") if "spec" in target.body else target.body.pos
        fix = add_spec_field_fix(ctx.model, target, "wait", "true")
    names = sorted({short_name(d, target) for d in waiters})
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    awaited = f"{_spoken(sorted(ready_kinds))} objects report Ready" if ready_kinds else "workloads run"
    return Finding(
        "dependency/not-ready-gate", Severity.WARNING, pos.path, pos.line,
        f"{target.id} is in the dependsOn of {shown}, but has neither `wait: true` nor `healthChecks`: "
        f"it turns ready as soon as its manifests are applied, so its dependents start before its "
        f"{awaited}. Set `wait: true` (or list the objects that matter under `healthChecks`){_exprs_note(target)}.",
        object=target.id, key="spec.wait", fix=fix,
    )


def _exprs_note(target: KubeObject) -> str:
    """``healthCheckExprs`` without ``wait`` or ``healthChecks`` look like a gate and are none:
    kustomize-controller runs no health check at all then, so the expressions are never read."""
    exprs = target.get("spec", "healthCheckExprs")
    if not isinstance(exprs, list) or not exprs:
        return ""
    return "; its `healthCheckExprs` only say how to judge the objects a health check looks at, and without " \
           "`wait` or `healthChecks` there is none"


def _spoken(words: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``: kinds named in a sentence."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"
