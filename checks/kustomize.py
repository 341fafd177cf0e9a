"""Static kustomize: which objects a folder renders, without running anything.

This follows what kustomize-controller does with a Flux Kustomization's
``spec.path`` (fluxcd/pkg ``kustomize``): with a kustomization file, its
``resources``, ``components``, generators and patches are followed
recursively; without one, Flux generates one that takes every ``.yaml`` /
``.yml`` file of the folder in lexical order, adds each subfolder holding a
kustomization file as one resource without descending, and recurses into
the other subfolders. The Flux Kustomization's own ``spec.patches`` run
after the file's patches but before its namespace; ``targetNamespace``
overrides the namespace of every namespaced object.

Remote bases are noted, never fetched. Missing files become findings.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from checks.findings import Finding, Severity
from checks.model import KUSTOMIZE_CONFIG_GROUP, api_group
from checks.patches import PatchError, Selector, clone, is_builtin, json6902, own_copy, strategic_merge
from checks.rendered import Rendered, apply_common_annotations, apply_name_affixes, set_namespaces
from checks.source import RepoSnapshot, normalize
from checks.yaml_docs import Pos, YamlFile, YMap, YSeq, load_yaml
from checks.yaml_values import relocated

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_REMOTE_PREFIXES = ("http://", "https://", "git@", "ssh://", "git::", "github.com/", "gitlab.com/",
                    "bitbucket.org/", "oci://")


@dataclass(frozen=True)
class NonManifest:
    """A YAML file Flux's generated kustomization would take but cannot decode."""

    path: str
    line: int
    reason: str


@dataclass(frozen=True)
class RemoteResource:
    """A remote base or resource: noted, not fetched."""

    path: str
    line: int
    url: str


@dataclass
class Build:
    """What a folder renders, and everything read or noticed on the way."""

    objects: list[Rendered] = field(default_factory=list)
    files: set[str] = field(default_factory=set)
    problems: list[Finding] = field(default_factory=list)
    non_manifests: list[NonManifest] = field(default_factory=list)
    remote: list[RemoteResource] = field(default_factory=list)
    kustomization_files: set[str] = field(default_factory=set)
    generated_folders: set[str] = field(default_factory=set)

    def absorb(self, other: Build) -> None:
        self.objects.extend(other.objects)
        self.files |= other.files
        self.problems.extend(other.problems)
        self.non_manifests.extend(other.non_manifests)
        self.remote.extend(other.remote)
        self.kustomization_files |= other.kustomization_files
        self.generated_folders |= other.generated_folders


def _fresh(build: Build) -> Build:
    """A copy of a build whose objects share its bodies unowned: whatever changes one copies it first."""
    return Build([Rendered(o.body, o.path, o.doc_index, o.namespace_source) for o in build.objects],
                 set(build.files), list(build.problems), list(build.non_manifests), list(build.remote),
                 set(build.kustomization_files), set(build.generated_folders))


@dataclass(frozen=True)
class Patch:
    """One patch to apply: a strategic merge document or JSON 6902 operations, and a target."""

    content: Any
    selector: Selector | None
    origin: Pos


def is_remote(entry: str) -> bool:
    """True for kustomize resources that live elsewhere (URLs, git and OCI references)."""
    return entry.startswith(_REMOTE_PREFIXES) or "?ref=" in entry or "//" in entry.split("?")[0]


