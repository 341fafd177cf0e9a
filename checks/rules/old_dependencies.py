"""Rules of the `dependency` group: what waits for what, and whether it ever can.

Flux's ``dependsOn`` only reaches objects of the dependent's own kind
(Kustomizations wait for Kustomizations, HelmReleases for HelmReleases); a
missing namespace means the dependent's own. Every reference is resolved in
the cluster that renders the dependent, after patches; objects no cluster
renders are not checked here, because what exists beside them is unknown.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import networkx as nx

from checks.edits import add_sibling_fix, add_spec_field_fix, in_own_document, line_text, replace_value_fix
from checks.findings import Finding, Fix, Severity, drop_repeats
from checks.model import FLUX_KINDS, KubeObject, bootstrap_generated, field_path, object_id
from checks.repo import Cluster, RepoModel
from checks.rules.base import Rule, RuleContext
from checks.yaml_docs import Pos

DEPENDS_ON_KINDS = ("Kustomization", "HelmRelease")
MAX_CYCLES = 100
# Kinds whose readiness means something beyond "applied": what `wait: true` waits for.
WORKLOAD_KINDS = frozenset(("Deployment", "StatefulSet", "DaemonSet", "Job", "HelmRelease", "Kustomization"))
CRD_GROUP = "apiextensions.k8s.io"
# Flux cannot reconcile anything before its own CRDs exist, so no order is needed for them.
FLUX_GROUPS = frozenset(FLUX_KINDS.values())


# -- reading dependsOn ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Dependency:
    """One ``dependsOn`` entry, resolved the way Flux resolves it."""

    dependent: KubeObject
    index: int
    name: str
    namespace: str
    entry: dict[str, Any]

    @property
    def kind(self) -> str:
        # dependsOn has no kind field: Flux looks up the dependent's own kind.
        return self.dependent.kind

    @property
    def target_id(self) -> str:
        return object_id(self.kind, self.namespace, self.name)

    @property
    def path(self) -> tuple[str | int, ...]:
        return ("spec", "dependsOn", self.index)

    def display(self) -> str:
        """The target as a user wrote it: ``name``, or ``namespace/name`` across namespaces."""
        return self.name if self.namespace == self.dependent.namespace else f"{self.namespace}/{self.name}"


def dependencies(obj: KubeObject) -> list[Dependency]:
    """The literal dependsOn entries of a Flux Kustomization or HelmRelease."""
    if not obj.is_flux or obj.kind not in DEPENDS_ON_KINDS or obj.implicit:
        return []
    entries = obj.get("spec", "dependsOn")
    if not isinstance(entries, list):
        return []
    found = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
            continue
        namespace = entry.get("namespace") or obj.namespace or ""
        if "${" in entry["name"] or "${" in str(namespace):
            continue
        found.append(Dependency(obj, index, entry["name"], str(namespace), entry))
    return found


def _dependents(cluster: Cluster) -> Iterator[KubeObject]:
    for obj in cluster.objects:
        if obj.is_flux and obj.kind in DEPENDS_ON_KINDS and not obj.implicit:
            yield obj


def _entry_pos(dep: Dependency) -> Pos:
    """The line of the entry's ``name:``, where a user edits the dependency."""
    return dep.dependent.key_pos(*dep.path, "name")


def _other_kind(kind: str) -> str:
    return "HelmRelease" if kind == "Kustomization" else "Kustomization"


def _base_cluster(ctx: RuleContext, name: str) -> Cluster | None:
    if ctx.previous is None:
        return None
    return next((c for c in ctx.previous.clusters if c.name == name), None)


def _clusters_text(model: RepoModel, names: list[str]) -> str:
    if len(model.clusters) <= 1:
        return ""
    label = "cluster" if len(names) == 1 else "clusters"
    return f" in {label} {', '.join(sorted(names))}"


@dataclass
class _Hit:
    """A problem seen on one line, possibly in several clusters."""

    obj: KubeObject
    dep: Dependency
    clusters: list[str]
    detail: Any = None


def _collect(hits: dict[tuple[str, int, str], _Hit], obj: KubeObject, dep: Dependency, cluster: Cluster,
             detail: Any = None) -> None:
    pos = _entry_pos(dep)
    mark = (pos.path, pos.line, dep.target_id)
    if mark in hits:
        if cluster.name not in hits[mark].clusters:
            hits[mark].clusters.append(cluster.name)
    else:
        hits[mark] = _Hit(obj, dep, [cluster.name], detail)


# -- dependency/missing-target ----------------------------------------------------------------------

