"""KubeObject: identity, Flux kinds, values and where they were written."""

from __future__ import annotations

import textwrap

import pytest

from checks.model import FLUX_KINDS, KubeObject, api_group, identified, is_flux, object_id
from checks.yaml_docs import Pos, load_yaml


def obj(text: str, namespace: str | None = "flux-system") -> KubeObject:
    root = load_yaml("ks.yaml", textwrap.dedent(text).encode()).docs[0].root
    return KubeObject(root, "ks.yaml", 0, namespace)


KUSTOMIZATION = """\
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    metadata:
      name: apps
      namespace: flux-system
      labels:
        tier: apps
      annotations:
        owner: platform
    spec:
      interval: 10m
      dependsOn:
        - name: infra
        - name: crds
      postBuild:
        substitute:
          domain: example.com
    """


def test_identity() -> None:
    ks = obj(KUSTOMIZATION)
    assert (ks.api_version, ks.kind, ks.group, ks.name) == (
        "kustomize.toolkit.fluxcd.io/v1", "Kustomization", "kustomize.toolkit.fluxcd.io", "apps")
    assert ks.id == "Kustomization/flux-system/apps"
    assert ks.key == ("Kustomization", "flux-system", "apps")
    assert ks.line == 1
    assert ks.is_flux
    assert not ks.implicit and ks.cluster is None and ks.rendered_by is None


def test_identity_is_computed_once_and_kept() -> None:
    ks = obj(KUSTOMIZATION)
    assert ks.name == "apps"
    ks.body["metadata"]["name"] = "renamed"  # bodies are never replaced after the model is built
    assert (ks.name, ks.id) == ("apps", "Kustomization/flux-system/apps") and "name" in vars(ks)


def test_cluster_scoped_ids_have_no_namespace() -> None:
    ns = obj("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n", namespace=None)
    assert ns.id == "Namespace/web"
    assert object_id("ClusterRole", None, "admin") == "ClusterRole/admin"
    assert object_id("HelmRelease", "web", "podinfo") == "HelmRelease/web/podinfo"


@pytest.mark.parametrize(("api_version", "kind", "flux"), [
    ("kustomize.toolkit.fluxcd.io/v1", "Kustomization", True),
    ("kustomize.toolkit.fluxcd.io/v1beta1", "Kustomization", True),  # any version
    ("kustomize.config.k8s.io/v1beta1", "Kustomization", False),  # kustomize's own file
    ("helm.toolkit.fluxcd.io/v2beta1", "HelmRelease", True),
    ("source.toolkit.fluxcd.io/v1", "OCIRepository", True),
    ("source.toolkit.fluxcd.io/v1", "ExternalArtifact", True),
    ("source.extensions.fluxcd.io/v1beta1", "ArtifactGenerator", True),
    ("fluxcd.controlplane.io/v1", "FluxInstance", True),
    ("notification.toolkit.fluxcd.io/v1beta3", "Alert", True),
    ("image.toolkit.fluxcd.io/v1", "ImagePolicy", True),
    ("monitoring.coreos.com/v1", "ServiceMonitor", False),
    ("source.toolkit.fluxcd.io/v1", "HelmRelease", False),  # wrong group for the kind
    ("v1", "ConfigMap", False),
])
def test_is_flux(api_version: str, kind: str, flux: bool) -> None:
    assert is_flux(api_version, kind) is flux


def test_every_kind_of_the_api_version_table_is_a_flux_kind() -> None:
    for kind in ("GitRepository", "HelmRepository", "HelmChart", "Bucket", "OCIRepository", "Kustomization",
                 "HelmRelease", "Alert", "Provider", "Receiver", "ImageRepository", "ImagePolicy",
                 "ImageUpdateAutomation"):
        assert kind in FLUX_KINDS


def test_api_group() -> None:
    assert api_group("v1") == ""
    assert api_group("apps/v1") == "apps"
    assert api_group("helm.toolkit.fluxcd.io/v2") == "helm.toolkit.fluxcd.io"


def test_get_follows_keys_and_indexes() -> None:
    ks = obj(KUSTOMIZATION)
    assert ks.get("spec", "interval") == "10m"
    assert ks.get("spec", "dependsOn", 1, "name") == "crds"
    assert ks.get("spec", "dependsOn", 5, "name") is None
    assert ks.get("spec", "dependsOn", "name") is None
    assert ks.get("spec", "interval", "deeper") is None
    assert ks.get("missing") is None
    assert ks.get("spec", "interval", 0) is None  # a string is not indexed
    assert ks.get("spec", "dependsOn", -1) is None  # nor is a list from its end
    assert ks.get("missing", "deeper", 0) is None
    assert ks.spec["interval"] == "10m"
    assert ks.labels() == {"tier": "apps"}
    assert ks.annotations() == {"owner": "platform"}


def test_pos_and_key_pos_point_at_the_written_lines() -> None:
    ks = obj(KUSTOMIZATION)
    assert ks.pos("spec", "interval") == Pos("ks.yaml", 11, 11)
    assert ks.key_pos("spec", "interval") == Pos("ks.yaml", 11, 11)
    assert ks.pos("spec", "dependsOn", 1) == Pos("ks.yaml", 14, 14)
    assert ks.pos("spec", "postBuild") == Pos("ks.yaml", 16, 17)
    assert ks.key_pos("spec", "postBuild") == Pos("ks.yaml", 15, 15)
    assert ks.key_pos() == ks.body.pos


def test_pos_of_a_missing_value_falls_back_to_the_nearest_written_parent() -> None:
    ks = obj(KUSTOMIZATION)
    assert ks.pos("spec", "timeout") == ks.pos("spec")
    assert ks.key_pos("spec", "timeout") == ks.pos("spec")
    assert ks.pos("spec", "dependsOn", 9) == ks.pos("spec", "dependsOn")


def test_objects_without_metadata_or_spec_are_harmless() -> None:
    odd = obj("kind: Thing\nmetadata: just-text\nspec: [1]\n")
    assert odd.name == "" and odd.api_version == "" and odd.spec == {}
    assert odd.labels() == {} and odd.annotations() == {}
    assert not odd.is_flux


@pytest.mark.parametrize("body", [
    {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization", "metadata": {"name": "apps"}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": 7}},
    {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "metadata": ["not", "a", "map"]},
    {"apiVersion": 2, "kind": None},
    {"kind": "Kustomization", "metadata": {}},
    {},
])
@pytest.mark.parametrize("namespace", ["flux-system", None, ""])
def test_identity_read_at_once_is_what_the_properties_read(body: dict, namespace: str | None) -> None:
    names = ("api_version", "kind", "group", "name", "is_flux", "id", "key")
    lazy = KubeObject(body, "a.yaml", 0, namespace)
    eager = identified(KubeObject(body, "a.yaml", 0, namespace))
    assert set(names) <= set(eager.__dict__)  # read at once, not on first use
    assert [getattr(eager, n) for n in names] == [getattr(lazy, n) for n in names]
