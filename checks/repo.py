"""The repository model: every object, every cluster, and what renders what.

Building the model is the one place that knows how a Flux repository is
laid out. Clusters come from ``clusters/<name>/`` (or configured roots);
a repository without them is one cluster whose roots are the Flux
Kustomizations nothing else renders. From each root the render tree is
followed: every Flux Kustomization whose source is this repository renders
its ``spec.path`` (statically, see ``kustomize``), and the Kustomizations it
renders are followed in turn with the effective spec their parents' patches
gave them.
"""

from __future__ import annotations

import posixpath
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from checks import cluster_name, flux_version, postbuild
from checks.bootstrap import BOOTSTRAP_NAMESPACE, bootstrap_kustomization, bootstrap_objects, bootstrap_sources, patched
from checks.config import Config
from checks.findings import Finding
from checks.flux_patches import flux_components, flux_patches
from checks.flux_version import FluxVersion
from checks.ignore import IgnoreRules, PrefixedRules, SourceIgnores
from checks.kustomize import Build, Kustomizer
from checks.layout import (
    LayoutFacts,
    archived,
    artifact_root,
    checkout_prefix,
    cluster_folders,
    cluster_names,
    generated_artifacts,
    normalise_url,
    own_urls,
    path_missing,
    pushed_artifacts,
    split_clusters,
    synced_folders,
)
from checks.loading import ParseCache, collector_paused, read_or_note, unreadable_folders
from checks.model import CLUSTER_SCOPED, KubeObject, identified, object_id
from checks.resourceset import RESOURCESET, MayCreate, expand, stand_in
from checks.source import RepoSnapshot, artifact_path, normalize
from checks.unapplied import never_applied
from checks.yaml_docs import YamlFile, YamlLimits, YMap, load_yaml

_YAML_SUFFIXES = (".yaml", ".yml")
_NOTHING: tuple[tuple[KubeObject, ...], tuple[MayCreate, ...]] = ((), ())  # what any other kind creates


@dataclass
class RenderNode:
    """What one Flux Kustomization renders in one cluster (a node of the render tree)."""

    kustomization: KubeObject
    folder: str | None
    external: bool = False
    build: Build | None = None
    children: list[str] = field(default_factory=list)


@dataclass
class Cluster:
    """One cluster: its root folder, the objects rendered into it, and its render tree."""

    name: str
    root: str
    objects: list[KubeObject] = field(default_factory=list)
    # Its own files' folder: its root folder, or what tells inferred clusters apart (``kubernetes/main``); "" for all.
    folder: str = ""
    # The Flux release the repository says this cluster runs (None: not said; the configured default).
    flux_version: FluxVersion | None = None
    # How the cluster was found and where its name comes from (for `flux-review layout`).
    origin: str = ""
    named_from: str = ""
    renders: dict[str, RenderNode] = field(default_factory=dict)
    index: dict[tuple[str, str | None, str], list[KubeObject]] = field(default_factory=dict)
    unknown: list[MayCreate] = field(default_factory=list)  # what unexpanded ResourceSets may create

    def add(self, obj: KubeObject) -> None:
        self.objects.append(obj)
        self.index.setdefault(obj.key, []).append(obj)

    def find(self, kind: str, namespace: str | None, name: str) -> list[KubeObject]:
        """The objects of that identity ("" or None: none); a stand-in when only a ResourceSet may create it."""
        found = self.index.get((kind, namespace or None, name))
        return stand_in(self.unknown, kind, namespace, name) if found is None and self.unknown else found or []

    def named(self, kind: str, name: str) -> list[KubeObject]:
        """Objects of a kind with a name, in any namespace."""
        return [o for (k, _, n), objs in self.index.items() if k == kind and n == name for o in objs]

    @property
    def rendered_files(self) -> set[str]:
        files: set[str] = set()
        for node in self.renders.values():
            if node.build:
                files |= node.build.files
        return files