def check_missing_target(ctx: RuleContext) -> Iterator[Finding]:
    hits: dict[tuple[str, int, str], _Hit] = {}
    for cluster in ctx.model.clusters:
        base = _base_cluster(ctx, cluster.name)
        for obj in _dependents(cluster):
            for dep in dependencies(obj):
                if cluster.find(dep.kind, dep.namespace, dep.name):
                    continue
                if cluster.find(_other_kind(dep.kind), dep.namespace, dep.name):
                    continue  # dependency/kind-mismatch says it better
                if base is not None and base.find(dep.kind, dep.namespace, dep.name):
                    continue  # deleted by the change: dependency/deleted-target says it better
                elsewhere = sorted({o.namespace or "" for o in cluster.named(dep.kind, dep.name)})
                _collect(hits, obj, dep, cluster, elsewhere)
    for hit in hits.values():
        yield _missing_target(ctx, hit)


def _missing_target(ctx: RuleContext, hit: _Hit) -> Finding:
    dep, obj = hit.dep, hit.obj
    pos = _entry_pos(dep)
    where = _clusters_text(ctx.model, hit.clusters)
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
    obj = dep.dependent
    if "namespace" in dep.entry:
        pos = obj.key_pos(*dep.path, "namespace")
        return replace_value_fix(ctx.model, pos, "namespace", namespace) if in_own_document(obj, pos) else None
    pos = obj.key_pos(*dep.path, "name")
    if not in_own_document(obj, pos):
        return None
    return add_sibling_fix(ctx.model, pos, "name", "namespace", namespace)


MISSING_TARGET = Rule(
    id="dependency/missing-target",
    severity=Severity.ERROR,
    summary="A dependsOn entry names an object that does not exist",
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
    check=check_missing_target,
    fixable=True,
)


# -- dependency/kind-mismatch -----------------------------------------------------------------------

def check_kind_mismatch(ctx: RuleContext) -> Iterator[Finding]:
    hits: dict[tuple[str, int, str], _Hit] = {}
    for cluster in ctx.model.clusters:
        for obj in _dependents(cluster):
            for dep in dependencies(obj):
                if cluster.find(dep.kind, dep.namespace, dep.name):
                    continue
                others = cluster.find(_other_kind(dep.kind), dep.namespace, dep.name)
                if others:
                    _collect(hits, obj, dep, cluster, others[0])
    for hit in hits.values():
        yield _kind_mismatch(ctx, hit)


def _kind_mismatch(ctx: RuleContext, hit: _Hit) -> Finding:
    dep, obj, other = hit.dep, hit.obj, hit.detail
    pos = _entry_pos(dep)
    where = _clusters_text(ctx.model, hit.clusters)
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


KIND_MISMATCH = Rule(
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
    check=check_kind_mismatch,
)


# -- dependency/cycle -------------------------------------------------------------------------------

def _depends_graph(cluster: Cluster) -> tuple[nx.DiGraph, dict[str, KubeObject]]:
    """Edges from dependency to dependent, between objects that exist in the cluster."""
    graph = nx.DiGraph()
    objects: dict[str, KubeObject] = {}
    for obj in _dependents(cluster):
        objects.setdefault(obj.id, obj)
        graph.add_node(obj.id)
    for obj in _dependents(cluster):
        for dep in dependencies(obj):
            if dep.target_id in objects:
                graph.add_edge(dep.target_id, obj.id)
    return graph, objects


def check_cycle(ctx: RuleContext) -> Iterator[Finding]:
    def findings() -> Iterator[Finding]:
        for cluster in ctx.model.clusters:
            graph, objects = _depends_graph(cluster)
            for count, cycle in enumerate(nx.simple_cycles(graph)):
                if count >= MAX_CYCLES:
                    break
                yield from _cycle_findings(cycle, objects)

    return drop_repeats(findings())


def _cycle_findings(cycle: list[str], objects: dict[str, KubeObject]) -> Iterator[Finding]:
    members = sorted(cycle)
    for position, member_id in enumerate(cycle):
        obj = objects[member_id]
        target_id = cycle[position - 1]  # the member this one depends on
        dep = next((d for d in dependencies(obj) if d.target_id == target_id), None)
        if dep is None:
            continue
        pos = _entry_pos(dep)
        if len(cycle) == 1:
            message = (f"{obj.id} depends on itself, so Flux never applies it. Remove this dependsOn entry.")
        else:
            # Follow "depends on" from this member round the cycle back to it.
            chain = [cycle[(position - step) % len(cycle)] for step in range(len(cycle) + 1)]
            names = [_short(objects[node], obj) for node in chain[1:]]
            message = (f"{obj.id} -> {' -> '.join(names)}: a dependsOn cycle; Flux applies none of "
                       f"{', '.join(_short(objects[m], obj) for m in members)}. Remove one of these entries.")
        yield Finding(
            "dependency/cycle", Severity.ERROR, pos.path, pos.line, message,
            object=obj.id, key="cycle:" + ",".join(members),
        )


