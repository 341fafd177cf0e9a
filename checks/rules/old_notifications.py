"""Notification rules: Alerts that cannot deliver, and clusters whose failures nobody hears of.

notification-controller resolves an Alert's ``providerRef`` in the Alert's
own namespace and matches events against ``eventSources`` by kind,
namespace and name. References are resolved in the index of the cluster
that renders the Alert; objects an external source (a Kustomization whose
source is not this repository) may bring into that namespace cannot be
seen, so references into such a namespace are not reported.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Iterator

from checks.findings import Finding, Severity
from checks.kustomize import KUSTOMIZATION_FILES
from checks.model import KubeObject
from checks.repo import BOOTSTRAP_NAMESPACE, Cluster, RepoModel
from checks.rules.base import Rule, RuleContext

# Kinds whose every object the model sees when it is written in the repository.
# HelmChart and ExternalArtifact are made by controllers, FluxInstance often
# by an installer: an Alert may rightly name one that no file defines.
_CHECKED_SOURCE_KINDS = frozenset((
    "GitRepository", "OCIRepository", "HelmRepository", "Bucket", "Kustomization", "HelmRelease",
    "ImageRepository", "ImagePolicy", "ImageUpdateAutomation",
))

_BOOTSTRAP_KINDS = ("GitRepository", "OCIRepository", "Kustomization")


def _alerts(model: RepoModel) -> Iterator[tuple[KubeObject, Cluster | None]]:
    """Every Alert: rendered (with its cluster), then the unrendered ones (cluster None)."""
    for cluster in model.clusters:
        for obj in cluster.objects:
            if obj.kind == "Alert" and obj.is_flux and not obj.implicit:
                yield obj, cluster
    for obj in model.unrendered_objects():
        if obj.kind == "Alert" and obj.is_flux:
            yield obj, None


def _hidden_namespace(cluster: Cluster, namespace: str) -> bool:
    """True when an external Kustomization may put unseen objects into ``namespace``.

    Its objects default to the Kustomization's namespace, or go to its
    ``targetNamespace``; objects naming another namespace are out of reach anyway.
    """
    for node in cluster.renders.values():
        ks = node.kustomization
        if not node.external or ks.implicit:
            continue
        target = ks.get("spec", "targetNamespace")
        if namespace in (target, ks.namespace):
            return True
    return False


def _exists(model: RepoModel, cluster: Cluster | None, kind: str, namespace: str | None, name: str) -> bool:
    if cluster is not None:
        return bool(cluster.find(kind, namespace, name)) or _hidden_namespace(cluster, namespace or "")
    # Unrendered: match what is written, leniently (a missing namespace may be filled in later).
    if name == BOOTSTRAP_NAMESPACE and kind in _BOOTSTRAP_KINDS and namespace in (None, BOOTSTRAP_NAMESPACE):
        return True  # made by flux bootstrap, whether or not a file defines it
    return any(o.kind == kind and o.is_flux and o.name == name and (
        namespace is None or o.namespace in (None, namespace)) for o in model.objects)


def _elsewhere(model: RepoModel, cluster: Cluster | None, kind: str, name: str) -> list[str]:
    """The namespaces where an object of that kind and name does exist."""
    found = cluster.named(kind, name) if cluster is not None else [
        o for o in model.objects if o.kind == kind and o.is_flux and o.name == name]
    return sorted({o.namespace for o in found if o.namespace})


# -- notification/provider-missing --------------------------------------------------

def _check_provider_missing(ctx: RuleContext) -> Iterable[Finding]:
    for alert, cluster in _alerts(ctx.model):
        name = alert.get("spec", "providerRef", "name")
        if not isinstance(name, str) or not name or "${" in name:
            continue
        if _exists(ctx.model, cluster, "Provider", alert.namespace, name):
            continue
        pos = alert.key_pos("spec", "providerRef", "name")
        others = [ns for ns in _elsewhere(ctx.model, cluster, "Provider", name) if ns != alert.namespace]
        hint = (f" A Provider `{name}` exists in {_namespaces(others)}, but an Alert can only use a Provider "
                f"of its own namespace: create one in `{alert.namespace}` or move the Alert."
                if others else f" Add a Provider `{name}` in `{alert.namespace}` or fix the name.")
        where = f"namespace `{alert.namespace}`" if alert.namespace else "the repository"
        yield Finding(
            "notification/provider-missing", Severity.ERROR, pos.path, pos.line,
            f"{alert.id} sends to Provider `{name}`, which does not exist in {where}: its events "
            f"are dropped.{hint}",
            object=alert.id, key="spec.providerRef.name",
        )


def _namespaces(names: list[str]) -> str:
    return ", ".join(f"`{n}`" for n in names)


# -- notification/event-source-missing ------------------------------------------------

def _check_event_source_missing(ctx: RuleContext) -> Iterable[Finding]:
    for alert, cluster in _alerts(ctx.model):
        sources = alert.get("spec", "eventSources")
        for index, source in enumerate(sources if isinstance(sources, list) else []):
            if not isinstance(source, dict) or source.get("matchLabels"):
                continue
            kind, name = source.get("kind"), source.get("name")
            namespace = source.get("namespace") or alert.namespace
            if kind not in _CHECKED_SOURCE_KINDS or not isinstance(name, str) or not name:
                continue
            if "*" in name or "${" in name or (isinstance(namespace, str) and ("*" in namespace or "${" in namespace)):
                continue
            namespace = str(namespace) if namespace else None
            if _exists(ctx.model, cluster, kind, namespace, name):
                continue
            pos = alert.key_pos("spec", "eventSources", index, "name")
            others = [ns for ns in _elsewhere(ctx.model, cluster, kind, name) if ns != namespace]
            hint = (f" A {kind} `{name}` exists in {_namespaces(others)}: set `namespace:` on the event source."
                    if others else " Fix the name, or remove the entry.")
            target = f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}"
            yield Finding(
                "notification/event-source-missing", Severity.WARNING, pos.path, pos.line,
                f"{alert.id} listens to {target}, which does not exist{' in this cluster' if cluster else ''}: "
                f"the entry never matches an event.{hint}",
                object=alert.id, key=f"spec.eventSources:{kind}/{namespace or ''}/{name}",
            )


# -- notification/no-failure-alerts ------------------------------------------------------

_WATCHED_KINDS = ("Kustomization", "HelmRelease")


def _covered_kinds(cluster: Cluster) -> set[str]:
    """The kinds whose error events at least one active Alert of the cluster forwards.

    ``eventSeverity: info`` (the default) forwards errors too. Any event source
    of the kind counts, wildcard or named: the rule asks whether failures are
    heard at all, not whether every object is listed.
    """
    covered: set[str] = set()
    for alert in cluster.objects:
        if alert.kind != "Alert" or not alert.is_flux or alert.get("spec", "suspend") is True:
            continue
        if str(alert.get("spec", "eventSeverity") or "info") not in ("info", "error"):
            continue
        sources = alert.get("spec", "eventSources")
        for source in sources if isinstance(sources, list) else []:
            if isinstance(source, dict) and source.get("kind") in _WATCHED_KINDS:
                covered.add(str(source["kind"]))
    return covered


def _cluster_anchor(model: RepoModel, cluster: Cluster) -> tuple[str, int] | None:
    """Where a cluster-wide finding goes: the file a reader opens first for that cluster.

    That is the kustomization file of the cluster's root folder (what Flux
    applies first, and where a new alerts file would be listed), else the first
    YAML file of the root folder, else, for a repository without cluster
    folders, the Kustomization at the root of the render tree (the shallowest
    file when several are roots).
    """
    if cluster.root:
        for name in KUSTOMIZATION_FILES:
            path = posixpath.join(cluster.root, name)
            if path in model.files:
                return path, 1
        direct = sorted(p for p in model.files if posixpath.dirname(p) == cluster.root)
        if direct:
            return direct[0], 1
    nodes = [node.kustomization for node in cluster.renders.values() if not node.kustomization.implicit]
    # A bootstrap Kustomization renders its own folder: being its own child keeps it a root.
    children = {child for node in cluster.renders.values() for child in node.children
                if child != node.kustomization.id}
    # Parents that render each other leave no root: then the shallowest Kustomization file.
    roots = [ks for ks in nodes if ks.id not in children] or nodes
    if not roots:
        return None
    root = min(roots, key=lambda ks: (ks.path.count("/"), ks.path, ks.line))
    return root.path, root.line


def _check_no_failure_alerts(ctx: RuleContext) -> Iterable[Finding]:
    for cluster in ctx.model.clusters:
        present = [kind for kind in _WATCHED_KINDS
                   if any(o.kind == kind and o.is_flux and not o.implicit for o in cluster.objects)]
        if not present:
            continue
        missing = [kind for kind in present if kind not in _covered_kinds(cluster)]
        anchor = _cluster_anchor(ctx.model, cluster)
        if not missing or anchor is None:
            continue
        kinds = " and ".join(missing)
        sources = " and ".join(f"`{{kind: {kind}, name: '*'}}`" for kind in missing)
        yield Finding(
            "notification/no-failure-alerts", Severity.INFO, anchor[0], anchor[1],
            f"cluster {cluster.name}: no Alert forwards {kinds} failures, so a broken deployment is only "
            f"noticed by looking. Add an Alert with `eventSeverity: error` and the event sources {sources} "
            "(or switch this rule off if failures reach you another way).",
            key=f"cluster:{cluster.name}", anchor=f"cluster/{cluster.name}",
        )


PROVIDER_MISSING = Rule(
    id="notification/provider-missing",
    severity=Severity.ERROR,
    summary="An Alert's providerRef names no Provider in its namespace",
    doc="""
        notification-controller looks the Provider up in the Alert's own
        namespace; when it is not there the Alert's events are dropped and
        nobody is told. Resolved per cluster, after namespaces are set by
        kustomization files and targetNamespace.

        Failing:
            kind: Alert
            metadata:
              name: on-call
              namespace: flux-system
            spec:
              providerRef:
                name: slak          # the Provider is called slack

        Passing:
            kind: Provider
            metadata:
              name: slack
              namespace: flux-system
            ---
            kind: Alert
            metadata:
              name: on-call
              namespace: flux-system
            spec:
              providerRef:
                name: slack
    """,
    check=_check_provider_missing,
)

EVENT_SOURCE_MISSING = Rule(
    id="notification/event-source-missing",
    severity=Severity.WARNING,
    summary="An Alert event source names an object that does not exist",
    doc="""
        An event source that names an object (not `*`, no `matchLabels`) only
        matches events of that object, looked up in the source's `namespace`
        (default: the Alert's). A typo or a renamed object silently stops the
        alerts. HelmCharts, ExternalArtifacts and FluxInstances are created by
        controllers or installers and are not checked.

        Failing:
            spec:
              eventSources:
                - kind: Kustomization
                  name: infra-controlers   # the Kustomization is infra-controllers

        Passing:
            spec:
              eventSources:
                - kind: Kustomization
                  name: infra-controllers
                - kind: HelmRelease
                  name: '*'
    """,
    check=_check_event_source_missing,
)

NO_FAILURE_ALERTS = Rule(
    id="notification/no-failure-alerts",
    severity=Severity.INFO,
    summary="No Alert in a cluster forwards Kustomization and HelmRelease failures",
    doc="""
        Without an Alert for Kustomization and HelmRelease errors, a failed
        reconciliation is only visible to someone running `flux get`. An Alert
        with `eventSeverity: error` or `info` (the default) whose event sources
        include the kind covers it. Reported once per cluster, on the cluster
        root folder's kustomization file (or its first file): the entry point
        of the cluster, where a new alerts file would be listed. It is only info:
        a repository may hear of failures another way (Prometheus alerts on
        Flux metrics, a Provider created outside Git); switch the rule off then.

        Failing: a cluster with Kustomizations and HelmReleases and no Alert.

        Passing:
            apiVersion: notification.toolkit.fluxcd.io/v1beta3
            kind: Alert
            metadata:
              name: failures
              namespace: flux-system
            spec:
              providerRef:
                name: slack
              eventSeverity: error
              eventSources:
                - kind: Kustomization
                  name: '*'
                - kind: HelmRelease
                  name: '*'
    """,
    check=_check_no_failure_alerts,
)

RULES: list[Rule] = [PROVIDER_MISSING, EVENT_SOURCE_MISSING, NO_FAILURE_ALERTS]
