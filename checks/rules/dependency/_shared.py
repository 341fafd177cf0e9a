"""What the dependency rules share: ``dependsOn`` read the way Flux reads it, and how findings name it.

Every rule of the group starts from the same entries (``dependencies``), so
they agree on what a target is: an entry has no kind (Flux looks up the
dependent's own) and no namespace means the dependent's own. missing-target
and kind-mismatch also share how one entry seen in several clusters becomes
one finding naming them all (``Hit`` and ``collect``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from checks.cluster_name import counterpart
from checks.model import KubeObject, object_id
from checks.repo import Cluster, RepoModel
from checks.rules.base import RuleContext
from checks.yaml_docs import Pos

DEPENDS_ON_KINDS = ("Kustomization", "HelmRelease")


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


def dependencies(obj: KubeObject) -> tuple[Dependency, ...]:
    """The literal dependsOn entries of a Flux Kustomization or HelmRelease.

    Read once per object (kept with it: an object's body never changes once the model is
    built), though every dependency rule asks, some of them several times.
    """
    if not obj.is_flux or obj.kind not in DEPENDS_ON_KINDS or obj.implicit:
        return ()
    known = obj.__dict__.get("_dependencies")
    if known is None:
        known = obj.__dict__["_dependencies"] = tuple(_read_dependencies(obj))
    return known


def _read_dependencies(obj: KubeObject) -> list[Dependency]:
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


def dependents(cluster: Cluster) -> Iterator[KubeObject]:
    """The objects of a cluster that may have a ``dependsOn``: its written Kustomizations and HelmReleases."""
    for obj in cluster.objects:
        if obj.is_flux and obj.kind in DEPENDS_ON_KINDS and not obj.implicit:
            yield obj


def entry_pos(dep: Dependency) -> Pos:
    """The line of the entry's ``name:``, where a user edits the dependency."""
    return dep.dependent.key_pos(*dep.path, "name")


def other_kind(kind: str) -> str:
    """The kind a ``dependsOn`` entry cannot reach: what a mistaken entry often names instead."""
    return "HelmRelease" if kind == "Kustomization" else "Kustomization"


def shown(cluster: Cluster, kind: str, namespace: str, name: str) -> list[KubeObject]:
    """The objects of that identity the cluster holds, not a stand-in for one a ResourceSet may create.

    A ResourceSet whose inputs come from the cluster may create an object of that
    name: enough to say it may exist, no evidence of what it is.
    """
    return [o for o in cluster.find(kind, namespace, name) if not (o.implicit and o.generated_by)]


def base_cluster(ctx: RuleContext, name: str) -> Cluster | None:
    """The cluster of that name at the base of the change (None outside a review or when it is new)."""
    if ctx.previous is None:
        return None
    return counterpart(name, ctx.model.clusters, ctx.previous.clusters)


# -- naming things in findings ----------------------------------------------------------------------

def clusters_text(model: RepoModel, names: list[str]) -> str:
    """`` in clusters a, b`` for a finding, or nothing when the repository has a single cluster."""
    if len(model.clusters) <= 1:
        return ""
    label = "cluster" if len(names) == 1 else "clusters"
    return f" in {label} {', '.join(sorted(names))}"


def short_name(obj: KubeObject, beside: KubeObject) -> str:
    """An object's name as seen from another: ``name`` in the same namespace, else ``namespace/name``."""
    return obj.name if obj.namespace == beside.namespace else f"{obj.namespace}/{obj.name}"


@dataclass
class Hit:
    """A problem seen on one line, possibly in several clusters."""

    obj: KubeObject
    dep: Dependency
    clusters: list[str]
    detail: Any = None


def collect(hits: dict[tuple[str, int, str], Hit], obj: KubeObject, dep: Dependency, cluster: Cluster,
            detail: Any = None) -> None:
    """Note a problem with ``dep`` in ``cluster``: a line shared by several clusters becomes one finding."""
    pos = entry_pos(dep)
    mark = (pos.path, pos.line, dep.target_id)
    if mark in hits:
        if cluster.name not in hits[mark].clusters:
            hits[mark].clusters.append(cluster.name)
    else:
        hits[mark] = Hit(obj, dep, [cluster.name], detail)