def _short(obj: KubeObject, beside: KubeObject) -> str:
    return obj.name if obj.namespace == beside.namespace else f"{obj.namespace}/{obj.name}"


CYCLE = Rule(
    id="dependency/cycle",
    severity=Severity.ERROR,
    summary="A dependsOn cycle (self-dependency included): Flux applies no member",
    doc="""
        Each member of a dependsOn cycle waits for another member to become
        ready first, so none is ever applied, and everything that depends on
        them waits too. Reported on every member's dependsOn entry that closes
        the cycle, naming the whole loop.

        Failing:
            kind: Kustomization
            metadata: {name: monitoring}
            spec:
              dependsOn: [{name: databases}]
            ---
            kind: Kustomization
            metadata: {name: databases}
            spec:
              dependsOn: [{name: monitoring}]

        Passing: remove one of the two entries (usually the one added last).
    """,
    check=check_cycle,
)


# -- dependency/not-ready-gate ----------------------------------------------------------------------

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


def check_not_ready_gate(ctx: RuleContext) -> Iterator[Finding]:
    def findings() -> Iterator[Finding]:
        for cluster in ctx.model.clusters:
            waiting: dict[str, list[KubeObject]] = defaultdict(list)
            targets: dict[str, KubeObject] = {}
            renderers = _workload_renderers(cluster)
            for obj in _dependents(cluster):
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


def _not_ready_gate(ctx: RuleContext, target: KubeObject, dependents: list[KubeObject]) -> Finding:
    if "wait" in target.spec:
        pos = target.key_pos("spec", "wait")
        fix = replace_value_fix(ctx.model, pos, "wait", "true") if in_own_document(target, pos) else None
    else:
        pos = target.key_pos("spec") if "spec" in target.body else target.body.pos
        fix = add_spec_field_fix(ctx.model, target, "wait", "true")
    names = sorted({_short(d, target) for d in dependents})
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return Finding(
        "dependency/not-ready-gate", Severity.WARNING, pos.path, pos.line,
        f"{target.id} is in the dependsOn of {shown}, but has neither `wait: true` nor `healthChecks`: "
        "it turns ready as soon as its manifests are applied, so its dependents start before its "
        "workloads run. Set `wait: true` (or list the objects that matter under `healthChecks`).",
        object=target.id, key="spec.wait", fix=fix,
    )


NOT_READY_GATE = Rule(
    id="dependency/not-ready-gate",
    severity=Severity.WARNING,
    summary="A dependsOn target Kustomization with neither wait nor healthChecks",
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
    check=check_not_ready_gate,
    fixable=True,
)


# -- dependency/missing-crd-order -------------------------------------------------------------------

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


def check_missing_crd_order(ctx: RuleContext) -> Iterator[Finding]:
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


def _missing_crd_order(ctx: RuleContext, consumer: KubeObject, provider: KubeObject, group: str,
                       kinds: set[str]) -> Finding:
    name = _short(provider, consumer)
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


MISSING_CRD_ORDER = Rule(
    id="dependency/missing-crd-order",
    severity=Severity.WARNING,
    summary="Custom resources applied by a Kustomization that does not wait for their CRDs",
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
    check=check_missing_crd_order,
    fixable=True,
)


# -- dependency/deleted-target ----------------------------------------------------------------------

@dataclass(frozen=True)
class Reference:
    """A field of an object that names another object, and what breaks without it."""

    obj: KubeObject
    field: tuple[str | int, ...]
    kind: str
    namespace: str
    name: str
    what: str
    consequence: str

    @property
    def target_id(self) -> str:
        return object_id(self.kind, self.namespace, self.name)

    @property
    def label(self) -> str:
        return field_path(self.field[1:])


_SOURCE_FAILS = "its reconciliation fails with the source not found"
_REFERENCE_FIELDS: dict[str, list[tuple[tuple[str, ...], str, str, str]]] = {
    "Kustomization": [(("spec", "sourceRef"), "GitRepository", "reads its source from", _SOURCE_FAILS)],
    "HelmRelease": [(("spec", "chartRef"), "", "takes its chart from", _SOURCE_FAILS),
                    (("spec", "chart", "spec", "sourceRef"), "", "takes its chart from", _SOURCE_FAILS)],
    "HelmChart": [(("spec", "sourceRef"), "", "takes its chart from", _SOURCE_FAILS)],
    "ImageUpdateAutomation": [(("spec", "sourceRef"), "GitRepository", "writes to", _SOURCE_FAILS)],
    "ImagePolicy": [(("spec", "imageRepositoryRef"), "ImageRepository", "reads tags from",
                     "it stops selecting images")],
    "Alert": [(("spec", "providerRef"), "Provider", "sends to", "its notifications stop")],
}


