"""structure/unrendered-file: a file of Flux objects that no Kustomization of any cluster renders.

Dead configuration: edits to it change nothing, and readers believe it is
live. Only reported when the repository has a cluster. Example, test,
archive and hidden folders and ``.sourceignore``d files are skipped, and so
are the folders something the model does not follow may render (a
Kustomization on an external source, often this repository under another URL,
an OCI copy or an ExternalArtifact; a FluxInstance's sync path): those
folders are built as if they were local, and their files count as rendered.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator

from checks.findings import Finding, Severity, counted
from checks.kustomize_files import FileLister
from checks.model import KubeObject
from checks.repo import RepoModel
from checks.rules.base import Rule, RuleContext
from checks.source import artifact_path, normalize
from checks.substitution import has_placeholder
from checks.yaml_docs import YamlFile, load_yaml

RULE = Rule(
    id="structure/unrendered-file",
    severity=Severity.INFO,
    summary="A file of Flux objects that no Kustomization of any cluster renders",
    doc="""
        A manifest that nothing renders is dead configuration: edits to it change
        nothing, and readers believe it is live. Usually a folder was removed
        from a kustomization.yaml (or commented out) and the files stayed.
        Only reported when the repository has a cluster; files in example,
        test, archive and hidden folders, files ignored by `.sourceignore`, and
        folders a Kustomization on an external source may render are skipped.

        Failing:
            # apps/kustomization.yaml
            resources:
              # - ./old-app       (apps/old-app/release.yaml still holds a HelmRelease)
              - ./podinfo

        Passing: delete apps/old-app/, or list it again.
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    model = ctx.model
    if not model.clusters:
        return  # without a cluster nothing is rendered, so nothing is dead
    roots = {node.kustomization.path for cluster in model.clusters for node in cluster.renders.values()}
    by_file: dict[str, list[KubeObject]] = {}
    for obj in model.unrendered_objects():
        if obj.is_flux and obj.path not in roots and not _outside_clusters(obj.path):
            by_file.setdefault(obj.path, []).append(obj)
    if not by_file:
        return
    maybe = _possibly_rendered_files(model)
    for path, objects in sorted(by_file.items()):
        if path in maybe or model.ignore.ignored(path):
            continue
        first = objects[0]
        more = f" and {counted(len(objects) - 1, 'more Flux object')}" if len(objects) > 1 else ""
        them = "them" if more else "it"
        yield Finding(
            "structure/unrendered-file", Severity.INFO, path, first.line,
            f"{first.id}{more} in this file {'are' if more else 'is'} rendered by no Kustomization of any cluster, "
            f"so Flux never applies {them}. Delete the file if it is obsolete, or list it again in a "
            "kustomization.yaml.")


# Folders whose manifests are examples, tests or archives, not dead cluster config.
NON_CLUSTER_FOLDERS = frozenset((
    "docs", "doc", "example", "examples", "test", "tests", "testdata", "hack", "scripts", "templates",
    "archive", "archived", ".archive", "old", "deprecated", "unused", "disabled", "bootstrap",
))


def _outside_clusters(path: str) -> bool:
    """Examples, tests, archives and hidden folders are not meant to be applied."""
    folders = path.split("/")[:-1]
    return any(part.startswith(".") or part.lower() in NON_CLUSTER_FOLDERS for part in folders)


def _possibly_rendered_files(model: RepoModel) -> set[str]:
    """Files something the model does not follow may render: a Kustomization on an external
    source (often this repository under another URL, an OCI copy or an ExternalArtifact) or a
    FluxInstance's sync path. Their folders are built as if they were local."""
    folders: set[str] = set()
    for cluster in model.clusters:
        for node in cluster.renders.values():
            if node.external:
                folders |= _candidate_folders(model, node.kustomization)
    rendered = model.rendered_files
    for obj in model.objects:
        if obj.kind == "FluxInstance":
            folders |= _repo_folders(model, obj.get("spec", "sync", "path"))
        elif obj.kind == "Kustomization" and obj.is_flux:
            # A live Kustomization (its own file is rendered, or it renders itself as a
            # bootstrap root does) makes its folder live, whatever the model made of it.
            candidates = _candidate_folders(model, obj)
            if obj.path in rendered or any(f == "" or obj.path.startswith(f + "/") for f in candidates):
                folders |= candidates
    return FileLister(model.snapshot, _loader(model), model.ignore.ignored).files_of(sorted(folders))


def _loader(model: RepoModel) -> Callable[[str], YamlFile]:
    def load(path: str) -> YamlFile:
        loaded = model.files.get(path)
        if loaded is None:
            try:
                data = model.snapshot.read(path)
            except (KeyError, OSError):
                data = b""
            loaded = load_yaml(path, data)
        return loaded

    return load


def _candidate_folders(model: RepoModel, ks: KubeObject) -> set[str]:
    """Folders of this snapshot an external Kustomization's path may name."""
    path = ks.get("spec", "path")
    ref = ks.get("spec", "sourceRef")
    folders = _repo_folders(model, path)
    if isinstance(ref, dict) and ref.get("kind") == "ExternalArtifact" and isinstance(path, str | None):
        for origin in _artifact_origins(model, str(ref.get("name") or ""), normalize(path or "")):
            folders |= _repo_folders(model, origin)
    return folders


def _artifact_origins(model: RepoModel, name: str, path: str) -> Iterator[str]:
    """Where an ArtifactGenerator copies the part of artifact ``name`` under ``path`` from."""
    for obj in model.objects:
        if obj.kind != "ArtifactGenerator":
            continue
        for artifact in obj.get("spec", "artifacts") or []:
            if not isinstance(artifact, dict) or artifact.get("name") != name:
                continue
            for copy in artifact.get("copy") or []:
                if not isinstance(copy, dict):
                    continue
                origin = re.sub(r"/?\*\*?$", "", str(copy.get("from") or "")).lstrip("@").partition("/")[2]
                target = str(copy.get("to") or "").removeprefix("@artifact").strip("/")
                if not target or path == target or path.startswith(target + "/"):
                    yield posixpath.join(origin, path[len(target):].strip("/")) if target else posixpath.join(
                        origin, path)


def _repo_folders(model: RepoModel, path: object) -> set[str]:
    """A path as folders of this snapshot: as written, without a leading checkout prefix,
    or the one folder that ends with it (the snapshot is a subfolder of a larger tree)."""
    if path is None or (isinstance(path, str) and artifact_path(path) == ""):
        return {""}
    if not isinstance(path, str) or has_placeholder(path):
        return set()
    parts = artifact_path(path).split("/")
    for cut in range(len(parts)):
        candidate = "/".join(parts[cut:])
        if candidate and model.snapshot.is_dir(candidate):
            return {candidate}
    wanted = "/" + "/".join(parts)
    folders = model.memo.get("file_folders")  # asked for every external or FluxInstance path: listed once
    if folders is None:
        folders = model.memo["file_folders"] = {posixpath.dirname(p) for p in model.snapshot.paths()}
    ending = {f for f in folders if f.endswith(wanted)}
    return ending if len(ending) == 1 else set()
