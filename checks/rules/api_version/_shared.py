"""What the api-version rules share: the objects they read and the Flux each is judged against.

Every rule of the group reads the same objects (each Flux object as written,
once per document) against the same tables of current and removed versions;
the field rules also agree on which objects the current schema speaks for
and read one-line ``key: value`` entries the same way for their fixes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from checks.cluster_name import counterpart
from checks.config import Config
from checks.edits import line_text
from checks.flux_apis import CURRENT_API_VERSIONS, removed_in
from checks.flux_version import FluxVersion, implied
from checks.model import KubeObject
from checks.repo import Cluster, RepoModel


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

    ``version`` is where the repository names that release, or what the
    cluster's objects imply (None when it comes from the configuration or the
    default); ``pinned`` is False for the default.
    """

    release: tuple[int, int]
    version: FluxVersion | None = None
    pinned: bool = False

    @property
    def implied(self) -> bool:
        return self.version is not None and self.version.before is not None

    @property
    def text(self) -> str:
        return f"{self.release[0]}.{self.release[1]}"

    @property
    def source(self) -> str:
        if self.version is not None:
            return f"the version {self.version.where} names"
        return "the configured version" if self.pinned else "the default version"


def written_flux_objects(model: RepoModel, previous: RepoModel | None = None,
                         ) -> list[tuple[KubeObject, str, Running]]:
    """Every Flux object as written, once per document, with the id users know it by and its Flux.

    The id comes from the first cluster that renders the document (where the
    namespace is resolved); an unrendered document keeps the namespace it writes.
    The Flux release is the configured one when the configuration names it, else
    the newest the rendering clusters run (a cluster whose repository names no
    version runs what its objects imply, else the default). In a review, only the
    base can imply a release: a change that adds an old apiVersion to clusters
    whose base shows nothing old is judged against the default, not against itself.
    Found once per model: the three api-version rules read it.
    """
    key = ("written_flux_objects", previous is not None)
    found = model.memo.get(key)
    if found is None:
        found = model.memo[key] = list(_written_flux_objects(model, previous))
    return found


def _written_flux_objects(model: RepoModel, previous: RepoModel | None,
                          ) -> Iterator[tuple[KubeObject, str, Running]]:
    ids: dict[tuple[str, int], str] = {}
    clusters: dict[tuple[str, int], list[Cluster]] = {}
    for cluster in model.clusters:
        for obj in cluster.objects:
            if not obj.implicit:
                if (obj.path, obj.doc_index) not in ids:
                    ids[obj.path, obj.doc_index] = obj.id
                found = clusters.setdefault((obj.path, obj.doc_index), [])
                if not found or found[-1] is not cluster:  # clusters are walked one after another
                    found.append(cluster)
    versions = {c.name: _version(c, model, previous) for c in model.clusters}
    unclustered = None if model.clusters else _unclustered(model, previous)
    # Most documents share their clusters: by their names (a version's hash is a Python call per field).
    running: dict[tuple[str, ...], Running] = {}
    for obj in model.objects:
        if obj.is_flux and obj.kind in CURRENT_API_VERSIONS:
            key = (obj.path, obj.doc_index)
            if (model.clusters and key not in clusters) or obj.path in model.facts.unapplied:
                continue  # no cluster applies it, or no build would: see RepoModel.unrendered_judged
            names = tuple(c.name for c in clusters.get(key, ()))
            found = running.get(names)
            if found is None:
                candidates = [versions[name] for name in names] or [unclustered]
                found = running[names] = _running(model.config, candidates)
            yield obj, ids.get(key, obj.id), found


def _version(cluster: Cluster, model: RepoModel, previous: RepoModel | None) -> FluxVersion | None:
    version = cluster.flux_version
    if version is None or version.before is None or previous is None:
        return version
    base = counterpart(cluster.name, model.clusters, previous.clusters)
    if base is not None and (base.flux_version is None or base.flux_version.before is None):
        return None  # the base implies nothing: the change's own objects do not lower the release
    return version


def _unclustered(model: RepoModel, previous: RepoModel | None) -> FluxVersion | None:
    """A repository another one applies has no cluster: its objects as a whole imply its Flux."""
    version = implied(model.objects)
    if version is not None and previous is not None and implied(previous.objects) is None:
        return None
    return version


def _running(config: Config, versions: list[FluxVersion | None]) -> Running:
    if config.flux_version is not None:
        return Running(config.flux_release, pinned=True)
    candidates = [Running(v.release, v, True) if v else Running(config.flux_release) for v in versions]
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
