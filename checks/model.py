"""Kubernetes and Flux objects as the rules see them.

A ``KubeObject`` is one document of the repository as it reaches the
cluster: its effective body (after the patches of the Kustomizations that
render it), its resolved namespace, the file it was written in, and which
Flux Kustomization of which cluster renders it. Objects no cluster renders
are kept too, with the namespace written in them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from checks.yaml_docs import Pos, YMap

SOURCE_GROUP = "source.toolkit.fluxcd.io"
KUSTOMIZE_GROUP = "kustomize.toolkit.fluxcd.io"
HELM_GROUP = "helm.toolkit.fluxcd.io"
NOTIFICATION_GROUP = "notification.toolkit.fluxcd.io"
IMAGE_GROUP = "image.toolkit.fluxcd.io"
SOURCE_EXTENSIONS_GROUP = "source.extensions.fluxcd.io"
OPERATOR_GROUP = "fluxcd.controlplane.io"
KUSTOMIZE_CONFIG_GROUP = "kustomize.config.k8s.io"

FLUX_KINDS: dict[str, str] = {
    "GitRepository": SOURCE_GROUP,
    "OCIRepository": SOURCE_GROUP,
    "HelmRepository": SOURCE_GROUP,
    "HelmChart": SOURCE_GROUP,
    "Bucket": SOURCE_GROUP,
    "ExternalArtifact": SOURCE_GROUP,
    "Kustomization": KUSTOMIZE_GROUP,
    "HelmRelease": HELM_GROUP,
    "Alert": NOTIFICATION_GROUP,
    "Provider": NOTIFICATION_GROUP,
    "Receiver": NOTIFICATION_GROUP,
    "ImageRepository": IMAGE_GROUP,
    "ImagePolicy": IMAGE_GROUP,
    "ImageUpdateAutomation": IMAGE_GROUP,
    "ArtifactGenerator": SOURCE_EXTENSIONS_GROUP,
    "FluxInstance": OPERATOR_GROUP,
}
SOURCE_KINDS = frozenset(("GitRepository", "OCIRepository", "HelmRepository", "HelmChart", "Bucket",
                          "ExternalArtifact"))

# Kinds without a namespace; everything else is namespaced (CRDs' own kinds included).
CLUSTER_SCOPED = frozenset((
    "Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding", "PersistentVolume",
    "StorageClass", "PriorityClass", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "APIService", "IngressClass",
    "CSIDriver", "RuntimeClass", "Node", "VolumeSnapshotClass", "ClusterIssuer", "ClusterSecretStore",
    "ClusterExternalSecret", "ClusterPolicy", "ClusterPushSecret", "GatewayClass", "PodSecurityPolicy",
    "ClusterServiceVersion", "CSINode", "FlowSchema", "PriorityLevelConfiguration",
    "ClusterGenerator", "ClusterImageCatalog", "ClusterComplianceReport",
))


def api_group(api_version: str) -> str:
    """The group of an apiVersion (``""`` for the core group ``v1``)."""
    return api_version.rpartition("/")[0]


def is_flux(api_version: str, kind: str) -> bool:
    """True when the object is one of Flux's own kinds, whatever the version."""
    return FLUX_KINDS.get(kind) == api_group(api_version)


def object_id(kind: str, namespace: str | None, name: str) -> str:
    """The ``Kind/namespace/name`` users read in messages (``Kind/name`` when cluster-scoped)."""
    return f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}"


def bootstrap_generated(path: str) -> bool:
    """True for files ``flux bootstrap`` writes (gotk-components.yaml, gotk-sync.yaml): not written by hand."""
    return path.rpartition("/")[2].startswith("gotk-")  # posixpath.basename, without a call per object


