"""Objects on their way through a build: copy on write, and a kustomization file's own transformers."""

from __future__ import annotations

from checks.rendered import Rendered, apply_common_annotations, apply_name_affixes, set_namespaces
from checks.yaml_docs import Pos, YMap, load_yaml

OBJECTS = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: old
data:
  key: value
---
apiVersion: v1
kind: Namespace
metadata:
  name: _
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: reader
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
"""
WHERE = Pos("kustomization.yaml", 3, 3)


def rendered() -> tuple[list[YMap], list[Rendered]]:
    roots = [doc.root for doc in load_yaml("objects.yaml", OBJECTS.encode()).docs]
    return roots, [Rendered(root, "objects.yaml", index) for index, root in enumerate(roots)]


def test_a_namespace_moves_namespaced_objects_and_renames_namespaces_only() -> None:
    roots, objects = rendered()
    set_namespaces(objects, "media", "kustomization.yaml", WHERE)
    config, namespace, role, crd = objects
    assert config.namespace == "media"
    assert config.namespace_source == "kustomization.yaml"
    assert config.body["metadata"].value_pos["namespace"] == WHERE
    assert namespace.body["metadata"]["name"] == "media"
    assert role.namespace is None
    assert crd.namespace is None
    # The loaded documents are as written: only copies were changed.
    assert roots[0]["metadata"]["namespace"] == "old"
    assert roots[1]["metadata"]["name"] == "_"


def test_a_namespace_copies_the_top_level_and_metadata_only() -> None:
    roots, objects = rendered()
    set_namespaces(objects[:1], "media", "targetNamespace", WHERE)
    config = objects[0]
    assert config.body is not roots[0]
    assert config.body["metadata"] is not roots[0]["metadata"]
    assert config.body["data"] is roots[0]["data"]
    assert not config.owned


def test_an_owned_body_is_changed_in_place() -> None:
    _roots, objects = rendered()
    config = objects[0]
    body = config.writable()
    assert config.owned
    set_namespaces([config], "media", "targetNamespace", WHERE)
    assert config.body is body
    assert body["metadata"]["namespace"] == "media"


def test_name_affixes_skip_namespaces_and_crds() -> None:
    roots, objects = rendered()
    doc = load_yaml("kustomization.yaml", b"namePrefix: prod-\nnameSuffix: -v2\n").docs[0].root
    apply_name_affixes(objects, doc)
    assert [o.body["metadata"]["name"] for o in objects] == [
        "prod-settings-v2", "_", "prod-reader-v2", "widgets.example.com"]
    assert roots[0]["metadata"]["name"] == "settings"


def test_common_annotations_land_where_the_kustomization_file_writes_them() -> None:
    roots, objects = rendered()
    doc = load_yaml("kustomization.yaml", b"commonAnnotations:\n  team: media\n").docs[0].root
    apply_common_annotations(objects[:1], doc)
    annotations = objects[0].body["metadata"]["annotations"]
    assert annotations == {"team": "media"}
    assert annotations.value_pos["team"] == Pos("kustomization.yaml", 2, 2)
    assert "annotations" not in roots[0]["metadata"]


def test_without_affixes_or_annotations_nothing_is_copied() -> None:
    roots, objects = rendered()
    doc = load_yaml("kustomization.yaml", b"resources: []\n").docs[0].root
    apply_name_affixes(objects, doc)
    apply_common_annotations(objects, doc)
    assert all(o.body is root and not o.owned for o, root in zip(objects, roots, strict=True))