def references(obj: KubeObject) -> list[Reference]:
    """The objects a Flux object needs: dependsOn, sources, chart references, Alert providers."""
    if not obj.is_flux or obj.implicit:
        return []
    found = [Reference(obj, dep.path, dep.kind, dep.namespace, dep.name, "depends on",
                       "it waits for it forever and is never applied") for dep in dependencies(obj)]
    own = obj.namespace or ""
    for field, default_kind, what, consequence in _REFERENCE_FIELDS.get(obj.kind, []):
        ref = obj.get(*field)
        if not isinstance(ref, dict) or not isinstance(ref.get("name"), str):
            continue
        kind = str(ref.get("kind") or default_kind)
        # An Alert's providerRef is local: it has no namespace field.
        namespace = own if obj.kind == "Alert" else str(ref.get("namespace") or own)
        if not kind or "${" in ref["name"] or "${" in namespace:
            continue
        found.append(Reference(obj, field, kind, namespace, ref["name"], what, consequence))
    return found


def check_deleted_target(ctx: RuleContext) -> Iterator[Finding]:
    def findings() -> Iterator[Finding]:
        for cluster in ctx.model.clusters:
            base = _base_cluster(ctx, cluster.name)
            if base is None:
                continue
            for obj in cluster.objects:
                for ref in references(obj):
                    if cluster.find(ref.kind, ref.namespace, ref.name):
                        continue
                    before = [o for o in base.find(ref.kind, ref.namespace, ref.name) if not o.implicit]
                    if not before:
                        continue
                    yield _deleted_target(ctx, ref, before[0], cluster, base)

    return drop_repeats(findings())


def _deleted_target(ctx: RuleContext, ref: Reference, old: KubeObject, cluster: Cluster,
                    base: Cluster) -> Finding:
    obj = ref.obj
    pos = obj.key_pos(*ref.field, "name") if isinstance(obj.get(*ref.field), dict) else obj.key_pos(*ref.field)
    renamed = _renamed_to(old, cluster, base, obj)
    if renamed is not None:
        change = f"which this change renames to {renamed.id}"
        advice = f"Point `{ref.label}` at `{renamed.name}`."
    else:
        change = "which this change deletes"
        advice = f"Restore {old.kind} {ref.name}, or update `{ref.label}`."
    return Finding(
        "dependency/deleted-target", Severity.ERROR, pos.path, pos.line,
        f"{obj.id} still {ref.what} {ref.target_id} (`{ref.label}`), {change}: once merged, "
        f"{ref.consequence}. {advice}",
        object=obj.id, key=f"{ref.label}:{ref.target_id}",
    )


def _renamed_to(old: KubeObject, cluster: Cluster, base: Cluster, dependent: KubeObject) -> KubeObject | None:
    """The object that took the deleted one's place: same kind, file and document, a name new in this change.

    An object that already existed at base only moved up (an earlier document was
    deleted); calling that a rename would advise pointing at the wrong object.
    """
    for obj in cluster.objects:
        if (obj.kind == old.kind and obj.path == old.path and obj.doc_index == old.doc_index
                and obj.name != old.name and not obj.implicit and obj.id != dependent.id
                and not base.find(obj.kind, obj.namespace, obj.name)):
            return obj
    return None


DELETED_TARGET = Rule(
    id="dependency/deleted-target",
    severity=Severity.ERROR,
    summary="The change deletes or renames an object that others still depend on or reference",
    doc="""
        Reviews only. When a change deletes or renames a Kustomization,
        HelmRelease, source or Provider, the objects still naming it
        (`dependsOn`, `sourceRef`, `chartRef`, `chart.spec.sourceRef`, an
        Alert's `providerRef`, an ImagePolicy's `imageRepositoryRef`) break once
        it merges, though their own files are untouched. The finding sits on each
        such reference, so the review shows every place to update.

        Failing (the change renames GitRepository `platform` to `platform-repo`):
            kind: Kustomization
            spec:
              sourceRef:
                kind: GitRepository
                name: platform

        Passing: the same change also updates `sourceRef.name: platform-repo`.
    """,
    check=check_deleted_target,
    needs_base=True,
)


RULES: list[Rule] = [MISSING_TARGET, KIND_MISMATCH, CYCLE, NOT_READY_GATE, MISSING_CRD_ORDER, DELETED_TARGET]

__all__ = ["RULES", "Dependency", "Reference", "dependencies", "references"]
