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

import fnmatch
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from checks.bootstrap import BOOTSTRAP_NAMESPACE
from checks.findings import Finding, Severity
from checks.model import KubeObject
from checks.source import RepoSnapshot, artifact_path
from checks.yaml_docs import YamlFile

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
    import difflib  # only for a name that matches nothing: not every check pays its import

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


@dataclass(frozen=True)
class LayoutFacts:
    """What the model inferred about the repository as a whole, for `flux-review layout`.

    ``oci_root`` is the folder CI builds this repository's OCI artifact from
    (None: no push found, or pushes that disagree), ``pushed`` where CI says so,
    and ``prefix`` the folder a snapshot of a subfolder sits in (its paths carry it).
    """

    oci_root: str | None = None
    pushed: tuple[PushedArtifact, ...] = ()
    prefix: str = ""
    unapplied: frozenset[str] | tuple[str, ...] = ()  # no cluster here: files a kustomization.yaml never applies


@dataclass(frozen=True)
class PushedArtifact:
    """A folder the repository's CI pushes as an OCI artifact (``flux push artifact --path``), and where it says so."""

    folder: str
    path: str
    line: int


_CI_FILES = re.compile(r"^\.github/workflows/[^/]+\.ya?ml$|^\.gitlab-ci\.ya?ml$|^(Taskfile|justfile|Makefile)")
_CI_STARTS = (".github/workflows/", ".gitlab-ci.", "Taskfile", "justfile", "Makefile")  # what _CI_FILES starts with
_FLUX_PUSH = re.compile(r"flux\s+push\s+artifact\b")
_PATH_FLAG = re.compile(r"--path(?:=|\s+)[\"']?(?P<path>[^\"'\s\\]+)")
_PUSH_ACTION = re.compile(r"uses:\s*['\"]?[\w.-]+/distribution/actions/push@")
_WITH_PATH = re.compile(r"^\s+path:\s*[\"']?(?P<path>[^\"'\s#]+)")


def pushed_artifacts(snapshot: RepoSnapshot, max_bytes: int = 256 * 1024) -> list[PushedArtifact]:
    """Folders CI pushes as OCI artifacts: ``flux push artifact ... --path=DIR`` commands (a command
    may continue over ``\\`` lines) and the flux-operator distribution ``push`` action's ``path:``."""
    found: list[PushedArtifact] = []
    for file in snapshot.paths():
        if (not file.startswith(_CI_STARTS) or not _CI_FILES.match(file)  # a string test first: asked of every file
                or snapshot.size(file) > max_bytes):
            continue
        try:
            text = snapshot.read(file).decode("utf-8", "replace")
        except (OSError, KeyError):
            continue
        # A line matches only if the whole text does: most workflows (a `git push`) are not searched line by line.
        if "push" not in text or not (_FLUX_PUSH.search(text) or _PUSH_ACTION.search(text)):
            continue
        lines = text.splitlines()
        for number, line in enumerate(lines):
            if _FLUX_PUSH.search(line):
                command = line
                following = number
                while command.rstrip().endswith("\\") and following + 1 < len(lines):
                    following += 1
                    command = command.rstrip()[:-1] + " " + lines[following]
                match = _PATH_FLAG.search(command)
                if match:
                    found.append(PushedArtifact(artifact_path(match["path"]), file, number + 1))
            elif _PUSH_ACTION.search(line):
                indent = len(line) - len(line.lstrip(" -"))
                for offset, later in enumerate(lines[number + 1:number + 16], start=number + 2):
                    if later.strip() and len(later) - len(later.lstrip(" -")) <= indent - 2:
                        break  # the next step
                    match = _WITH_PATH.match(later)
                    if match:
                        found.append(PushedArtifact(artifact_path(match["path"]), file, offset))
                        break
    return found


def artifact_root(pushed: Sequence[PushedArtifact], configured: str | None = None) -> str | None:
    """The folder this repository's OCI artifacts are built from, when every push agrees; else None.

    ``configured`` (``repository.artifact_root``) wins: CI may build the artifact where no
    file of the repository shows it (another repository's pipeline, a script this reads not).
    ``""`` is the repository's root.
    """
    if configured is not None:
        return artifact_path(configured)
    folders = {p.folder for p in pushed}
    return folders.pop() if len(folders) == 1 else None


@dataclass(frozen=True)
class Sync:
    """What a FluxInstance syncs: the source kind and the path inside it, and where that is written."""

    kind: str
    path: str
    file: str
    line: int
    # The instance's ``kustomize.patches``: flux-operator applies them to what it generates,
    # the sync Kustomization included.
    patches: Any = None
    url: str = ""


