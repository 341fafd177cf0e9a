"""notification/no-failure-alerts: a cluster where no Alert forwards Kustomization and HelmRelease failures.

Reported once per cluster, on the file a reader opens first for that
cluster (see ``_cluster_anchor``). Any event source of a watched kind counts,
wildcard or named: the rule asks whether failures are heard at all.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable

from checks.findings import Finding, Severity
from checks.kustomize import KUSTOMIZATION_FILES
from checks.repo import Cluster, RepoModel
from checks.rules.base import Rule, RuleContext

RULE = Rule(
    id="notification/no-failure-alerts",
    severity=Severity.INFO,
    summary="No Alert in a cluster forwards Kustomization and HelmRelease failures",
    fixable=False,
    needs_base=False,
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
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterable[Finding]:
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

    That is the kustomization file of the cluster's root folder (or the folder a
    FluxInstance syncs: what Flux applies first, and where a new alerts file would
    be listed), else the first YAML file of that folder, else, for a repository without cluster
    folders, the Kustomization at the root of the render tree (the shallowest
    file when several are roots).
    """
    folder = cluster.root or cluster.folder
    if folder:
        for name in KUSTOMIZATION_FILES:
            path = posixpath.join(folder, name)
            if path in model.files:
                return path, 1
        direct = sorted(p for p in model.files if p.rpartition("/")[0] == folder)  # dirname, per file
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
