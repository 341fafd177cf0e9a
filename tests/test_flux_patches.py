"""A Flux Kustomization's own patches and components, as its folder's build applies them."""

from __future__ import annotations

from checks.flux_patches import flux_components, flux_patches
from checks.kustomize import InlinePatches
from checks.model import KubeObject
from checks.yaml_docs import Pos, YMap, YSeq, load_yaml

KUSTOMIZATION = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1beta2
kind: Kustomization
metadata:
  name: apps
spec:
  patches:
    - patch: |
        - op: add
          path: /spec/replicas
          value: 2
      target:
        kind: Deployment
        name: web
    - patch: "not a list"
    - target: {kind: Deployment}
  patchesStrategicMerge:
    - apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: api
      spec:
        replicas: 3
    - just text
  patchesJson6902:
    - target: {kind: Service, name: web}
      patch:
        - op: remove
          path: /spec/clusterIP
    - target: {kind: Service}
      patch: "a string"
  components:
    - ../components/monitoring
    - {path: ignored}
"""


def kustomization(text: str = KUSTOMIZATION) -> KubeObject:
    root = load_yaml("clusters/prod/apps.yaml", text.encode()).docs[0].root
    return KubeObject(root, "clusters/prod/apps.yaml", 0, "flux-system")


def test_every_form_of_patch_is_read_and_malformed_entries_are_skipped() -> None:
    targeted, string_patch, strategic, json6902 = flux_patches(kustomization())
    # Written inline with a target: parsed when a build finds an object the target selects.
    assert isinstance(targeted, InlinePatches)
    assert (targeted.selector.kind, targeted.selector.name) == ("Deployment", "web")
    [inline] = targeted.parsed()
    assert isinstance(inline.content, YSeq) and inline.content[0]["path"] == "/spec/replicas"
    assert inline.origin == Pos("clusters/prod/apps.yaml", 8, 10)  # the block scalar, from its first line
    assert string_patch.content == "not a list" and string_patch.selector is None
    assert isinstance(strategic.content, YMap) and strategic.content["metadata"]["name"] == "api"
    assert strategic.selector is None and strategic.origin == Pos("clusters/prod/apps.yaml", 17, 22)
    assert json6902.content == [{"op": "remove", "path": "/spec/clusterIP"}]
    assert json6902.selector is not None and json6902.selector.name == "web"
    assert json6902.origin == Pos("clusters/prod/apps.yaml", 27, 28)


def test_components_keep_where_they_were_written() -> None:
    assert flux_components(kustomization()) == [("../components/monitoring", Pos("clusters/prod/apps.yaml", 32, 32))]


def test_a_kustomization_without_patches_or_components_adds_nothing() -> None:
    plain = kustomization("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n"
                          "  name: apps\nspec:\n  path: ./apps\n  patches: {}\n  components: apps\n")
    assert flux_patches(plain) == []
    assert flux_components(plain) == []
