"""source/missing: a sourceRef, chartRef or chart.spec.sourceRef naming a source the cluster does not define.

References are resolved per cluster in the rendered objects: a source that
only another cluster (or no Kustomization) renders does not exist for the
objects of this cluster. Bootstrap sources (`flux-system` GitRepository or
OCIRepository) always exist, and some sources exist without a manifest of
their own: ArtifactGenerators produce the ExternalArtifacts named in their
``spec.artifacts``, flux-operator's FluxInstance creates its sync source,
and helm-controller creates the HelmChart of a HelmRelease ``chart.spec``.
A ResourceSet's sources are in the cluster's objects (``checks.resourceset``),
or, when its inputs are not known, found as stand-ins by ``Cluster.find``.

In a review, a source that existed at the base of the change and is gone at
its head is dependency/deleted-target's: that finding says the change
deleted it, so this rule stays quiet on the same reference (unless
deleted-target is switched off).
"""

from __future__ import annotations

from collections.abc import Iterator

from checks.cluster_name import counterpart
from checks.findings import Finding, Severity, merge_repeats
from checks.model import KubeObject, field_path
from checks.repo import Cluster
from checks.rules.base import Rule, RuleContext
from checks.rules.source._shared import references, templated

RULE = Rule(
    id="source/missing",
    severity=Severity.ERROR,
    summary="sourceRef, chartRef or chart.spec.sourceRef names a source that does not exist",
    fixable=False,
    needs_base=False,
    doc="""
        The referring object waits for its source forever ("source not found"):
        a Kustomization applies nothing, a HelmRelease never installs or upgrades.
        The source must be rendered into the same cluster; the namespace defaults
        to the referring object's own. Bootstrap sources (`flux-system`) always
        exist, a FluxInstance's `spec.sync` creates a source named after its
        namespace, ArtifactGenerators create the ExternalArtifacts they list, and
        a HelmRelease with `chart.spec` creates its HelmChart, and a flux-operator
        ResourceSet creates the sources of its templates (one fed by a
        ResourceSetInputProvider may create any source its templates name).
        Sources that only remote bases or externally sourced Kustomizations
        define cannot be seen.

        Also checked: HelmChart and ImageUpdateAutomation `sourceRef`. In a
        review, a source the change itself deletes is reported once, by
        dependency/deleted-target.

        Failing:
            kind: HelmRelease
            spec:
              chart:
                spec:
                  chart: podinfo
                  sourceRef:
                    kind: HelmRepository
                    name: podinfo        # deleted

        Passing: a HelmRepository `podinfo` rendered in the same namespace.
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    return merge_repeats(_missing(ctx))


def _missing(ctx: RuleContext) -> Iterator[Finding]:
    for cluster in ctx.model.clusters:
        produced: set[tuple[str, str | None, str]] | None = None
        base = _base_cluster(ctx, cluster.name)
        for obj in cluster.objects:
            if obj.implicit:
                continue
            for path, ref, _accepted in references(obj):
                kind = ref.get("kind")
                if not isinstance(kind, str) or not kind:
                    continue
                name = str(ref["name"])
                namespace = str(ref.get("namespace") or obj.namespace or "")
                if templated(kind, name, namespace):
                    continue
                if cluster.find(kind, namespace, name):
                    continue
                produced = produced if produced is not None else _produced_sources(cluster)
                if (kind, namespace, name) in produced:
                    continue
                if base is not None and any(not o.implicit for o in base.find(kind, namespace, name)):
                    continue  # deleted by the change: dependency/deleted-target says it better
                if kind == "ExternalArtifact":
                    yield _unproduced_artifact(obj, cluster, path, namespace, name, produced)
                else:
                    yield _missing_finding(obj, cluster, path, kind, namespace, name)


_DELETED_TARGET = "dependency/deleted-target"


def _base_cluster(ctx: RuleContext, name: str) -> Cluster | None:
    """The cluster of that name at the base of a review whose deleted sources deleted-target reports.

    None outside a review, for a cluster the change adds, and when
    deleted-target is switched off (then this rule reports the deletion).
    """
    if ctx.previous is None or not ctx.config.rule(_DELETED_TARGET).enabled:
        return None
    return counterpart(name, ctx.model.clusters, ctx.previous.clusters)


def _produced_sources(cluster: Cluster) -> set[tuple[str, str | None, str]]:
    """Sources that exist without a manifest of their own: ExternalArtifacts and HelmRelease HelmCharts."""
    produced: set[tuple[str, str | None, str]] = set()
    for obj in cluster.objects:
        if obj.kind == "ArtifactGenerator" and obj.is_flux:
            for artifact in obj.get("spec", "artifacts") or []:
                if isinstance(artifact, dict) and artifact.get("name"):
                    produced.add(("ExternalArtifact", obj.namespace, str(artifact["name"])))
        elif obj.kind == "FluxInstance" and obj.is_flux and obj.get("spec", "sync", "kind"):
            # flux-operator names the sync source after the FluxInstance's namespace
            produced.add((str(obj.get("spec", "sync", "kind")), obj.namespace, str(obj.namespace)))
        elif obj.kind == "HelmRelease" and obj.is_flux and isinstance(obj.get("spec", "chart", "spec"), dict):
            namespace = obj.get("spec", "chart", "spec", "sourceRef", "namespace") or obj.namespace
            produced.add(("HelmChart", str(namespace), f"{obj.namespace}-{obj.name}"))
    return produced


def _missing_finding(obj: KubeObject, cluster: Cluster, path: tuple[str, ...], kind: str, namespace: str,
                     name: str) -> Finding:
    pos = obj.pos(*path, "name")
    elsewhere = sorted({o.namespace for o in cluster.named(kind, name) if o.namespace} - {namespace})
    if elsewhere:
        hint = (f" A {kind} `{name}` exists in namespace `{elsewhere[0]}`: set `{field_path(path)}.namespace`"
                f" (cross-namespace references must be allowed) or move it.")
    else:
        hint = f" Add the {kind}, or point `{field_path(path)}` at an existing source."
    return Finding(
        "source/missing", Severity.ERROR, pos.path, pos.line,
        f"{obj.id} reads {kind} `{namespace}/{name}` (`{field_path(path)}`), which nothing in "
        f"cluster {cluster.name} defines: {_effect(obj)}.{hint}",
        object=obj.id, key=f"{field_path(path)}:{kind}/{namespace}/{name}")


def _unproduced_artifact(obj: KubeObject, cluster: Cluster, path: tuple[str, ...], namespace: str, name: str,
                         produced: set[tuple[str, str | None, str]]) -> Finding:
    """An ExternalArtifact is made by an ArtifactGenerator entry, not written: point at the entry to add or fix.

    source-watcher creates one ExternalArtifact per ``spec.artifacts[].name``, in the ArtifactGenerator's
    namespace; the same name produced (or defined) in another namespace is named as the likely intent.
    """
    pos = obj.pos(*path, "name")
    field = field_path(path)
    made = {(ns or "", artifact) for kind, ns, artifact in produced if kind == "ExternalArtifact"}
    generated = sorted(ns for ns, artifact in made if artifact == name and ns != namespace)
    defined = sorted({o.namespace for o in cluster.named("ExternalArtifact", name) if o.namespace} - {namespace})
    here = sorted(artifact for ns, artifact in made if ns == namespace)
    if generated or defined:
        where = (f"An ArtifactGenerator in namespace `{generated[0]}` produces `{name}`" if generated
                 else f"An ExternalArtifact `{name}` exists in namespace `{defined[0]}`")
        hint = (f" {where}: set `{field}.namespace` (cross-namespace references must be allowed) or move "
                f"{'the generator' if generated else 'it'}.")
    else:
        listed = (f" (produced in `{namespace}`: {', '.join(f'`{a}`' for a in here[:3])}"
                  f"{' and more' if len(here) > 3 else ''})" if here else "")
        hint = (f" Add an entry `name: {name}` to the `spec.artifacts` of an ArtifactGenerator in `{namespace}`"
                f"{listed}, or fix the name.")
    return Finding(
        "source/missing", Severity.ERROR, pos.path, pos.line,
        f"{obj.id} reads ExternalArtifact `{namespace}/{name}` (`{field}`), which no ArtifactGenerator in "
        f"cluster {cluster.name} produces (no `spec.artifacts[].name: {name}` in namespace `{namespace}`) and no "
        f"file defines: {_effect(obj)}.{hint}",
        object=obj.id, key=f"{field}:ExternalArtifact/{namespace}/{name}")


def _effect(obj: KubeObject) -> str:
    """What a missing source does to the object that reads it: Flux requeues it with "source not found"."""
    return "nothing under it is applied" if obj.kind == "Kustomization" else "it never reconciles"
