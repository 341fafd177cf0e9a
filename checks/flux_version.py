"""Which Flux version a cluster runs, as the repository itself says it.

Rules about removed API versions must judge a cluster against the Flux it
runs, not against the newest release: a repository pinned to Flux 2.5 may
still write ``helm.toolkit.fluxcd.io/v2beta1``, which 2.5 serves; it only
blocks the upgrade to the release that removes it. Repositories record their
version in one of these places (each read statically, nothing fetched):

- the header ``flux bootstrap`` writes into ``gotk-components.yaml``
  (``# Flux Version: v2.5.1``);
- a FluxInstance's ``spec.distribution.version`` (``2.7.x``), written as the
  object or as the flux-instance chart's values (``instance.distribution.version``
  in a HelmRelease's ``spec.values`` or in a values file);
- the tag of a source of Flux's own manifests (a ``flux-manifests`` OCIRepository,
  or a GitRepository of ``github.com/fluxcd/flux2``: ``ref.tag: v2.9.4``);
- a kustomization.yaml that installs ``github.com/fluxcd/flux2/manifests/install?ref=v2.9.4``.

A version without a minor (``2.x``, ``latest``) says "the newest", which is
no pin at all, and is not taken.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from checks.flux_apis import BEFORE_GA, introduced_in, release_text, removal
from checks.yaml_docs import YamlFile

if TYPE_CHECKING:
    from checks.model import KubeObject

_HEADER = re.compile(r"^#\s*Flux Version:\s*(?P<version>\S+)", re.IGNORECASE)
_RELEASE = re.compile(r"^v?(?P<major>\d+)\.(?P<minor>\d+)(?:\.(?:\d+|x|\*))?$")
_INSTALL_REF = re.compile(r"fluxcd/flux2/+manifests/install\?ref=(?P<version>v?[0-9][^&\s]*)")
# Flux's own manifests as a source: the flux-manifests artifact, or the flux2 repository itself.
_FLUX_SOURCES = re.compile(r"(/fluxcd/flux-manifests|github\.com[/:]fluxcd/flux2)(\.git)?/?$")
_KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


@dataclass(frozen=True)
class FluxVersion:
    """A Flux release the repository names, and where it says so.

    ``before`` is set when nothing names a release but the objects a cluster
    applies show one: an object in an apiVersion that Flux ``before`` removed
    is applied, so the cluster runs an older release (``release`` is then the
    one just before, ``written`` that apiVersion, ``path``/``line`` the object).
    """

    release: tuple[int, int]
    written: str
    path: str
    line: int
    before: tuple[int, int] | None = None

    @property
    def text(self) -> str:
        if self.before is not None:
            return f"older than {release_text(self.before)}"
        return release_text(self.release)

    @property
    def basis(self) -> str:
        """Where the version comes from, in a user's words."""
        if self.before is not None:
            return (f"implied by the API versions it applies: {self.where} is written in `{self.written}`, "
                    f"which Flux {release_text(self.before)} removed")
        return f"from {self.where}"

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def parse_release(text: object) -> tuple[int, int] | None:
    """``"v2.5.1"``, ``"2.7.x"``, ``"2.9"`` -> ``(major, minor)``; ``"2.x"`` and anything else -> None."""
    match = _RELEASE.match(str(text).strip()) if isinstance(text, str | int | float) else None
    return (int(match["major"]), int(match["minor"])) if match else None


def evidence(files: Mapping[str, YamlFile]) -> list[FluxVersion]:
    """Every Flux version the repository's YAML files name, in file order."""
    found: list[FluxVersion] = []
    for path, loaded in sorted(files.items()):
        found.extend(_in_file(path, loaded))
    return found


def _in_file(path: str, loaded: YamlFile) -> Iterator[FluxVersion]:
    name = path.rpartition("/")[2]  # posixpath.basename, asked of every file
    if name.startswith("gotk-components"):
        for number, line in enumerate(loaded.lines[:10], start=1):
            match = _HEADER.match(line.strip())
            if match:
                yield from _version(match["version"], path, number)
                break
    if name in _KUSTOMIZATION_FILES and "manifests/install?ref=" in loaded.text:  # a line matches only then
        for number, line in enumerate(loaded.lines, start=1):
            match = _INSTALL_REF.search(line)
            if match and not line.lstrip().startswith("#"):
                yield from _version(match["version"], path, number)
    for doc in loaded.docs:
        root = doc.root
        if isinstance(root, dict):
            yield from _in_document(root, path)