class Kustomizer:
    """Renders folders of one snapshot; files are loaded once through ``load``."""

    def __init__(self, snapshot: RepoSnapshot, load: Callable[[str], YamlFile],
                 ignored: Callable[[str], bool] = lambda path: False) -> None:
        self.snapshot = snapshot
        self.load = load
        self.ignored = ignored
        self._kfiles: dict[str, str | None] = {}
        # What a kustomization file or a generated folder renders before the patches and namespace of the
        # Kustomization that builds it, for the builds asked to share it (``build_folder``).
        self._assembled: dict[tuple[Any, ...], tuple[Build, YMap | None]] = {}

    # -- folders ------------------------------------------------------------
    def kustomization_file(self, folder: str) -> str | None:
        if folder not in self._kfiles:  # asked again by every build that includes the folder
            files = set(self.snapshot.listdir(folder)[0])
            self._kfiles[folder] = next((posixpath.join(folder, name) if folder else name
                                         for name in KUSTOMIZATION_FILES if name in files), None)
        return self._kfiles[folder]

    def build_folder(self, folder: str, patches: list[Patch | InlinePatches] | None = None,
                     components: list[tuple[str, Pos]] | None = None,
                     target_namespace: str | None = None, target_pos: Pos | None = None,
                     ignored: Callable[[str], bool] | None = None, shared: bool = False) -> Build:
        """Render a folder the way kustomize-controller renders a Kustomization's path.

        ``ignored`` is the ignore rules of the source the Kustomization reads (each
        source has its own ``spec.ignore``); the snapshot-wide rules by default.
        ``shared``: other builds of the folder are expected (each cluster's copy of one Kustomization):
        what it renders before the Kustomization's patches and namespace is assembled once for all.
        Its objects start every build unowned, and each build copies what it changes.
        """
        kfile = self.kustomization_file(folder)
        patches, components, ignored = patches or [], components or [], ignored or self.ignored
        if not shared:
            if kfile:
                return self._build_kfile(kfile, (), None, patches, components, target_namespace, target_pos)
            return self._generated_transforms(self._build_generated(folder, components, ignored), folder, patches,
                                              target_namespace, target_pos)
        key = (kfile or folder, tuple(components), None if kfile else ignored)
        if key not in self._assembled:
            self._assembled[key] = (self._kfile_resources(kfile, (), None, components) if kfile
                                    else (self._build_generated(folder, components, ignored), None))
        assembled, doc = self._assembled[key]
        build = _fresh(assembled)
        if not kfile:
            return self._generated_transforms(build, folder, patches, target_namespace, target_pos)
        if doc is not None:
            self._kfile_transforms(build, doc, patches, target_namespace, target_pos)
        return build

    def _generated_transforms(self, build: Build, folder: str, patches: list[Patch | InlinePatches],
                              target_namespace: str | None, target_pos: Pos | None) -> Build:
        """The Kustomization's own patches, then its targetNamespace, over a folder without a kustomization file."""
        self._apply_patches(build, patches)
        if target_namespace:
            set_namespaces(build.objects, target_namespace, "targetNamespace", target_pos or Pos(folder, 1, 1))
        return build

    def _build_generated(self, folder: str, components: list[tuple[str, Pos]],
                         ignored: Callable[[str], bool]) -> Build:
        """What Flux's generated kustomization takes from a folder, before the Kustomization's patches."""
        build = Build()
        build.generated_folders.add(folder)
        for kind, path in self._generated_resources(folder, ignored):
            if kind == "folder":
                build.absorb(self._build_kfile(self.kustomization_file(path) or path, (), None, [], [],
                                               None, None))
            else:
                self._add_file(build, path, generated=True)
        for component, pos in components:
            self._add_component(build, folder, component, pos, ())
        return build

    def _generated_resources(self, folder: str, ignored: Callable[[str], bool]) -> list[tuple[str, str]]:
        """Flux's walk: (``file``|``folder``, path) in lexical order."""
        found: list[tuple[str, str]] = []
        files, subfolders = self.snapshot.listdir(folder)
        entries = sorted([(name, False) for name in files] + [(name, True) for name in subfolders])
        for name, is_folder in entries:
            path = posixpath.join(folder, name) if folder else name
            if ignored(path + ("/" if is_folder else "")) and (
                    not is_folder or all(ignored(f) for f in self.snapshot.walk_files(path))):
                continue  # a folder stays when a later pattern keeps a file inside it (as source-controller walks)
            if is_folder:
                if self.kustomization_file(path):
                    found.append(("folder", path))
                else:
                    found.extend(self._generated_resources(path, ignored))
            elif name.endswith((".yaml", ".yml")):
                found.append(("file", path))
        return found

    # -- kustomization files -----------------------------------------------
    def _build_kfile(self, kfile: str, stack: tuple[str, ...], accumulated: Build | None,
                     extra_patches: list[Patch | InlinePatches], extra_components: list[tuple[str, Pos]],
                     target_namespace: str | None, target_pos: Pos | None) -> Build:
        build, doc = self._kfile_resources(kfile, stack, accumulated, extra_components)
        if doc is not None:
            self._kfile_transforms(build, doc, extra_patches, target_namespace, target_pos)
        return build

    def _kfile_transforms(self, build: Build, doc: YMap, extra_patches: list[Patch | InlinePatches],
                          target_namespace: str | None, target_pos: Pos | None) -> None:
        """The Kustomization's own patches, then the file's namespace (or the Kustomization's
        targetNamespace), name affixes and common annotations, as kustomize-controller orders them."""
        self._apply_patches(build, extra_patches)
        namespace = doc.get("namespace")
        if target_namespace:
            set_namespaces(build.objects, target_namespace, "targetNamespace", target_pos or doc.pos)
        elif isinstance(namespace, str) and namespace:
            set_namespaces(build.objects, namespace, "kustomization.yaml", doc.value_pos["namespace"])
        apply_name_affixes(build.objects, doc)
        apply_common_annotations(build.objects, doc)

    def _kfile_resources(self, kfile: str, stack: tuple[str, ...], accumulated: Build | None,
                         extra_components: list[tuple[str, Pos]]) -> tuple[Build, YMap | None]:
        """A kustomization file's resources, components, generators and own patches, and the file
        (None when it cannot be read, or includes itself): what its namespace and affixes then change."""
        build = accumulated if accumulated is not None else Build()
        folder = posixpath.dirname(kfile)
        if kfile in stack:
            build.problems.append(_missing(kfile, 1, f"{kfile} includes itself through its resources "
                                           "(a kustomize cycle); the build fails.", "cycle"))
            return build, None
        stack = (*stack, kfile)
        build.files.add(kfile)
        build.kustomization_files.add(kfile)
        loaded = self.load(kfile)
        doc = loaded.docs[0].root if loaded.docs else None
        if not isinstance(doc, YMap):
            return build, None
        for key in ("resources", "bases"):
            for entry, pos in _entries(doc.get(key)):
                self._add_resource(build, folder, entry, pos, stack)
        for entry, pos in [*_entries(doc.get("components")), *extra_components]:
            self._add_component(build, folder, entry, pos, stack)
        self._add_generated(build, doc, folder, kfile)
        self._apply_patches(build, self._kfile_patches(doc, folder, kfile, build))
        return build, doc

    def _add_resource(self, build: Build, folder: str, entry: str, pos: Pos, stack: tuple[str, ...]) -> None:
        if is_remote(entry):
            build.remote.append(RemoteResource(pos.path, pos.line, entry))
            return
        path = normalize(posixpath.join(folder, entry))
        if path in self.snapshot:
            self._add_file(build, path, generated=False)
        elif self.snapshot.is_dir(path):
            kfile = self.kustomization_file(path)
            if kfile:
                # A base is built on its own: its namespace, patches and name affixes
                # reach only what it renders, never the resources listed before it.
                build.absorb(self._build_kfile(kfile, stack, None, [], [], None, None))
            else:
                build.problems.append(_missing(pos.path, pos.line,
                    f"the resource `{entry}` is a folder without a kustomization.yaml; kustomize "
                    "cannot build it. Add one, or list the folder's files.", entry))
        else:
            build.problems.append(_missing(pos.path, pos.line,
                f"the resource `{entry}` does not exist ({path}); the Kustomization fails to build.", entry))

    def _add_component(self, build: Build, folder: str, entry: str, pos: Pos, stack: tuple[str, ...]) -> None:
        if is_remote(entry):
            build.remote.append(RemoteResource(pos.path, pos.line, entry))
            return
        path = normalize(posixpath.join(folder, entry))
        kfile = self.kustomization_file(path) if self.snapshot.is_dir(path) else None
        if kfile is None:
            build.problems.append(_missing(pos.path, pos.line,
                f"the component `{entry}` is not a folder with a kustomization.yaml ({path}); "
                "the Kustomization fails to build.", entry))
            return
        # A component transforms what the including kustomization has accumulated so far.
        self._build_kfile(kfile, stack, build, [], [], None, None)

    def _add_file(self, build: Build, path: str, generated: bool) -> None:
        build.files.add(path)
        loaded = self.load(path)
        if not loaded.ok:
            return
        for doc in loaded.docs:
            root = doc.root
            if root is None:
                continue
            if not isinstance(root, YMap):
                build.problems.append(Finding(
                    "structure/yaml-invalid", Severity.ERROR, path, doc.pos.line,
                    f"document {doc.index + 1} is a {type(root).__name__ if not isinstance(root, list) else 'list'}"
                    ", not a mapping; kustomize cannot decode it as a Kubernetes object.",
                    key=f"doc{doc.index}"))
                continue
            if not root.get("kind") or not isinstance(root.get("kind"), str):
                if generated:
                    build.non_manifests.append(NonManifest(path, doc.pos.line,
                        "it is not a Kubernetes object (no `kind`)"))
                continue
            if root.get("kind") == "List" and isinstance(root.get("items"), YSeq):
                for item in root["items"]:
                    if isinstance(item, YMap) and _is_object(item):
                        build.objects.append(Rendered(item, path, doc.index))
                continue
            if not _is_object(root):
                if generated:
                    build.non_manifests.append(NonManifest(path, doc.pos.line,
                        "the object has no `metadata.name`"))
                continue
            if api_group(str(root.get("apiVersion") or "")) == KUSTOMIZE_CONFIG_GROUP:
                continue  # a kustomize Component or Kustomization file listed as a resource
            build.objects.append(Rendered(root, path, doc.index))

    def _add_generated(self, build: Build, doc: YMap, folder: str, kfile: str) -> None:
        """ConfigMaps and Secrets from generators exist under their names (hash suffix aside)."""
        namespace = doc.get("namespace") if isinstance(doc.get("namespace"), str) else None
        for key, kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")):
            for item, pos in _items(doc.get(key)):
                if not isinstance(item, YMap) or not item.get("name"):
                    continue
                for field_name in ("files", "envs", "env"):
                    for entry, entry_pos in _entries(item.get(field_name)):
                        source = entry.split("=", 1)[-1] if field_name == "files" else entry
                        if is_remote(source):
                            build.remote.append(RemoteResource(entry_pos.path, entry_pos.line, source))
                            continue
                        path = normalize(posixpath.join(folder, source))
                        if path in self.snapshot:
                            build.files.add(path)
                        else:
                            build.problems.append(_missing(entry_pos.path, entry_pos.line,
                                f"the {kind} generator `{item.get('name')}` reads `{source}`, which "
                                f"does not exist ({path}).", f"{item.get('name')}:{source}"))
                body = YMap(pos)
                body.set("apiVersion", "v1", pos, pos)
                body.set("kind", kind, pos, pos)
                meta = YMap(pos)
                meta.set("name", str(item["name"]), pos, pos)
                ns = item.get("namespace") or namespace
                if ns:
                    meta.set("namespace", str(ns), pos, pos)
                body.set("metadata", meta, pos, pos)
                build.objects.append(Rendered(body, kfile, -1, owned=True))

    # -- patches -------------------------------------------------------------
    def _kfile_patches(self, doc: YMap, folder: str, kfile: str, build: Build) -> list[Patch | InlinePatches]:
        patches: list[Patch | InlinePatches] = []
        for entry, pos in _items(doc.get("patchesStrategicMerge")):
            if isinstance(entry, str) and "\n" not in entry and entry.strip().endswith((".yaml", ".yml")):
                patches.extend(self._patch_file(folder, entry, pos, None, build))
            elif isinstance(entry, str):
                patches.extend(inline_patches(entry, pos, None))
        for key in ("patchesJson6902", "patches"):
            for item, _pos in _items(doc.get(key)):
                if not isinstance(item, YMap):
                    continue
                selector = Selector.from_mapping(item.get("target")) if item.get("target") else None
                if isinstance(item.get("path"), str):
                    patches.extend(self._patch_file(folder, item["path"], item.value_pos["path"],
                                                    selector, build))
                elif isinstance(item.get("patch"), str):
                    patches.extend(targeted_inline_patches(item["patch"], item.value_pos["patch"], selector))
        return patches

    def _patch_file(self, folder: str, entry: str, pos: Pos, selector: Selector | None,
                    build: Build) -> list[Patch]:
        path = normalize(posixpath.join(folder, entry))
        if path not in self.snapshot:
            build.problems.append(_missing(pos.path, pos.line,
                f"the patch file `{entry}` does not exist ({path}); the Kustomization fails to build.", entry))
            return []
        build.files.add(path)
        loaded = self.load(path)
        return [Patch(doc.root, selector, doc.pos) for doc in loaded.docs if doc.root is not None]

    def _apply_patches(self, build: Build, patches: list[Patch | InlinePatches]) -> None:
        for patch in patches:
            if isinstance(patch, InlinePatches):
                if any(patch.selector.matches(o.body, o.namespace) for o in build.objects):
                    for parsed in patch.parsed():
                        apply_patch(build.objects, parsed)
            else:
                apply_patch(build.objects, patch)