def flux_instance_syncs(files: Mapping[str, YamlFile]) -> list[Sync]:
    """Every ``sync`` of a FluxInstance: the object, or the flux-instance chart's values (in a HelmRelease's
    ``spec.values.instance`` or a values file's ``instance``). A path with ``${`` is not known here."""
    found: list[Sync] = []
    for file, loaded in sorted(files.items()):
        for doc in loaded.docs:
            root = doc.root
            kind = root.get("kind") if isinstance(root, dict) else ""  # the kinds below are asked of every document
            if kind is not None and kind != "FluxInstance" and kind != "HelmRelease":
                continue
            spec = root.get("spec") if isinstance(root.get("spec"), dict) else {}
            if root.get("kind") == "FluxInstance":
                instance = spec
            elif root.get("kind") == "HelmRelease" and isinstance(spec.get("values"), dict):
                instance = spec["values"].get("instance")
            elif root.get("kind") is None:
                instance = root.get("instance")
            else:
                continue
            if not isinstance(instance, dict):
                continue
            sync = instance.get("sync")
            kustomize = instance.get("kustomize")
            if isinstance(sync, dict) and isinstance(sync.get("path"), str) and "${" not in sync["path"]:
                line = sync.value_pos["path"].line if hasattr(sync, "value_pos") else 1
                patches = kustomize.get("patches") if isinstance(kustomize, dict) else None
                found.append(Sync(str(sync.get("kind") or "GitRepository"), sync["path"], file, line, patches,
                                  str(sync.get("url") or "")))
    return found


def normalise_url(url: str) -> str:
    """A repository URL in the form every URL of that repository shares: no scheme, user, ``.git`` or case.

    Remembered (every rendering of a Kustomization compares the URLs of its cluster's sources), except a
    URL with a user part: a credential written into it is not kept past the review that read it.
    """
    return _normalised(url) if "@" not in url else _normalise(url)


def _normalise(url: str) -> str:
    url = url.strip().lower().removesuffix("/").removesuffix(".git")
    url = re.sub(r"^[a-z+]+://", "", url)
    url = re.sub(r"^[^@/]+@", "", url)
    return url.replace(":", "/", 1) if "/" not in url.split(":", 1)[0] else url


_normalised = lru_cache(maxsize=4096)(_normalise)


def own_urls(files: Mapping[str, YamlFile], configured: str | None = None) -> list[str]:
    """URLs this repository is fetched from: every FluxInstance ``sync.url``, and ``repository.url``.

    A source of the same URL under another name (a tenant's OCIRepository of the
    fleet's own artifact, made by a ResourceSet) reads this repository too.
    """
    found = [sync.url for sync in flux_instance_syncs(files) if sync.url and "${" not in sync.url]
    return found + ([configured] if configured else [])


def synced_folders(files: Mapping[str, YamlFile], snapshot: RepoSnapshot,
                   in_artifact: Callable[[str, str], str]) -> dict[str, Sync]:
    """The folders FluxInstances sync, as folders of this repository (those that exist).

    ``in_artifact`` turns a path inside a source of that kind into a folder of the
    repository (an OCI artifact may be built from a subfolder).
    """
    found: dict[str, Sync] = {}
    for sync in flux_instance_syncs(files):
        if sync.kind not in ("GitRepository", "OCIRepository") or archived(sync.file):
            continue
        folder = in_artifact(sync.kind, artifact_path(sync.path))
        if folder and snapshot.is_dir(folder):
            found.setdefault(folder, sync)
    return found


def cluster_names(folders: Sequence[str]) -> list[str]:
    """A name per cluster folder: the folder name that tells it from the others (``main``, ``storage``).

    One folder is the repository's one cluster; folders no single name tells apart keep their path.
    """
    if len(folders) == 1:
        return [ONE_CLUSTER]
    parts = [f.split("/") for f in folders]
    depth = 0
    while all(len(p) > depth for p in parts) and len({p[depth] for p in parts}) == 1:
        depth += 1
    names = [p[depth] if len(p) > depth else "/".join(p) for p in parts]
    return names if len(set(names)) == len(names) else list(folders)


