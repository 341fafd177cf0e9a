"""The name of a repository's one cluster, as the repository itself says it.

Several clusters are named after the folders that tell them apart
(``kubernetes/main``, ``clusters/production``). A repository with one cluster
has no such folder, yet its owners do name it, and a finding or the layout
that says "cluster default" names something nobody wrote. The names read
here, statically and in this order:

- the ``CLUSTER_NAME`` variable the cluster's Kustomizations substitute
  (``spec.postBuild.substitute``, or the ``data`` of a ConfigMap, the usual
  ``cluster-settings``): Flux itself writes it into the cluster's objects;
- the ``clusterName`` of the Talos configuration that builds the cluster
  (talhelper's ``talconfig.yaml``, or a machine configuration or its Jinja
  template under a ``talos/`` folder).

A source counts only when all its occurrences agree on one name. Without any,
the cluster is named after its folder.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

from checks.layout import ONE_CLUSTER, archived
from checks.source import RepoSnapshot, artifact_path

if TYPE_CHECKING:
    from checks.model import KubeObject


class NamedCluster(Protocol):
    """What ``counterpart`` reads of a cluster (``checks.repo.Cluster``, which imports this module)."""

    name: str
    named_from: str


C = TypeVar("C", bound=NamedCluster)

VARIABLE = "CLUSTER_NAME"
_STATING_KINDS = frozenset(("Kustomization", "ConfigMap"))  # the kinds _substituted reads
# A name as Kubernetes tooling writes one; anything else (a template, a ${VAR}) names nothing.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
_TALOS_LINE = re.compile(r"^\s*clusterName:\s*[\"']?(?P<name>[A-Za-z0-9][A-Za-z0-9._-]{0,62})[\"']?\s*(?:#.*)?$")
_TALOS_SUFFIXES = (".yaml", ".yml", ".yaml.j2", ".yml.j2")
_MAX_TALOS_BYTES = 256 * 1024


@dataclass(frozen=True)
class ClusterName:
    """A name, the key that says it (``CLUSTER_NAME``, ``clusterName``) and where (``path:line``)."""

    name: str
    key: str
    path: str
    line: int

    @property
    def basis(self) -> str:
        return f"`{self.key}` at {self.path}:{self.line}"


def stated(objects: Iterable[KubeObject], snapshot: RepoSnapshot) -> ClusterName | None:
    """The one cluster name the repository states, or None when it states none or several."""
    return _agreed(_substituted(objects)) or _agreed(_talos(snapshot))


def of_folder(folder: str, roots: Sequence[KubeObject], prefix: str = "") -> str:
    """The fallback: the cluster's folder, else the folder its roots render, else the one they are written in.

    ``prefix`` is the folder a snapshot of a subfolder is in its repository: rendered paths are named
    without it, as the snapshot's own files are.
    """
    rendered = {_without(artifact_path(path), prefix) for ks in roots
                if isinstance(path := ks.get("spec", "path"), str)}
    for folders in ({folder}, rendered, {posixpath.dirname(ks.path) for ks in roots}):
        common = posixpath.commonpath(sorted(folders)) if folders and "" not in folders else ""
        if common:
            return common
    return "repository"


def _without(path: str, prefix: str) -> str:
    return path[len(prefix):].strip("/") if prefix and (path + "/").startswith(prefix + "/") else path


def _agreed(found: Iterable[ClusterName]) -> ClusterName | None:
    first: ClusterName | None = None
    for candidate in found:
        if first is None:
            first = candidate
        elif candidate.name != first.name:
            return None
    return first


def _substituted(objects: Iterable[KubeObject]) -> Iterable[ClusterName]:
    """``CLUSTER_NAME`` as a Kustomization substitutes it or a ConfigMap holds it (never a Secret's value)."""
    for obj in objects:
        if obj.kind == "Kustomization" and obj.is_flux:
            where: tuple[str, ...] = ("spec", "postBuild", "substitute", VARIABLE)
        elif obj.kind == "ConfigMap" and obj.api_version == "v1":
            where = ("data", VARIABLE)
        else:
            continue
        value = obj.get(*where)
        if isinstance(value, str) and _NAME.fullmatch(value):
            yield ClusterName(value, VARIABLE, obj.path, obj.pos(*where).line)


def _talos(snapshot: RepoSnapshot) -> Iterable[ClusterName]:
    """``clusterName:`` lines of Talos configurations, read as text: their templates are not YAML."""
    for path in snapshot.paths():
        parts = path.split("/")
        if not path.endswith(_TALOS_SUFFIXES) or not (
                "talos" in parts[:-1] or parts[-1].startswith("talconfig.")):
            continue
        if snapshot.size(path) > _MAX_TALOS_BYTES:
            continue
        try:
            text = snapshot.read(path).decode("utf-8", "replace")
        except (OSError, KeyError):
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            match = _TALOS_LINE.match(line)
            if match:
                yield ClusterName(match["name"], "clusterName", path, number)


Found = list[tuple[str, str, str, list["KubeObject"]]]  # (name, root folder, own folder, root Kustomizations)


def named(clusters: Found, objects: Iterable[KubeObject], ignored: Callable[[str], bool],
          snapshot: RepoSnapshot, prefix: str = "") -> tuple[Found, str]:
    """The clusters found, the repository's one cluster given its stated name; and where that name comes from.

    ``clusters`` are ``(name, root folder, own folder, roots)``; only a lone
    cluster without a folder name of its own (``ONE_CLUSTER``) is renamed. Objects in archive
    folders or in paths the source ignores state nothing.
    """
    if len(clusters) != 1 or clusters[0][0] != ONE_CLUSTER:
        return clusters, ""
    _, root, folder, roots = clusters[0]
    # Only these kinds can state a name: no other object's path is asked about (each asks the ignore rules).
    name = stated((o for o in objects if o.kind in _STATING_KINDS and not archived(o.path) and not ignored(o.path)),
                  snapshot)
    if name is not None:
        return [(name.name, root, folder, roots)], name.basis
    return [(of_folder(folder, roots, prefix), root, folder, roots)], "its folder"


def counterpart(name: str, clusters: Sequence[C], others: Sequence[C]) -> C | None:
    """The cluster ``name`` of ``clusters`` (one side of a review) among ``others`` (the other side).

    Clusters are the same cluster by name, except a repository's lone
    cluster, which stays itself when a change edits the name the repository
    gives it (its ``CLUSTER_NAME`` or Talos ``clusterName``) or the folder
    its name falls back to.
    """
    found = next((c for c in others if c.name == name), None)
    if found is None and len(clusters) == 1 == len(others) and clusters[0].name == name \
            and clusters[0].named_from and others[0].named_from:
        return others[0]
    return found