@dataclass(frozen=True)
class InlinePatches:
    """Patches written inline with a target, parsed only when the target selects an object of the build.

    With a target, what a patch applies to is decided by the target alone, and a patch that applies
    to nothing changes nothing: bootstrap patches of controllers the repository does not hold (every
    cluster's copy of them) are never parsed.
    """

    text: str
    pos: Pos
    selector: Selector

    def parsed(self) -> list[Patch]:
        return inline_patches(self.text, self.pos, self.selector)


def targeted_inline_patches(text: str, pos: Pos, selector: Selector | None) -> list[Patch | InlinePatches]:
    """``inline_patches``, left unparsed until a build needs them when they have a target."""
    return [InlinePatches(text, pos, selector)] if selector is not None else list(inline_patches(text, pos, None))


def inline_patches(text: str, pos: Pos, selector: Selector | None) -> list[Patch]:
    """Parse a patch written inline; block scalars start on the line after the key."""
    offset = pos.line if pos.end_line > pos.line else pos.line - 1
    return [Patch(root, selector, doc_pos) for root, doc_pos in _parse_inline(pos.path, text, offset)]


@lru_cache(maxsize=1024)
def _parse_inline(path: str, text: str, offset: int) -> tuple[tuple[Any, Pos], ...]:
    """Parsed once per place: a parent's patch is copied into every child it patches. Never mutated.

    The same text written in another place (every cluster's copy of one bootstrap patch) is
    the first parse of it, moved there.
    """
    first = _FIRST_PARSE.get(text)
    if first is not None:
        first_path, first_offset, parsed = first
        delta = offset - first_offset
        if first_path != path or delta:
            return tuple((relocated(root, path, delta), Pos(path, pos.line + delta, pos.end_line + delta))
                         for root, pos in parsed)
        return parsed
    loaded = load_yaml(path, text.encode(), line_offset=offset)
    parsed = tuple((doc.root, doc.pos) for doc in loaded.docs if doc.root is not None)
    if len(_FIRST_PARSE) >= 1024:
        _FIRST_PARSE.clear()
    _FIRST_PARSE[text] = (path, offset, parsed)
    return parsed


