"""What a Flux Kustomization adds to the build of its folder: its own patches and components.

kustomize-controller applies ``spec.patches`` (and the v1beta fields ``patchesStrategicMerge`` and
``patchesJson6902``) after the folder's own kustomization file, and ``spec.components`` as if that
file listed them. Malformed entries are skipped here; the API server's schema is another rule's concern.
"""

from __future__ import annotations

from checks.kustomize import InlinePatches, Patch, targeted_inline_patches
from checks.model import KubeObject
from checks.patches import Selector
from checks.yaml_docs import Pos, YMap, YSeq


def flux_patches(ks: KubeObject) -> list[Patch | InlinePatches]:
    """A Flux Kustomization's ``spec.patches`` (and the legacy v1beta fields) as patches; one written
    inline with a target is parsed when the build finds an object it targets."""
    patches: list[Patch | InlinePatches] = []
    spec = ks.spec
    for item, _pos in _items(spec.get("patches")):
        if isinstance(item, YMap) and isinstance(item.get("patch"), str):
            selector = Selector.from_mapping(item.get("target")) if item.get("target") else None
            patches.extend(targeted_inline_patches(item["patch"], item.value_pos["patch"], selector))
    for item, pos in _items(spec.get("patchesStrategicMerge")):
        if isinstance(item, YMap):
            patches.append(Patch(item, None, pos))
    for item, _pos in _items(spec.get("patchesJson6902")):
        if isinstance(item, YMap) and isinstance(item.get("patch"), YSeq):
            patches.append(Patch(item["patch"], Selector.from_mapping(item.get("target")),
                                 item.value_pos["patch"]))
    return patches


def flux_components(ks: KubeObject) -> list[tuple[str, Pos]]:
    """A Flux Kustomization's ``spec.components``, each with where it was written."""
    return [(str(item), pos) for item, pos in _items(ks.spec.get("components")) if isinstance(item, str)]


def _items(value: object) -> list[tuple[object, Pos]]:
    if isinstance(value, YSeq):
        return list(zip(value, value.item_pos, strict=True))
    return []