def _in_document(root: dict, path: str) -> Iterator[FluxVersion]:
    kind = root.get("kind")
    spec = root.get("spec") if isinstance(root.get("spec"), dict) else {}
    if kind == "FluxInstance":
        yield from _distribution(spec, path)
    elif kind == "HelmRelease" and isinstance(spec.get("values"), dict):
        instance = spec["values"].get("instance")
        if isinstance(instance, dict):
            yield from _distribution(instance, path)
    elif kind in ("OCIRepository", "GitRepository") and _FLUX_SOURCES.search(str(spec.get("url") or "")):
        ref = spec.get("ref")
        if isinstance(ref, dict) and ref.get("tag"):
            yield from _version(ref["tag"], path, _line(ref, "tag"))
    elif kind is None and isinstance(root.get("instance"), dict):
        yield from _distribution(root["instance"], path)  # a values file of the flux-instance chart


def _distribution(parent: dict, path: str) -> Iterator[FluxVersion]:
    distribution = parent.get("distribution")
    if isinstance(distribution, dict) and "version" in distribution:
        yield from _version(distribution["version"], path, _line(distribution, "version"))


def _version(written: object, path: str, line: int) -> Iterator[FluxVersion]:
    release = parse_release(written)
    if release is not None:
        yield FluxVersion(release, str(written), path, line)


def _line(mapping: dict, key: str) -> int:
    positions = getattr(mapping, "value_pos", None)
    return positions[key].line if positions and key in positions else 1


def choose(candidates: Iterable[FluxVersion]) -> FluxVersion | None:
    """The version to judge a cluster by: the lowest it names (the first place that names it).

    Several places rarely disagree; when they do (a bootstrap pin beside a newer
    instance, say), the lowest keeps "the API server rejects it" for what is certain.
    """
    ordered = sorted(candidates, key=lambda v: (v.release, v.path, v.line))
    return ordered[0] if ordered else None


def for_cluster(found: Iterable[FluxVersion], own: Iterable[str], folders: Iterable[str],
                others: Iterable[str] = ()) -> FluxVersion | None:
    """The version of one cluster: named in files it renders or under its folders, else one the rest of
    the repository agrees on (a single-cluster repository often keeps it in a values file); a version
    under ``others`` (the other clusters' folders) belongs to those clusters."""
    found = list(found)
    own_files = set(own)
    prefixes = tuple(f.rstrip("/") + "/" for f in folders if f)
    mine = [v for v in found if v.path in own_files or (prefixes and v.path.startswith(prefixes))]
    if mine:
        return choose(mine)
    theirs = tuple(f.rstrip("/") + "/" for f in others if f)
    shared = [v for v in found if not (theirs and v.path.startswith(theirs))]
    if len({v.release for v in shared}) == 1:
        return choose(shared)
    return None


def implied(objects: Iterable[KubeObject]) -> FluxVersion | None:
    """What the objects a cluster applies show of its Flux, when the repository names no release.

    Flux applies what the default branch holds; an object in an apiVersion a
    release removed would be rejected by that release, so a cluster that applies
    one runs an older Flux (a repository still writing ``helm.toolkit.fluxcd.io/v2beta1``
    throughout runs a release before 2.7). The oldest such version bounds the release.
    When another object needs a release at or past that bound (a v1 OCIRepository
    beside a v1beta1 Kustomization), the objects contradict each other and show nothing.
    """
    oldest: tuple[tuple[int, int], str, int, str] | None = None
    newest_needed: tuple[int, int] | None = None
    for obj in objects:
        if obj.implicit or not obj.is_flux:
            continue
        removed = removal(obj.api_version, obj.kind)
        if removed is not None and removed != BEFORE_GA:
            pos = obj.key_pos("apiVersion")
            candidate = (removed, pos.path, pos.line, obj.api_version)
            if oldest is None or candidate[:3] < oldest[:3]:
                oldest = candidate
        needed = introduced_in(obj.api_version, obj.kind)
        if needed is not None and (newest_needed is None or needed > newest_needed):
            newest_needed = needed
    if oldest is None or (newest_needed is not None and newest_needed >= oldest[0]):
        return None
    before, path, line, api_version = oldest
    return FluxVersion((before[0], before[1] - 1), api_version, path, line, before=before)


def of_cluster(found: Iterable[FluxVersion], own: Iterable[str], folder: str, others: Iterable[str],
               objects: Iterable[KubeObject], configured: Iterable[tuple[str, str, int]] = (),
               name: str = "", source: str = "") -> FluxVersion | None:
    """A cluster's Flux: ``clusters.flux_version`` of the configuration for it, else what the repository
    names for it (``for_cluster``), else what its objects imply (``implied``)."""
    for cluster, written, line in configured:
        release = parse_release(written)
        if cluster == name and release is not None:
            return FluxVersion(release, written, source, line)
    return for_cluster(found, own, [folder], others) or implied(objects)