def checkout_prefix(objects: Iterable[KubeObject], snapshot: RepoSnapshot) -> str:
    """The folder this snapshot is inside its real repository, when paths say so.

    A snapshot of ``tests/testdata/cluster`` whose Kustomizations point at
    ``./tests/testdata/cluster/apps`` is a subfolder of a larger repository:
    strip that prefix instead of reporting every path missing.
    """
    votes: dict[str, int] = {}
    direct = 0
    for obj in objects:
        if obj.kind != "Kustomization" or not obj.is_flux:
            continue
        path = obj.get("spec", "path")
        if not isinstance(path, str):
            continue
        parts = artifact_path(path).split("/")
        if not parts[0] or snapshot.is_dir("/".join(parts)):
            direct += bool(parts[0])
            continue
        for cut in range(1, len(parts)):
            if snapshot.is_dir("/".join(parts[cut:])) and not snapshot.is_dir(parts[0]):
                prefix = "/".join(parts[:cut])
                votes[prefix] = votes.get(prefix, 0) + 1
                break
    # In a subfolder snapshot most paths carry the prefix; a lone typo must stay a missing path.
    best = max(votes, key=lambda p: (votes[p], len(p))) if votes else ""
    return best if best and votes[best] > direct else ""


def generated_artifacts(objects: Iterable[KubeObject], is_repository: Callable[[str, str, str], bool]
                        ) -> dict[str, list[tuple[str, str]]]:
    """ExternalArtifacts an ArtifactGenerator makes from this repository: name -> (to, from) folders."""
    artifacts: dict[str, list[tuple[str, str]]] = {}
    for obj in objects:
        if obj.kind != "ArtifactGenerator" or not obj.is_flux:
            continue
        aliases = {}
        for source in obj.get("spec", "sources") or []:
            if isinstance(source, dict) and is_repository(
                    str(source.get("kind") or "GitRepository"),
                    str(source.get("namespace") or obj.namespace or BOOTSTRAP_NAMESPACE),
                    str(source.get("name") or "")):
                aliases[str(source.get("alias") or "")] = True
        for artifact in obj.get("spec", "artifacts") or []:
            if not isinstance(artifact, dict):
                continue
            copies = []
            for copy in artifact.get("copy") or []:
                if not isinstance(copy, dict):
                    continue
                origin, target = str(copy.get("from") or ""), str(copy.get("to") or "")
                alias, _, rest = origin.lstrip("@").partition("/")
                if alias not in aliases or not target.startswith("@artifact"):
                    continue
                folder = re.sub(r"/?\*\*?$", "", rest).strip("/")
                copies.append((target.removeprefix("@artifact").strip("/"), folder))
            if copies:
                artifacts[str(artifact.get("name") or "")] = copies
    return artifacts


def path_missing(ks: KubeObject, folder: str, snapshot: RepoSnapshot, excluded: bool = False) -> Finding:
    """The finding for a Kustomization whose ``spec.path`` is not a folder of its source (or its source
    leaves the folder out), with the folder a typo most likely meant."""
    pos = ks.pos("spec", "path")
    if excluded:
        return Finding(
            "structure/path-missing", Severity.ERROR, pos.path, pos.line,
            f"{ks.id} renders `spec.path: {ks.get('spec', 'path')}`, which its source leaves out of the artifact "
            "(its `spec.ignore` or a `.sourceignore` excludes the folder): the Kustomization fails with "
            "\"kustomization path not found\". Keep the folder in the source, or fix the path.",
            object=ks.id, key="spec.path",
        )
    suggestion = nearest_folder(folder, snapshot)
    hint = f" Did you mean `./{suggestion}`?" if suggestion else ""
    written = ks.get("spec", "path")
    resolved = f" (`./{folder}` once its parent's postBuild variables are substituted)" if "${" in str(written) else ""
    return Finding(
        "structure/path-missing", Severity.ERROR, pos.path, pos.line,
        f"{ks.id} renders `spec.path: {written}`{resolved}, which is not a folder of this "
        f"repository; the Kustomization fails.{hint}",
        object=ks.id, key="spec.path",
    )


_FEATURE_GATES = re.compile(r"--feature-gates=(?P<gates>[A-Za-z0-9=,]+)")


def enabled_feature_gates(files: Mapping[str, YamlFile]) -> frozenset[str]:
    """Controller feature gates the repository switches on (``--feature-gates=Name=true`` in controller
    arguments: FluxInstance or bootstrap patches, Deployment manifests), wherever they are written."""
    enabled: set[str] = set()
    for loaded in files.values():
        if "--feature-gates" not in loaded.text:
            continue
        for match in _FEATURE_GATES.finditer(loaded.text):
            for item in match["gates"].split(","):
                name, _, value = item.partition("=")
                if name and value.lower() in ("", "true"):
                    enabled.add(name)
    return frozenset(enabled)
