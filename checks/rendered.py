"""An object on its way through a kustomize build, and what a kustomization file's own fields do to it.

Bodies are shared with the loaded documents (and between builds of one folder) until something changes
them: a namespace copies only the top level and the metadata, anything else a private copy
(``Rendered.writable``). The transformers follow kustomize's: the namespace transformer (which also
renames v1 Namespace objects), ``namePrefix``/``nameSuffix`` and ``commonAnnotations``.
"""

from __future__ import annotations

from dataclasses import dataclass

from checks.model import CLUSTER_SCOPED
from checks.patches import private_copy
from checks.yaml_docs import Pos, YMap


@dataclass
class Rendered:
    """An object on its way through a build; ``owned`` once the body is a private copy."""

    body: YMap
    path: str
    doc_index: int
    namespace_source: str = "own"
    owned: bool = False

    def writable(self) -> YMap:
        if not self.owned:
            self.body = private_copy(self.body)
            self.owned = True
        return self.body

    @property
    def namespace(self) -> str | None:
        meta = self.body.get("metadata")
        value = meta.get("namespace") if isinstance(meta, dict) else None
        return str(value) if value not in (None, "") else None

    def set_namespace(self, namespace: str, source: str, pos: Pos) -> None:
        meta = self.body.get("metadata")
        if not isinstance(meta, YMap):
            return
        if not self.owned:
            # Copy only the body's top level and metadata: the rest stays shared
            # until a patch needs a private copy (most objects are never patched).
            body = _shallow(self.body)
            meta = _shallow(meta)
            body["metadata"] = meta
            self.body = body
        meta.set("namespace", namespace, pos, pos)
        self.namespace_source = source


def _shallow(mapping: YMap) -> YMap:
    copy = dict.__new__(YMap)  # YMap(pos) and three updates, without a Python-level __init__ per object
    copy.update(mapping)
    copy.pos, copy.key_pos, copy.value_pos = mapping.pos, dict(mapping.key_pos), dict(mapping.value_pos)
    return copy


def set_namespaces(objects: list[Rendered], namespace: str, source: str, pos: Pos) -> None:
    """kustomize's namespace transformer: every namespaced object moves, ``source`` says who moved it."""
    for obj in objects:
        if obj.body.get("kind") == "Namespace" and obj.body.get("apiVersion") == "v1":
            _rename_namespace(obj, namespace)
            continue
        if obj.body.get("kind") in CLUSTER_SCOPED:
            continue
        if obj.namespace != namespace or obj.namespace_source != source:
            obj.set_namespace(namespace, source, pos)


def _rename_namespace(obj: Rendered, namespace: str) -> None:
    """kustomize's namespace transformer renames v1 Namespace objects too (its
    ``metadata/name`` field spec for kind Namespace): ``name: _`` under
    ``namespace: media`` becomes Namespace ``media``."""
    meta = obj.body.get("metadata")
    if not isinstance(meta, YMap) or meta.get("name") == namespace:
        return
    meta = obj.writable().get("metadata")
    if isinstance(meta, YMap):
        meta["name"] = namespace


def apply_name_affixes(objects: list[Rendered], doc: YMap) -> None:
    """A kustomization file's ``namePrefix`` and ``nameSuffix`` (Namespaces and CRDs keep their names)."""
    prefix = doc.get("namePrefix") if isinstance(doc.get("namePrefix"), str) else ""
    suffix = doc.get("nameSuffix") if isinstance(doc.get("nameSuffix"), str) else ""
    if not prefix and not suffix:
        return
    for obj in objects:
        if obj.body.get("kind") in ("Namespace", "CustomResourceDefinition"):
            continue
        meta = obj.writable().get("metadata")
        if isinstance(meta, YMap) and meta.get("name"):
            meta["name"] = f"{prefix}{meta['name']}{suffix}"


def apply_common_annotations(objects: list[Rendered], doc: YMap) -> None:
    """A kustomization file's ``commonAnnotations``, written where that file writes them."""
    common = doc.get("commonAnnotations")
    if not isinstance(common, YMap) or not common:
        return
    for obj in objects:
        meta = obj.writable().get("metadata")
        if not isinstance(meta, YMap):
            continue
        annotations = meta.get("annotations")
        if not isinstance(annotations, YMap):
            annotations = YMap(common.pos)
            meta.set("annotations", annotations, common.pos, common.pos)
        for key, value in common.items():
            annotations.set(key, value, common.key_pos[key], common.value_pos[key])
