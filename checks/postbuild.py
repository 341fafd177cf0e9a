"""The variables a Flux Kustomization's postBuild gives the manifests it renders, where the repository shows them.

A parent's substitution runs over everything it renders, child Kustomizations
included, so a child's ``spec.path: ./kubernetes/${CLUSTER}/apps`` names the
folder the parent's variables make of it. The model follows that folder when
every variable it needs is known: inline ``postBuild.substitute`` values and
the literal data of ``substituteFrom`` ConfigMaps and Secrets written in the
repository. When a value comes from somewhere the repository does not show
(a generated ConfigMap, an encrypted Secret, a cluster-side object), the
folder is unknown: it is neither followed nor reported missing.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable

from checks.model import KubeObject
from checks.resourceset import filled_by_operator
from checks.substitution import parse, substitute, substitution_disabled


def substituted_path(ks: KubeObject, cluster: object, path: str, written: Iterable[KubeObject]) -> str | None:
    """``path`` after the substitution of the Kustomization that renders ``ks``; None when unknown.

    Without postBuild on the parent no substitution runs: the path keeps its
    ``${...}`` literally (and Flux looks for that folder).
    """
    parent = _parent(ks, cluster)
    if parent is None or substitution_disabled(ks.get("metadata", "labels"), ks.get("metadata", "annotations")):
        return None
    post = parent.get("spec", "postBuild")
    if not isinstance(post, dict) or not (post.get("substitute") or post.get("substituteFrom")):
        return path
    variables, complete = variables_of(parent, cluster, written)
    if not complete:
        # Inline values win over every substituteFrom source, so they are certain even when a source
        # cannot be read; any other variable might come from that source.
        inline = post.get("substitute")
        certain = {str(k) for k in inline} if isinstance(inline, dict) else set()
        if not {ref.name for ref in parse(path).references} <= certain:
            return None
    return substitute(path, variables)


def variables_of(parent: KubeObject, cluster: object, written: Iterable[KubeObject]) -> tuple[dict[str, str], bool]:
    """The variables ``parent``'s postBuild supplies, and whether every source of them could be read.

    Later ``substituteFrom`` entries win over earlier ones, and inline
    ``substitute`` wins over all of them (kustomize-controller's order).
    """
    post = parent.get("spec", "postBuild")
    post = post if isinstance(post, dict) else {}
    values: dict[str, str] = {}
    complete = True
    written = written if isinstance(written, list) else list(written)  # the model's list: not copied per call
    for entry in post.get("substituteFrom") or []:
        if not isinstance(entry, dict):
            complete = False
            continue
        data = _literal_data(str(entry.get("kind") or ""), str(entry.get("name") or ""), parent.namespace,
                             cluster, written)
        if data is None:
            complete = complete and entry.get("optional") is True and not _exists(entry, parent, cluster, written)
            continue
        values.update(data)
    inline = post.get("substitute")
    if isinstance(inline, dict):
        values.update({str(k): str(v) for k, v in inline.items() if not isinstance(v, dict | list)})
    return values, complete


def _parent(ks: KubeObject, cluster: object) -> KubeObject | None:
    renders = getattr(cluster, "renders", {})
    node = renders.get(ks.rendered_by) if ks.rendered_by else None
    return node.kustomization if node is not None else None


def _candidates(kind: str, name: str, namespace: str | None, cluster: object,
                written: list[KubeObject]) -> list[KubeObject]:
    found = list(cluster.find(kind, namespace, name)) if hasattr(cluster, "find") else []
    return found or [o for o in written if o.kind == kind and o.name == name and o.namespace in (None, namespace)]


def _exists(entry: dict, parent: KubeObject, cluster: object, written: list[KubeObject]) -> bool:
    return bool(_candidates(str(entry.get("kind") or ""), str(entry.get("name") or ""), parent.namespace,
                            cluster, written))


def _literal_data(kind: str, name: str, namespace: str | None, cluster: object,
                  written: list[KubeObject]) -> dict[str, str] | None:
    """The data of the one ConfigMap or Secret of that name, when it is written in plain text."""
    if kind not in ("ConfigMap", "Secret"):
        return None
    datas = []
    for obj in _candidates(kind, name, namespace, cluster, written):
        data = _plain_data(obj)
        if data is None:
            return None
        datas.append(data)
    distinct = {tuple(sorted(d.items())) for d in datas}
    return dict(next(iter(distinct))) if len(distinct) == 1 else None


def _plain_data(obj: KubeObject) -> dict[str, str] | None:
    if "sops" in obj.body:
        return None  # encrypted: its values are not ours to read
    if obj.implicit or filled_by_operator(obj):
        return None  # no file writes its data, or flux-operator copies it in from the cluster
    values: dict[str, str] = {}
    data = obj.get("data")
    if isinstance(data, dict):
        for key, value in data.items():
            if obj.kind == "Secret":
                try:
                    values[str(key)] = base64.b64decode(str(value), validate=True).decode()
                except (binascii.Error, UnicodeDecodeError):
                    return None
            else:
                values[str(key)] = str(value)
    string_data = obj.get("stringData")
    if obj.kind == "Secret" and isinstance(string_data, dict):
        values.update({str(k): str(v) for k, v in string_data.items()})
    return values
