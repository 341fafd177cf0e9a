"""What a repository's layout says before anything is rendered: dead folders and cluster roots.

Flux applies what a cluster's root Kustomization leads to and nothing else.
When a repository has no ``clusters/<name>/`` folders, the roots are inferred:
the Flux Kustomizations no other Kustomization renders. Two things keep that
inference honest on real repositories:

- Archive folders (``.archive/``, ``_archive/``, ``archive/``) hold manifests
  kept for reference. Their Kustomizations are no roots: nothing applies them
  unless a live Kustomization names their folder.
- Several clusters in one repository (``kubernetes/main/...`` beside
  ``kubernetes/storage/...``) each have a root, often of the same id
  (``flux-system/cluster``). Two roots of one id are two clusters, never one:
  they are told apart by the first folder their paths differ in, which then
  names each cluster.
"""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Iterable, Sequence

from checks.model import KubeObject
from checks.source import RepoSnapshot
from checks.yaml_docs import Pos, YMap

BOOTSTRAP_NAMESPACE = "flux-system"
ARCHIVE_FOLDERS = frozenset((".archive", "_archive", "archive"))
ONE_CLUSTER = "default"


def archived(path: str) -> bool:
    """True for a file inside an archive folder (at any depth)."""
    return any(part in ARCHIVE_FOLDERS for part in path.split("/")[:-1])


def split_clusters(roots: Sequence[KubeObject]) -> list[tuple[str, str, list[KubeObject]]]:
    """Inferred roots grouped into clusters: ``[(cluster name, its folder, its roots)]``.

    Without two roots of one id every root belongs to one cluster. Otherwise
    the roots of a clashing id differ first at some folder depth; each folder
    name found there is a cluster, holding the roots under it, and the roots
    under none of them (shared ones) belong to every cluster. When that still
    leaves one id twice in a cluster, the roots stay one cluster as before.
    """
    ids = [root.id for root in roots]
    clashing = [root for root in roots if ids.count(root.id) > 1]
    if not clashing:
        return [(ONE_CLUSTER, "", list(roots))]
    folders = [root.path.split("/")[:-1] for root in clashing]
    depth = 0
    while all(len(f) > depth for f in folders) and len({f[depth] for f in folders}) == 1:
        depth += 1
    if not all(len(f) > depth for f in folders):
        return [(ONE_CLUSTER, "", list(roots))]
    prefix = folders[0][:depth]
    names = sorted({f[depth] for f in folders})
    groups: dict[str, list[KubeObject]] = {name: [] for name in names}
    for root in roots:
        parts = root.path.split("/")[:-1]
        own = parts[depth] if len(parts) > depth and parts[:depth] == prefix else None
        for name in names if own not in groups else [own]:
            groups[name].append(root)
    for members in groups.values():
        member_ids = [root.id for root in members]
        if len(set(member_ids)) != len(member_ids):
            return [(ONE_CLUSTER, "", list(roots))]
    return [(name, "/".join([*prefix, name]), members) for name, members in groups.items()]


def segment_match(path: str, pattern: str) -> bool:
    """Glob match where ``*`` stays within one folder name (``clusters/*`` is not recursive)."""
    parts, globs = path.split("/"), pattern.split("/")
    return len(parts) == len(globs) and all(fnmatch.fnmatchcase(p, g) for p, g in zip(parts, globs,
                                                                                          strict=True))


def nearest_folder(folder: str, snapshot: RepoSnapshot) -> str | None:
    """An existing folder one small typo away (same parent, close name), if exactly one."""
    parent, _, name = folder.rpartition("/")
    if parent and not snapshot.is_dir(parent):
        fixed_parent = nearest_folder(parent, snapshot)
        if not fixed_parent:
            return None
        parent = fixed_parent
        if snapshot.is_dir(f"{parent}/{name}"):
            return f"{parent}/{name}"
    siblings = snapshot.listdir(parent)[1]
    close = difflib.get_close_matches(name, siblings, n=2, cutoff=0.8)
    if len(close) == 1:
        return f"{parent}/{close[0]}" if parent else close[0]
    return None


def cluster_folders(paths: Iterable[str], patterns: Iterable[str],
                    rendered_from_outside: Iterable[tuple[str, str]] = ()) -> list[str]:
    """The folders that match the configured cluster roots (``clusters/*``), in pattern order.

    ``rendered_from_outside`` are ``(file, folder)`` pairs: a Kustomization written
    in ``file`` renders ``folder``. A matching folder that a Kustomization written
    outside it renders is part of that other cluster (an opt-in folder beside
    ``clusters/main``, say), not a cluster of its own; a cluster's own bootstrap
    Kustomization is written inside its folder.
    """
    taken = {folder for file, folder in rendered_from_outside
             if folder and not file.startswith(folder.rstrip("/") + "/")}
    expanded: set[str] = set()
    for folder in {p.rpartition("/")[0] for p in paths}:
        while folder:
            expanded.add(folder)
            folder = folder.rpartition("/")[0]
    folders: list[str] = []
    for pattern in patterns:
        pattern = pattern.strip("/")
        folders.extend(sorted(f for f in expanded if segment_match(f, pattern) and f not in taken))
    return list(dict.fromkeys(folders))


def bootstrap_kustomization(folder: str) -> KubeObject:
    """The flux-system Kustomization ``flux bootstrap`` makes for a cluster folder (written or not)."""
    pos = Pos(folder + "/", 1, 1)
    body = YMap(pos)
    for key, value in (("apiVersion", "kustomize.toolkit.fluxcd.io/v1"), ("kind", "Kustomization")):
        body.set(key, value, pos, pos)
    meta = YMap(pos)
    meta.set("name", BOOTSTRAP_NAMESPACE, pos, pos)
    meta.set("namespace", BOOTSTRAP_NAMESPACE, pos, pos)
    body.set("metadata", meta, pos, pos)
    spec = YMap(pos)
    spec.set("path", "./" + folder, pos, pos)
    spec.set("interval", "10m", pos, pos)
    spec.set("prune", True, pos, pos)
    ref = YMap(pos)
    ref.set("kind", "GitRepository", pos, pos)
    ref.set("name", BOOTSTRAP_NAMESPACE, pos, pos)
    spec.set("sourceRef", ref, pos, pos)
    body.set("spec", spec, pos, pos)
    return KubeObject(body, folder + "/", -1, BOOTSTRAP_NAMESPACE, implicit=True)
