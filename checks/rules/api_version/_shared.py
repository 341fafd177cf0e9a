"""What the api-version rules share: Flux's version tables and the objects they read.

Every rule of the group reads the same objects (each Flux object as written,
once per document) against the same tables of current and removed versions;
the field rules also agree on which objects the current schema speaks for
and read one-line ``key: value`` entries the same way for their fixes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from checks.config import Config
from checks.edits import line_text
from checks.flux_version import FluxVersion
from checks.model import KubeObject
from checks.repo import Cluster, RepoModel

# The version each Flux kind should be written in (Flux 2.9).
CURRENT_API_VERSIONS: dict[str, str] = {
    "GitRepository": "source.toolkit.fluxcd.io/v1",
    "HelmRepository": "source.toolkit.fluxcd.io/v1",
    "HelmChart": "source.toolkit.fluxcd.io/v1",
    "Bucket": "source.toolkit.fluxcd.io/v1",
    "OCIRepository": "source.toolkit.fluxcd.io/v1",
    "Kustomization": "kustomize.toolkit.fluxcd.io/v1",
    "HelmRelease": "helm.toolkit.fluxcd.io/v2",
    "Alert": "notification.toolkit.fluxcd.io/v1beta3",
    "Provider": "notification.toolkit.fluxcd.io/v1beta3",
    "Receiver": "notification.toolkit.fluxcd.io/v1",
    "ImageRepository": "image.toolkit.fluxcd.io/v1",
    "ImagePolicy": "image.toolkit.fluxcd.io/v1",
    "ImageUpdateAutomation": "image.toolkit.fluxcd.io/v1",
}

# Alpha versions went away before Flux 2.0: gone whatever release a cluster runs.
BEFORE_GA = (2, 0)

# The Flux release whose CRDs dropped each version (upstream: flux2 issues
# #5474, #5711 and #5942, the 2.7 release blog). The alpha versions went away
# before Flux 2.0 GA; "2.0" stands for "already gone in every 2.x".
REMOVED_IN: dict[str, tuple[int, int]] = {
    "source.toolkit.fluxcd.io/v1alpha1": BEFORE_GA,
    "source.toolkit.fluxcd.io/v1beta1": (2, 7),
    "source.toolkit.fluxcd.io/v1beta2": (2, 8),
    "kustomize.toolkit.fluxcd.io/v1alpha1": BEFORE_GA,
    "kustomize.toolkit.fluxcd.io/v1beta1": (2, 7),
    "kustomize.toolkit.fluxcd.io/v1beta2": (2, 8),
    "helm.toolkit.fluxcd.io/v2alpha1": BEFORE_GA,
    "helm.toolkit.fluxcd.io/v2beta1": (2, 7),
    "helm.toolkit.fluxcd.io/v2beta2": (2, 8),
    "notification.toolkit.fluxcd.io/v1alpha1": BEFORE_GA,
    "notification.toolkit.fluxcd.io/v1beta1": (2, 7),
    "notification.toolkit.fluxcd.io/v1beta2": (2, 9),
    "image.toolkit.fluxcd.io/v1alpha1": BEFORE_GA,
    "image.toolkit.fluxcd.io/v1alpha2": BEFORE_GA,
    "image.toolkit.fluxcd.io/v1beta1": (2, 7),
    "image.toolkit.fluxcd.io/v1beta2": (2, 9),
}



def removed_in(api_version: str, kind: str, target: tuple[int, int]) -> tuple[int, int] | None:
    """The release that removed ``api_version`` for ``kind``, if it is at or before ``target``."""
    if kind not in CURRENT_API_VERSIONS:
        return None
    removed = REMOVED_IN.get(api_version)
    return removed if removed is not None and (removed <= target or removed == BEFORE_GA) else None


def must_migrate(obj: KubeObject, target: tuple[int, int]) -> bool:
    """Field rules speak of the current schema: objects on it, or on a version that is gone.

    An object on a beta version the configured Flux still serves may legally
    use that version's fields; it is left alone until the version goes.
    """
    current = CURRENT_API_VERSIONS.get(obj.kind)
    return current is not None and (
        obj.api_version == current or removed_in(obj.api_version, obj.kind, target) is not None)


@dataclass(frozen=True)
class Running:
    """The Flux a document is judged against: the newest release among the clusters that apply it.

    ``version`` is where the repository names that release (None when it comes
    from the configuration or the default); ``pinned`` is False for the default.
    """

    release: tuple[int, int]
    version: FluxVersion | None = None
    pinned: bool = False

    @property
    def text(self) -> str:
        return f"{self.release[0]}.{self.release[1]}"

    @property
    def source(self) -> str:
        if self.version is not None:
            return f"the version {self.version.where} names"
        return "the configured version" if self.pinned else "the default version"


def written_flux_objects(model: RepoModel) -> list[tuple[KubeObject, str, Running]]:
    """Every Flux object as written, once per document, with the id users know it by and its Flux.

    The id comes from the first cluster that renders the document (where the
    namespace is resolved); an unrendered document keeps the namespace it writes.
    The Flux release is the configured one when the configuration names it, else
    the newest the rendering clusters run (a cluster whose repository names no
    version runs the default). Found once per model: the three api-version rules read it.
    """
    found = model.memo.get("written_flux_objects")
    if found is None:
        found = model.memo["written_flux_objects"] = list(_written_flux_objects(model))
    return found


def _written_flux_objects(model: RepoModel) -> Iterator[tuple[KubeObject, str, Running]]:
    ids: dict[tuple[str, int], str] = {}
    clusters: dict[tuple[str, int], list[Cluster]] = {}
    for cluster in model.clusters:
        for obj in cluster.objects:
            if not obj.implicit:
                if (obj.path, obj.doc_index) not in ids:
                    ids[obj.path, obj.doc_index] = obj.id
                found = clusters.setdefault((obj.path, obj.doc_index), [])
                if cluster not in found:
                    found.append(cluster)
    for obj in model.objects:
        if obj.is_flux and obj.kind in CURRENT_API_VERSIONS:
            key = (obj.path, obj.doc_index)
            if model.clusters and key not in clusters:
                continue  # no cluster applies it: see RepoModel.unrendered_judged
            yield obj, ids.get(key, obj.id), _running(model.config, clusters.get(key, []))


def _running(config: Config, clusters: list[Cluster]) -> Running:
    if config.flux_version is not None:
        return Running(config.flux_release, pinned=True)
    candidates = [Running(c.flux_version.release, c.flux_version, True) if c.flux_version
                  else Running(config.flux_release) for c in clusters]
    return max(candidates, key=lambda r: r.release) if candidates else Running(config.flux_release)


def present(obj: KubeObject, path: tuple[str, ...]) -> bool:
    """Whether the object writes the key at ``path`` at all (whatever its value, even null)."""
    parent = obj.get(*path[:-1])
    return isinstance(parent, dict) and path[-1] in parent


_KEY_VALUE = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z0-9_]+)\s*:\s*(?P<rest>.*)$")


def one_line_value(model: RepoModel, obj: KubeObject, *path: str) -> tuple[str, str, int] | None:
    """``(indent, value text with any comment, line)`` when key and scalar value share one line."""
    key_pos = obj.key_pos(*path)
    value_pos = obj.pos(*path)
    if key_pos.path != value_pos.path or key_pos.line != value_pos.line or value_pos.end_line != key_pos.line:
        return None
    text = line_text(model, key_pos.path, key_pos.line)
    match = _KEY_VALUE.match(text or "")
    if match is None or match["key"] != path[-1] or not match["rest"] or match["rest"][0] in "|>&*{[":
        return None
    return match["indent"], match["rest"], key_pos.line