def field_path(path: Iterable[str | int]) -> str:
    """A path of keys and indexes as messages write it: ``spec.values.env[0].value``."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text


_dict_get = dict.get


class _cached:
    """``functools.cached_property`` without its lock (Python 3.11 takes one on every first read).

    Rules read an object's kind, name and id first thousands of times per model; a model is
    never shared between threads while it is built, and computing a value twice would give
    the same answer anyway.
    """

    def __init__(self, func: Callable[[Any], Any]) -> None:
        self.func = func
        self.attr = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.attr = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        value = obj.__dict__[self.attr] = self.func(obj)
        return value


@dataclass
class KubeObject:
    """One Kubernetes object as rendered into a cluster (or as written, when unrendered)."""

    body: YMap
    path: str
    doc_index: int
    namespace: str | None
    namespace_source: str = "own"
    cluster: str | None = None
    rendered_by: str | None = None
    implicit: bool = False
    notes: list[str] = field(default_factory=list)
    # The ResourceSet (flux-operator) that creates the object from a template written inside it.
    generated_by: str | None = None

    # Cached: rules ask these of every object many times, and bodies and namespaces are never replaced.
    @_cached
    def api_version(self) -> str:
        return str(self.body.get("apiVersion") or "")

    @_cached
    def kind(self) -> str:
        return str(self.body.get("kind") or "")

    @_cached
    def group(self) -> str:
        return api_group(self.api_version)

    @_cached
    def name(self) -> str:
        meta = self.body.get("metadata")
        return str(meta.get("name") or "") if isinstance(meta, dict) else ""

    @_cached
    def is_flux(self) -> bool:
        return is_flux(self.api_version, self.kind)

    @_cached
    def id(self) -> str:
        return object_id(self.kind, self.namespace, self.name)

    @_cached
    def key(self) -> tuple[str, str | None, str]:
        return (self.kind, self.namespace, self.name)

    @property
    def line(self) -> int:
        return self.body.pos.line

    @property
    def spec(self) -> dict[str, Any]:
        spec = self.body.get("spec")
        return spec if isinstance(spec, dict) else {}

    def get(self, *path: str | int) -> Any:
        """The value at a path of keys and indexes, or None.

        Rules ask it of every object many times, almost always a path of mapping keys: a
        mapping is read without asking first whether it is one (anything else refuses
        ``dict.get``).
        """
        node: Any = self.body
        for step in path:
            try:
                node = _dict_get(node, step)
            except TypeError:
                if isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
                    node = node[step]
                else:
                    return None
            if node is None:
                return None
        return node

    def pos(self, *path: str | int) -> Pos:
        """Where the value at a path was written; falls back to the nearest written parent."""
        node: Any = self.body
        found: Pos = self.body.pos
        for step in path:
            if isinstance(node, YMap) and step in node:
                found = node.value_pos.get(step, found)
                node = node[step]
            elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
                found = getattr(node, "item_pos", [found] * len(node))[step]
                node = node[step]
            else:
                break
        return found

    def key_pos(self, *path: str | int) -> Pos:
        """Where the key of the value at a path was written (the line a user edits)."""
        if not path:
            return self.body.pos
        parent = self.get(*path[:-1]) if len(path) > 1 else self.body
        last = path[-1]
        if isinstance(parent, YMap) and last in parent:
            return parent.key_pos[last]
        return self.pos(*path)

    def annotations(self) -> dict[str, Any]:
        meta = self.body.get("metadata")
        value = meta.get("annotations") if isinstance(meta, dict) else None
        return value if isinstance(value, dict) else {}

    def labels(self) -> dict[str, Any]:
        meta = self.body.get("metadata")
        value = meta.get("labels") if isinstance(meta, dict) else None
        return value if isinstance(value, dict) else {}


def identified(obj: KubeObject) -> KubeObject:
    """The object with its identity (kind, name, id...) read at once, as its cached properties read it.

    The model builder makes an object per rendering of every document, and nearly every one
    is asked all of these: one function reads them together, without a descriptor call each.
    """
    body, namespace = obj.body, obj.namespace
    api_version, kind = str(body.get("apiVersion") or ""), str(body.get("kind") or "")
    meta = body.get("metadata")
    name = str(meta.get("name") or "") if isinstance(meta, dict) else ""
    group = api_version.rpartition("/")[0]
    known = obj.__dict__
    known["api_version"], known["kind"], known["group"], known["name"] = api_version, kind, group, name
    known["is_flux"] = FLUX_KINDS.get(kind) == group
    known["id"] = f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}"
    known["key"] = (kind, namespace, name)
    return obj