# Inline patch texts already parsed, with where: bounded as the place cache is.
_FIRST_PARSE: dict[str, tuple[str, int, tuple[tuple[Any, Pos], ...]]] = {}


def forget_inline_patches() -> None:
    """Parse inline patches again from now on (a benchmark measures a first review)."""
    _parse_inline.cache_clear()
    _FIRST_PARSE.clear()


def apply_patch(objects: list[Rendered], patch: Patch) -> None:
    """Apply one patch to every object it targets (bad patches are skipped, never raised)."""
    content = patch.content
    if isinstance(content, YSeq):
        if patch.selector is None:
            return
        for obj in objects:
            if patch.selector.matches(obj.body, obj.namespace):
                try:
                    trial = clone(obj.body)
                    json6902(trial, content, patch.origin)
                except PatchError:
                    continue
                obj.body, obj.owned = trial, True
        return
    if not isinstance(content, YMap):
        return
    targets = [obj for obj in objects if _patch_targets(patch, obj)]
    body = _strip_identity(content)
    for obj in targets:
        if obj.owned:
            strategic_merge(obj.body, body, is_builtin(obj.body))
        else:  # copied on write: the maps and lists the patch changes, not the whole object
            obj.body = own_copy(obj.body)
            strategic_merge(obj.body, body, is_builtin(obj.body), shared=True)