@dataclass
class RepoModel:
    """Everything the rules read about one snapshot of a repository."""

    snapshot: RepoSnapshot
    config: Config
    files: dict[str, YamlFile]
    objects: list[KubeObject]
    clusters: list[Cluster]
    problems: list[Finding]
    repository_sources: set[tuple[str, str, str]]
    ignore: IgnoreRules | PrefixedRules
    facts: LayoutFacts = field(default_factory=LayoutFacts)
    memo: dict[str, Any] = field(default_factory=dict, repr=False)
    """Results rules share within one model (computed once, read by several rules)."""

    @property
    def rendered_files(self) -> frozenset[str]:
        """Every file some cluster renders (found once: many rules ask)."""
        if "rendered_files" not in self.memo:
            self.memo["rendered_files"] = frozenset().union(*(c.rendered_files for c in self.clusters))
        return self.memo["rendered_files"]

    def unrendered_objects(self) -> list[KubeObject]:
        """Objects written in the repository that no cluster renders (found once, a new list each call)."""
        if "unrendered_objects" not in self.memo:
            self.memo["unrendered_objects"] = [o for o in self.objects if o.path not in self.rendered_files]
        return list(self.memo["unrendered_objects"])

    def all_objects(self) -> Iterable[KubeObject]:
        """Every rendered object of every cluster, then the unrendered ones."""
        for cluster in self.clusters:
            yield from (o for o in cluster.objects if not o.implicit)
        yield from self.unrendered_objects()

    def unrendered_judged(self) -> list[KubeObject]:
        """The unrendered objects that rules about what Flux does still judge.

        Where clusters were found, a file none of them renders is dead (commented
        out of its kustomization.yaml, archived, a stale patch): Flux never sees it,
        and ``structure/unrendered-file`` is all there is to say. A repository with
        no cluster of its own is applied by another one (a tenant or app
        repository): there every object is judged as written.
        """
        return [] if self.clusters else [o for o in self.unrendered_objects() if o.path not in self.facts.unapplied]

    def applied_objects(self) -> Iterable[KubeObject]:
        """What rules about Flux's behaviour judge: every rendered object, then ``unrendered_judged``."""
        for cluster in self.clusters:
            yield from (o for o in cluster.objects if not o.implicit)
        yield from self.unrendered_judged()


def build_model(snapshot: RepoSnapshot, config: Config | None = None,
                cache: ParseCache | None = None) -> RepoModel:
    """Load, index and render a snapshot into a ``RepoModel``."""
    with collector_paused():
        builder = _ModelBuilder(snapshot, config or Config(), cache)
        model = builder.build()
        builder.__dict__.clear()  # its Kustomizer calls back into it: a cycle that would keep every file alive
        return model


