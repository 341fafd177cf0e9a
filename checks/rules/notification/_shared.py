"""What the notification rules share: the Alerts of a repository and how their references resolve.

notification-controller resolves an Alert's ``providerRef`` in the Alert's
own namespace and matches events against ``eventSources`` by kind,
namespace and name. References are resolved in the index of the cluster
that renders the Alert; objects an external source (a Kustomization whose
source is not this repository) may bring into that namespace cannot be
seen, so references into such a namespace are not reported.
"""

from __future__ import annotations

from collections.abc import Iterator

from checks.model import KubeObject
from checks.repo import BOOTSTRAP_NAMESPACE, Cluster, RepoModel

_BOOTSTRAP_KINDS = ("GitRepository", "OCIRepository", "Kustomization")


def alerts(model: RepoModel) -> Iterator[tuple[KubeObject, Cluster | None]]:
    """Every Alert: rendered (with its cluster), then the unrendered ones (cluster None)."""
    for cluster in model.clusters:
        for obj in cluster.objects:
            if obj.kind == "Alert" and obj.is_flux and not obj.implicit:
                yield obj, cluster
    for obj in model.unrendered_judged():
        if obj.kind == "Alert" and obj.is_flux:
            yield obj, None


def exists(model: RepoModel, cluster: Cluster | None, kind: str, namespace: str | None, name: str) -> bool:
    """Whether an Alert's reference resolves, or may resolve to an object the repository cannot show.

    In a cluster, the reference is looked up in the cluster's index; an
    unrendered Alert is matched against what the repository writes.
    """
    if cluster is not None:
        return bool(cluster.find(kind, namespace, name)) or _hidden_namespace(cluster, namespace or "")
    # Unrendered: match what is written, leniently (a missing namespace may be filled in later).
    if name == BOOTSTRAP_NAMESPACE and kind in _BOOTSTRAP_KINDS and namespace in (None, BOOTSTRAP_NAMESPACE):
        return True  # made by flux bootstrap, whether or not a file defines it
    return any(o.kind == kind and o.is_flux and o.name == name and (
        namespace is None or o.namespace in (None, namespace)) for o in model.objects)


def elsewhere(model: RepoModel, cluster: Cluster | None, kind: str, name: str) -> list[str]:
    """The namespaces where an object of that kind and name does exist."""
    found = cluster.named(kind, name) if cluster is not None else [
        o for o in model.objects if o.kind == kind and o.is_flux and o.name == name]
    return sorted({o.namespace for o in found if o.namespace})


def namespaces(names: list[str]) -> str:
    """Namespaces as a message lists them: each in backquotes, comma separated."""
    return ", ".join(f"`{n}`" for n in names)


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
