"""What flux bootstrap and flux-operator create in a cluster without a file of the repository defining it.

``flux bootstrap`` writes gotk-sync.yaml (a GitRepository and a Kustomization
named flux-system) and applies the cluster folder; a FluxInstance's ``sync``
makes the same pair with the source kind it names. Rules must know these
objects exist, but only where the repository shows such a bootstrap: a
repository whose roots read a source of another name has no flux-system
source, and a reference to one is a real problem.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from checks.kustomize import apply_patch, inline_patches
from checks.model import KubeObject
from checks.patches import Selector
from checks.rendered import Rendered
from checks.yaml_docs import Pos, YMap

BOOTSTRAP_NAMESPACE = "flux-system"


def bootstrap_kustomization(folder: str, path: str | None = None, source_kind: str = "GitRepository") -> KubeObject:
    """The flux-system Kustomization ``flux bootstrap`` (or a FluxInstance's sync) makes for a cluster folder.

    ``path`` is the folder as the source sees it (inside an OCI artifact built from
    a subfolder it differs from the repository folder); ``./folder`` by default.
    """
    pos = Pos(folder + "/", 1, 1)
    body = YMap(pos)
    for key, value in (("apiVersion", "kustomize.toolkit.fluxcd.io/v1"), ("kind", "Kustomization")):
        body.set(key, value, pos, pos)
    meta = YMap(pos)
    meta.set("name", BOOTSTRAP_NAMESPACE, pos, pos)
    meta.set("namespace", BOOTSTRAP_NAMESPACE, pos, pos)
    body.set("metadata", meta, pos, pos)
    spec = YMap(pos)
    spec.set("path", path or "./" + folder, pos, pos)
    spec.set("interval", "10m", pos, pos)
    spec.set("prune", True, pos, pos)
    ref = YMap(pos)
    ref.set("kind", source_kind, pos, pos)
    ref.set("name", BOOTSTRAP_NAMESPACE, pos, pos)
    spec.set("sourceRef", ref, pos, pos)
    body.set("spec", spec, pos, pos)
    return KubeObject(body, folder + "/", -1, BOOTSTRAP_NAMESPACE, implicit=True)


def bootstrap_sources(files: Iterable[str], roots: Iterable[KubeObject], synced: str | None) -> frozenset[str]:
    """The kinds of ``flux-system/flux-system`` source the repository shows a bootstrap of.

    ``flux bootstrap`` writes a GitRepository (gotk-sync.yaml); a FluxInstance syncs
    the kind its ``sync`` names; roots reading ``flux-system`` show that it exists.
    A repository whose roots read a source of another name has none of them.
    """
    kinds = {synced} if synced else set()
    for ks in roots:
        ref = ks.get("spec", "sourceRef")
        if isinstance(ref, dict) and ref.get("name") == BOOTSTRAP_NAMESPACE and str(
                ref.get("namespace") or ks.namespace or BOOTSTRAP_NAMESPACE) == BOOTSTRAP_NAMESPACE:
            ref_kind = str(ref.get("kind") or "GitRepository")
            kinds.add(ref_kind)
    if any(path.rpartition("/")[2].startswith("gotk-sync") for path in files):  # basename, without a call each
        kinds.add("GitRepository")
    return frozenset(k for k in kinds if k in ("GitRepository", "OCIRepository"))


def bootstrap_objects(root: str, cluster: str, sources: frozenset[str]) -> list[KubeObject]:
    """What flux bootstrap (or a FluxInstance) creates in a cluster even when no file defines it.

    Every Flux install has the flux-system namespace; the flux-system source and
    Kustomization exist only where the repository shows a bootstrap (``sources``:
    the kinds of flux-system source it shows, see ``bootstrap_sources``). The
    caller adds those the cluster does not already hold.
    """
    pos = Pos(root + "/" if root else "", 1, 1)
    made = [("Namespace", "v1", None)]
    made += [(kind, "source.toolkit.fluxcd.io/v1", BOOTSTRAP_NAMESPACE) for kind in sorted(sources)]
    if sources:
        made.append(("Kustomization", "kustomize.toolkit.fluxcd.io/v1", BOOTSTRAP_NAMESPACE))
    objects = []
    for kind, api_version, namespace in made:
        body = YMap(pos)
        body.set("apiVersion", api_version, pos, pos)
        body.set("kind", kind, pos, pos)
        meta = YMap(pos)
        meta.set("name", BOOTSTRAP_NAMESPACE, pos, pos)
        body.set("metadata", meta, pos, pos)
        objects.append(KubeObject(body, pos.path, -1, namespace, cluster=cluster, implicit=True))
    return objects


def patched(ks: KubeObject, patches: Any) -> KubeObject:
    """The bootstrap Kustomization with a FluxInstance's ``kustomize.patches`` applied to it.

    flux-operator applies them to every object it generates; those that target the
    flux-system Kustomization (a decryption, a service account, postBuild) change
    how the cluster's root renders. Patches for other objects leave it unchanged.
    """
    if not isinstance(patches, list):
        return ks
    rendered = Rendered(ks.body, ks.path, ks.doc_index)
    for item in patches:
        if isinstance(item, YMap) and isinstance(item.get("patch"), str):
            selector = Selector.from_mapping(item.get("target")) if item.get("target") else None
            for patch in inline_patches(item["patch"], item.value_pos["patch"], selector):
                apply_patch([rendered], patch)
    if rendered.body is ks.body:
        return ks
    return KubeObject(rendered.body, ks.path, ks.doc_index, ks.namespace, implicit=True)