class _ModelBuilder:
    def __init__(self, snapshot: RepoSnapshot, config: Config, cache: ParseCache | None) -> None:
        self.snapshot = snapshot
        self.config = config
        self.cache = cache  # None: no other model shares the files, and each path is loaded once: nothing to hash
        self.limits = YamlLimits(max_bytes=config.max_file_bytes)
        self.files: dict[str, YamlFile] = {}
        self.problems: list[Finding] = []
        self.objects: list[KubeObject] = []
        self.origins: dict[str, str] = {}
        self.bootstrap_sources: dict[str, frozenset[str]] = {}
        self.source_ignores = SourceIgnores(snapshot)
        self._generators: dict[int, tuple[int, list[KubeObject], dict]] = {}  # per cluster, as rendered
        self.chart_folders = {p.rpartition("/")[0] for p in snapshot.sizes if p.endswith("Chart.yaml")
                              and p.rpartition("/")[2] == "Chart.yaml"}

    # -- loading ------------------------------------------------------------
    def load(self, path: str) -> YamlFile:
        loaded = self.files.get(path)
        if loaded is None:
            data, problem = read_or_note(self.snapshot, path)
            if problem is not None:
                self.problems.append(problem)
            loaded = self.files[path] = load_yaml(path, data, self.limits) if self.cache is None else self.cache.load(
                path, data, self.limits)
        return loaded

    def _in_chart(self, path: str) -> bool:
        if not self.chart_folders:  # most repositories hold no chart: asked twice of every file
            return False
        folder = path.rpartition("/")[0]
        while folder:
            if folder in self.chart_folders:
                return True
            folder = folder.rpartition("/")[0]
        return "" in self.chart_folders

    def build(self) -> RepoModel:
        for path in self.snapshot.paths():
            if path.endswith(_YAML_SUFFIXES) and not self._in_chart(path) and self.config.path_selected(path):
                self.load(path)
        objects = self.objects = self._objects()
        self.named: dict[tuple[str, str], list[KubeObject]] = {}  # objects as written by kind and name
        for obj in objects:
            self.named.setdefault((obj.kind, obj.name), []).append(obj)
        self.problems.extend(unreadable_folders(self.snapshot))
        self.sources = self._repository_sources(objects)
        self.own_urls = {normalise_url(url) for url in own_urls(self.files, self.config.repository_url)}
        self.prefix = checkout_prefix(objects, self.snapshot)
        self.ignore = self._ignore_rules(objects)
        self.kustomizer = Kustomizer(self.snapshot, self.load, self.ignore.ignored)
        self.artifacts = generated_artifacts(objects, self._is_repository)
        # The folder CI builds this repository's OCI artifact from, for its OCI sources' paths (None: not one).
        self.pushed = pushed_artifacts(self.snapshot)
        self.oci_root = artifact_root(self.pushed, self.config.artifact_root)
        self.built_twice = self._named_twice(objects)
        found, named = cluster_name.named(self._cluster_roots(objects), objects, self.ignore.ignored, self.snapshot,
                                          self.prefix)
        clusters = [self._render_cluster(name, root, roots, folder) for name, root, folder, roots in found]
        versions = flux_version.evidence(self.files)
        for cluster in clusters:  # its Flux: configured, named by the repository, or implied by its objects
            cluster.origin, cluster.named_from = self.origins.get(cluster.folder, ""), named
            cluster.flux_version = flux_version.of_cluster(
                versions, cluster.rendered_files, cluster.folder, [c.folder for c in clusters if c is not cluster],
                cluster.objects, self.config.cluster_flux_versions, cluster.name, self.config.source)
        for path, loaded in self.files.items():
            if not self._in_chart(path):  # Helm templates are not YAML until Helm renders them
                self.problems.extend(loaded.problems)
        return RepoModel(self.snapshot, self.config, self.files, objects, clusters, self.problems,
                         self.sources, self.ignore,
                         facts=LayoutFacts(self.oci_root, tuple(self.pushed), self.prefix,
                                           () if clusters else never_applied(objects, self.kustomizer)))

    def _objects(self) -> list[KubeObject]:
        found = []
        for path, loaded in self.files.items():
            for doc in loaded.docs:
                root = doc.root
                if not isinstance(root, YMap) or not isinstance(root.get("kind"), str):
                    continue
                meta = root.get("metadata")
                if (not isinstance(meta, YMap) or not meta.get("name") or isinstance(meta.get("name"), (dict, list))
                        or not isinstance(root.get("apiVersion"), str)):
                    continue
                namespace = meta.get("namespace")
                namespace = str(namespace) if namespace and root["kind"] not in CLUSTER_SCOPED else None
                found.append(identified(KubeObject(root, path, doc.index, namespace)))
        return found

    # -- which sources are this repository --------------------------------
    def _repository_sources(self, objects: list[KubeObject]) -> set[tuple[str, str, str]]:
        sources = {("GitRepository", BOOTSTRAP_NAMESPACE, BOOTSTRAP_NAMESPACE),
                   ("OCIRepository", BOOTSTRAP_NAMESPACE, BOOTSTRAP_NAMESPACE)}
        for entry in self.config.repository_sources:
            parts = entry.split("/")
            kind = parts[0] if len(parts) == 3 else "GitRepository"
            namespace = parts[-2] if len(parts) >= 2 else BOOTSTRAP_NAMESPACE
            sources.add((kind, namespace, parts[-1]))
        wanted = normalise_url(self.config.repository_url) if self.config.repository_url else None
        for obj in objects:
            if (obj.kind == "GitRepository" and obj.is_flux and wanted
                    and normalise_url(str(obj.get("spec", "url") or "")) == wanted):
                sources.add(("GitRepository", obj.namespace or BOOTSTRAP_NAMESPACE, obj.name))
        return sources

    def _ignore_rules(self, objects: list[KubeObject]) -> IgnoreRules | PrefixedRules:
        """The repository-wide rules are the bootstrap source's, which delivers the cluster folders (another
        source of this repository filters only what its own Kustomizations read: ``_source_ignore``)."""
        return self.source_ignores.bootstrap(objects, self.prefix)

    def _source_ignore(self, ks: KubeObject, cluster: Cluster | None) -> IgnoreRules | PrefixedRules:
        """The ignore rules of the source ``ks`` reads: its own ``spec.ignore`` (each source filters
        its artifact with its own), else the repository's."""
        ref = ks.get("spec", "sourceRef")
        if not isinstance(ref, dict) or cluster is None:
            return self.ignore
        kind = _source_kind(ks)
        namespace = str(ref.get("namespace") or ks.namespace or BOOTSTRAP_NAMESPACE)
        name = str(ref.get("name") or "")
        written = [o for o in cluster.find(kind, namespace, name) if not o.implicit]
        if not written:  # not rendered yet (a root's own source): the one written beside it, or in its cluster
            same = [o for o in self.named.get((kind, name), []) if o.namespace in (None, namespace)]
            written = ([o for o in same if o.path == ks.path]
                       or [o for o in same if cluster.folder and o.path.startswith(cluster.folder + "/")] or same)
        values = {o.get("spec", "ignore") for o in written if isinstance(o.get("spec", "ignore"), str)}
        if len(values) != 1:
            return self.ignore  # none, or several sources of that name disagree
        value = values.pop()
        return self.source_ignores.of_source(value, self.prefix)

    def _is_repository(self, kind: str, namespace: str | None, name: str) -> bool:
        return (kind, namespace or BOOTSTRAP_NAMESPACE, name) in self.sources

    def _cluster_artifacts(self, cluster: Cluster | None) -> dict[str, list[tuple[str, str]]]:
        """ExternalArtifacts of the cluster's own ArtifactGenerators first: clusters often reuse names."""
        if cluster is None:
            return self.artifacts
        seen, generators, artifacts = self._generators.get(id(cluster), (0, [], self.artifacts))
        if new := [o for o in cluster.objects[seen:] if o.kind == "ArtifactGenerator" and o.is_flux]:
            generators = generators + new  # objects are only appended while rendering: scan what was added since
            artifacts = {**self.artifacts, **generated_artifacts(generators, self._is_repository)}
        self._generators[id(cluster)] = (len(cluster.objects), generators, artifacts)
        return artifacts

    def _strip_prefix(self, path: str) -> str:
        if self.prefix and (path == self.prefix or path.startswith(self.prefix + "/")):
            return path[len(self.prefix):].strip("/")
        return path

    def _named_twice(self, objects: list[KubeObject]) -> set[tuple[str, str, str]]:
        """(source kind, source name, path) that more than one written Flux Kustomization builds: each
        cluster's own copy, with patches of its own (their folder's build is shared: ``build_folder``)."""
        named: Counter[tuple[str, str, str]] = Counter(filter(None, (_built(o) for o in objects)))
        return {key for key, count in named.items() if count > 1}

    # -- clusters -------------------------------------------------------------
    def _cluster_roots(self, objects: list[KubeObject]) -> list[tuple[str, str, str, list[KubeObject]]]:
        """``(name, root folder, own folder, root Kustomizations)`` of each cluster."""
        renders = [(o.path, self._strip_prefix(artifact_path(o.get("spec", "path")))) for o in objects
                   if o.kind == "Kustomization" and o.is_flux and isinstance(o.get("spec", "path"), str)
                   and "${" not in o.get("spec", "path")]
        folders = cluster_folders(self.snapshot.sizes, self.config.cluster_roots, renders)
        if folders:
            patterns = ", ".join(self.config.cluster_roots)
            self.origins = {folder: f"a folder matching the cluster roots ({patterns})" for folder in folders}
            clusters = [(posixpath.basename(folder) or folder, folder, folder, [bootstrap_kustomization(folder)])
                        for folder in folders]
            # Kustomizations written in the cluster folder show which flux-system sources it reads.
            self.bootstrap_sources = {folder: bootstrap_sources(self.files,
                [*roots, *(o for o in objects if o.kind == "Kustomization" and o.is_flux
                           and o.path.startswith(folder + "/"))], None) for _, _, folder, roots in clusters}
            return clusters
        syncs = synced_folders(self.files, self.snapshot, self._in_artifact)
        if syncs:
            self.origins = {folder: f"the folder a FluxInstance syncs ({sync.file}:{sync.line})"
                            for folder, sync in syncs.items()}
            self.bootstrap_sources = {folder: frozenset({sync.kind}) for folder, sync in syncs.items()}
            names = cluster_names(list(syncs))
            return [(name, "", folder, [patched(bootstrap_kustomization(folder, "./" + sync.path, sync.kind),
                                                sync.patches)])
                    for name, (folder, sync) in zip(names, syncs.items(), strict=True)]
        roots = self._orphan_kustomizations(objects)
        clusters = split_clusters(roots) if roots else []
        self.origins = {folder: "the Kustomizations no other renders ("
                        + ", ".join(f"{ks.path}:{ks.line}" for ks in group[:3])
                        + (f" and {len(group) - 3} more" if len(group) > 3 else "") + ")"
                        for _, folder, group in clusters}
        self.bootstrap_sources = {folder: bootstrap_sources(self.files, group, None) for _, folder, group in clusters}
        return [(name, "", folder, group) for name, folder, group in clusters]

    def _orphan_kustomizations(self, objects: list[KubeObject]) -> list[KubeObject]:
        """Flux Kustomizations no other Kustomization's folder holds, or that render themselves."""
        # Kustomizations in archive folders or outside the source (ignored) are no roots.
        kustomizations = [o for o in objects if o.kind == "Kustomization" and o.is_flux
                          and isinstance(o.get("spec", "path"), str)
                          and not archived(o.path) and not self.ignore.ignored(o.path)]
        folders = {id(ks): self._in_artifact(_source_kind(ks), self._strip_prefix(artifact_path(str(
            ks.get("spec", "path"))))) for ks in kustomizations}
        roots = [ks for ks in kustomizations
                 if not any(other is not ks and _inside(ks.path, folders[id(other)]) for other in kustomizations)]
        if not roots:
            # Everything is held by something (a bootstrap Kustomization whose folder also holds
            # the others): start from the ones that render their own file.
            roots = [ks for ks in kustomizations if _inside(ks.path, folders[id(ks)])]
        if not roots and kustomizations:
            # A loop (a Kustomization renders the folder of the one that renders it), applied once by
            # hand: start from the shallowest file of the loop.
            roots = [min(kustomizations, key=lambda ks: (ks.path.count("/"), ks.path, ks.line))]
        for ks in roots:
            ref = ks.get("spec", "sourceRef")
            # A Git source at a root is taken to be this repository; an OCI artifact only when CI
            # builds one from this repository (else it is usually upstream manifests or another build).
            if isinstance(ref, dict) and ref.get("name") and (_source_kind(ks) == "GitRepository" or (
                    _source_kind(ks) == "OCIRepository" and self.oci_root is not None)):
                self.sources.add((str(ref.get("kind") or "GitRepository"),
                                  str(ref.get("namespace") or ks.namespace or BOOTSTRAP_NAMESPACE),
                                  str(ref["name"])))
        return roots

    def _render_cluster(self, name: str, root: str, roots: list[KubeObject], folder: str = "") -> Cluster:
        cluster = Cluster(name, root, folder=folder)
        queue = deque(roots)
        for obj in roots:
            obj.cluster = name
        while queue:
            ks = queue.popleft()
            if ks.id in cluster.renders:
                continue
            node = self._render(ks, cluster)
            cluster.renders[ks.id] = node
            if node.build is None:
                continue
            for rendered in node.build.objects:
                namespace, source = rendered.namespace, rendered.namespace_source
                kind = str(rendered.body.get("kind") or "")
                if kind in CLUSTER_SCOPED:
                    namespace = None
                elif namespace is None:
                    namespace, source = ks.namespace or "default", "parent"
                obj = identified(KubeObject(rendered.body, rendered.path, rendered.doc_index, namespace, source,
                                            cluster=name, rendered_by=ks.id))
                generated, unknown = expand(obj, name) if kind == RESOURCESET else _NOTHING  # what it creates
                cluster.unknown += unknown
                for made in [obj, *generated]:
                    cluster.add(made)
                    if made.kind == "Kustomization" and made.is_flux:
                        node.children.append(made.id)
                        queue.append(made)
        # A root's file is applied as a whole (by hand or a bootstrap): its other objects, such as the
        # source the root reads, exist in the cluster too.
        root_files = {obj.path for obj in roots if not obj.implicit}
        for obj in [*roots, *(o for o in self.objects if o.path in root_files and o not in roots)]:
            if obj.key not in cluster.index:
                cluster.add(obj)
        for obj in bootstrap_objects(cluster.root, cluster.name, self.bootstrap_sources.get(folder, frozenset())):
            if obj.key not in cluster.index:
                cluster.add(obj)
        return cluster

    def _render(self, ks: KubeObject, cluster: Cluster | None = None) -> RenderNode:
        folder, external = self._local_folder(ks, cluster)
        node = RenderNode(ks, folder, external)
        if external or folder is None:
            return node
        rules = self._source_ignore(ks, cluster)  # asked once: it searches the cluster for the source
        excluded = bool(folder) and rules.ignored(folder + "/") and all(
            rules.ignored(path) for path in self.snapshot.walk_files(folder))
        if folder and (excluded or not self.snapshot.is_dir(folder)):
            if not ks.implicit:
                self.problems.append(path_missing(ks, folder, self.snapshot, excluded))
            node.folder = None
            return node
        target = ks.get("spec", "targetNamespace")
        node.build = self.kustomizer.build_folder(
            folder,
            patches=flux_patches(ks),
            components=flux_components(ks),
            target_namespace=str(target) if isinstance(target, str) and target else None,
            target_pos=ks.pos("spec", "targetNamespace"),
            ignored=rules.ignored,
            shared=_built(ks) in self.built_twice,
        )
        self.problems.extend(node.build.problems)
        return node

    def _local_folder(self, ks: KubeObject, cluster: Cluster | None = None) -> tuple[str | None, bool]:
        """The repository folder a Kustomization renders, or (None, True) for external sources."""
        path = ks.get("spec", "path")
        if isinstance(path, str) and "${" in path and cluster is not None:
            substituted = postbuild.substituted_path(ks, cluster, path, self.objects)
            if substituted is None:
                return None, True  # a variable this repository does not show: the folder is unknown
            path = substituted
        path = artifact_path(str(path)) if isinstance(path, str | int) and path is not None else ""
        path = self._strip_prefix(path)
        ref = ks.get("spec", "sourceRef")
        if not isinstance(ref, dict):
            return None, True
        kind = str(ref.get("kind") or "GitRepository")
        namespace = str(ref.get("namespace") or ks.namespace or BOOTSTRAP_NAMESPACE)
        name = str(ref.get("name") or "")
        artifacts = self._cluster_artifacts(cluster) if kind == "ExternalArtifact" else {}
        if name in artifacts:
            for target, origin in artifacts[name]:
                if not target or path == target or path.startswith(target + "/"):
                    rest = path[len(target):].strip("/") if target else path
                    return normalize(posixpath.join(origin, rest)), False
            return None, True
        if self._is_repository(kind, namespace, name) or (cluster is not None and any(
                normalise_url(str(o.get("spec", "url") or "")) in self.own_urls for o in cluster.find(
                    kind, namespace, name) if not o.implicit)):  # another source of this repository's URL
            return self._in_artifact(kind, path), False
        return None, True

    def _in_artifact(self, source_kind: str, path: str) -> str:
        """A path of this repository's OCI artifact as a folder of the repository."""
        if source_kind == "OCIRepository" and self.oci_root:
            return normalize(posixpath.join(self.oci_root, path))
        return path


def _inside(path: str, folder: str) -> bool:
    return folder == "" or path.startswith(folder + "/")


def _built(ks: KubeObject) -> tuple[str, str, str] | None:
    """What a Flux Kustomization builds, as written: its source's kind and name, and its path."""
    ref, path = ks.get("spec", "sourceRef"), ks.get("spec", "path")
    if ks.kind != "Kustomization" or not ks.is_flux or not isinstance(ref, dict) or not isinstance(path, str):
        return None
    return _source_kind(ks), str(ref.get("name") or ""), artifact_path(path)


def _source_kind(ks: KubeObject) -> str:
    ref = ks.get("spec", "sourceRef")
    return str(ref.get("kind") or "GitRepository") if isinstance(ref, dict) else ""


__all__ = ["Cluster", "ParseCache", "RenderNode", "RepoModel", "build_model", "object_id"]