def _patch_targets(patch: Patch, obj: Rendered) -> bool:
    if patch.selector is not None:
        return patch.selector.matches(obj.body, obj.namespace)
    content = patch.content
    meta = content.get("metadata") if isinstance(content.get("metadata"), dict) else {}
    obj_meta = obj.body.get("metadata") if isinstance(obj.body.get("metadata"), dict) else {}
    if content.get("kind") != obj.body.get("kind") or meta.get("name") != obj_meta.get("name"):
        return False
    return not meta.get("namespace") or meta.get("namespace") == obj.namespace


def _strip_identity(content: YMap) -> YMap:
    """A patch never renames its target: drop apiVersion, kind, name and namespace."""
    body = YMap(content.pos)
    for key, value in content.items():
        if key in ("apiVersion", "kind"):
            continue
        if key == "metadata" and isinstance(value, YMap):
            meta = YMap(value.pos)
            for meta_key, meta_value in value.items():
                if meta_key not in ("name", "namespace"):
                    meta.set(meta_key, meta_value, value.key_pos[meta_key], value.value_pos[meta_key])
            if meta:
                body.set(key, meta, content.key_pos[key], content.value_pos[key])
            continue
        body.set(key, value, content.key_pos[key], content.value_pos[key])
    return body


def _is_object(body: YMap) -> bool:
    """A mapping kustomize can take as an object: a text kind and a scalar metadata.name."""
    meta = body.get("metadata")
    return (isinstance(body.get("kind"), str) and bool(body.get("kind")) and isinstance(meta, YMap)
            and isinstance(meta.get("name"), str | int) and not isinstance(meta.get("name"), bool)
            and meta.get("name") != "")


def _entries(value: Any) -> list[tuple[str, Pos]]:
    """String items of a list with their positions (other items are ignored)."""
    return [(item, pos) for item, pos in _items(value) if isinstance(item, str) and item]


def _items(value: Any) -> list[tuple[Any, Pos]]:
    if isinstance(value, YSeq):
        return list(zip(value, value.item_pos, strict=True))
    return []


def _missing(path: str, line: int, message: str, key: str) -> Finding:
    return Finding("structure/resource-missing", Severity.ERROR, path, line, message, key=key)
