"""dependency/missing-crd-order: custom resources applied by a Kustomization that does not wait for their CRDs.

On a fresh cluster the API server refuses objects of a kind whose
CustomResourceDefinition is not installed yet ("no matches for kind"), so the
Kustomization applying them must come after the one installing the CRDs:
through ``dependsOn``, directly or transitively, or by being rendered by it
(a child is created only after its parent applied). Only reported when
exactly one Kustomization of the cluster renders the group's CRDs; Flux's
own groups never need an order, since nothing reconciles before Flux's CRDs
exist.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from checks.edits import add_spec_field_fix, in_own_document, line_text
from checks.findings import Finding, Fix, Severity, drop_repeats
from checks.model import FLUX_KINDS, KubeObject
from checks.repo import Cluster
from checks.rules.base import Rule, RuleContext
from checks.rules.dependency._shared import dependencies, short_name

RULE = Rule(
    id="dependency/missing-crd-order",
    severity=Severity.WARNING,
    summary="Custom resources applied by a Kustomization that does not wait for their CRDs",
    fixable=True,
    doc="""
        When a Kustomization applies objects of an API group whose
        CustomResourceDefinitions another Kustomization of the same cluster
        installs, it must come after it (`dependsOn`, directly or through its
        parents); otherwise a fresh cluster fails with "no matches for kind"
        until the CRDs happen to exist. Only reported when the repository itself
        shows, for sure, which one Kustomization renders that group's CRDs;
        CRDs installed outside the repository or by several places are never
        guessed at.

        Fix: `dependsOn: [{name: <provider>}]`.

        Failing:
            kind: Kustomization
            metadata: {name: issuers}      # renders cert-manager.io ClusterIssuers
            spec:
              path: ./infrastructure/issuers
            ---
            kind: Kustomization
            metadata: {name: cert-manager-crds}  # renders the cert-manager CRDs
            spec:
              path: ./infrastructure/cert-manager

        Passing:
            kind: Kustomization
            metadata: {name: issuers}
            spec:
              dependsOn: [{name: cert-manager-crds}]
              path: ./infrastructure/issuers
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    def findings() -> Iterator[Finding]:
        for cluster in ctx.model.clusters:
            providers = _crd_providers(cluster)
            if not providers:
                continue
            used: dict[tuple[str, str], set[str]] = defaultdict(set)
            for obj in cluster.objects:
                if obj.implicit or obj.rendered_by is None or obj.kind == "CustomResourceDefinition":
                    continue
                if obj.group in providers and len(providers[obj.group]) == 1:
                    used[(obj.rendered_by, obj.group)].add(obj.kind)
            order = _Order(cluster)
            kustomizations = order.kustomizations
            for (consumer_id, group), kinds in sorted(used.items()):
                provider_id = next(iter(providers[group]))
                consumer = kustomizations.get(consumer_id)
                if consumer is None or consumer.implicit or consumer_id == provider_id:
                    continue
                if provider_id in order.before(consumer_id):
                    continue
                provider = kustomizations.get(provider_id)
                if provider is None:
                    continue
                yield _missing_crd_order(ctx, consumer, provider, group, kinds)

    return drop_repeats(findings())


CRD_GROUP = "apiextensions.k8s.io"
# Flux cannot reconcile anything before its own CRDs exist, so no order is needed for them.
FLUX_GROUPS = frozenset(FLUX_KINDS.values())


def _crd_providers(cluster: Cluster) -> dict[str, set[str]]:
    """API group -> the Kustomizations that render that group's CustomResourceDefinitions."""
    providers: dict[str, set[str]] = defaultdict(set)
    for obj in cluster.objects:
        if obj.kind != "CustomResourceDefinition" or obj.group != CRD_GROUP or obj.implicit:
            continue
        group = obj.get("spec", "group")
        if (isinstance(group, str) and group and "${" not in group and group not in FLUX_GROUPS
                and obj.rendered_by):
            providers[group].add(obj.rendered_by)
    return providers


class _Order:
    """Which Kustomizations of a cluster are applied before which: dependsOn and render parents."""

    def __init__(self, cluster: Cluster) -> None:
        self.parents: dict[str, str] = {}
        for parent, node in cluster.renders.items():
            for child in node.children:
                self.parents.setdefault(child, parent)
        self.kustomizations = {o.id: o for o in cluster.objects if o.kind == "Kustomization" and o.is_flux}

    def before(self, start: str) -> set[str]:
        """Everything ``start`` waits for or is created by, transitively."""
        seen: set[str] = set()
        queue = [start]
        while queue:
            current = queue.pop()
            obj = self.kustomizations.get(current)
            following = [d.target_id for d in dependencies(obj)] if obj is not None else []
            if current in self.parents:
                following.append(self.parents[current])
            for node in following:
                if node not in seen:
                    seen.add(node)
                    queue.append(node)
        return seen


def _missing_crd_order(ctx: RuleContext, consumer: KubeObject, provider: KubeObject, group: str,
                       kinds: set[str]) -> Finding:
    name = short_name(provider, consumer)
    if "dependsOn" in consumer.spec:
        pos = consumer.key_pos("spec", "dependsOn")
    else:
        pos = consumer.key_pos("spec") if "spec" in consumer.body else consumer.body.pos
    fix = _depends_on_fix(ctx, consumer, provider)
    listed = ", ".join(sorted(kinds))
    return Finding(
        "dependency/missing-crd-order", Severity.WARNING, pos.path, pos.line,
        f"{consumer.id} applies {listed} ({group}), whose CustomResourceDefinitions {provider.id} "
        f"installs, but does not depend on it: on a fresh cluster the apply fails (\"no matches for "
        f"kind\") until {provider.name} has run. Add `dependsOn: [{{name: {name}}}]`.",
        object=consumer.id, key=f"crd:{group}", fix=fix,
    )


def _depends_on_fix(ctx: RuleContext, consumer: KubeObject, provider: KubeObject) -> Fix | None:
    """Add the provider to the consumer's dependsOn: a new flow list, or an entry above a block list's first."""
    namespace = "" if provider.namespace == consumer.namespace else f", namespace: {provider.namespace}"
    entries = consumer.get("spec", "dependsOn")
    if entries is None:
        return add_spec_field_fix(ctx.model, consumer, "dependsOn", f"[{{name: {provider.name}{namespace}}}]")
    if not isinstance(entries, list) or not entries:
        return None
    first = consumer.key_pos("spec", "dependsOn", 0, "name") if isinstance(entries[0], dict) else None
    if first is None or not in_own_document(consumer, first):
        return None
    line = line_text(ctx.model, first.path, first.line) or ""
    stripped = line.lstrip()
    if not stripped.startswith("- name:"):
        return None
    indent = line[: len(line) - len(stripped)]
    extra = f"\n{indent}  namespace: {provider.namespace}" if namespace else ""
    return Fix(first.path, first.line, first.line, f"{indent}- name: {provider.name}{extra}\n{line}\n")
