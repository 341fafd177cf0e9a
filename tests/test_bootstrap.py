"""What flux bootstrap and FluxInstances create: made only where the repository shows it."""

from __future__ import annotations

from checks.bootstrap import bootstrap_kustomization, bootstrap_objects, bootstrap_sources, patched
from checks.model import KubeObject
from checks.yaml_docs import load_yaml


def _ks(source_kind: str, source: str, namespace: str = "") -> KubeObject:
    ns = f"\n    namespace: {namespace}" if namespace else ""
    text = (f"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n"
            f"  namespace: flux-system\nspec:\n  path: ./apps\n  sourceRef:\n    kind: {source_kind}\n"
            f"    name: {source}{ns}\n")
    return KubeObject(load_yaml("ks.yaml", text.encode()).docs[0].root, "ks.yaml", 0, "flux-system")


def test_the_bootstrap_kustomization_of_a_cluster_folder() -> None:
    ks = bootstrap_kustomization("clusters/prod")
    assert ks.implicit and ks.id == "Kustomization/flux-system/flux-system"
    assert ks.get("spec", "path") == "./clusters/prod" and ks.get("spec", "sourceRef", "name") == "flux-system"


def test_the_bootstrap_kustomization_of_a_flux_instance_sync_reads_its_source_kind() -> None:
    ks = bootstrap_kustomization("kubernetes/clusters/nova", "./clusters/nova", "OCIRepository")
    assert ks.get("spec", "path") == "./clusters/nova" and ks.get("spec", "sourceRef", "kind") == "OCIRepository"


def test_bootstrap_sources_come_from_what_the_repository_shows() -> None:
    assert bootstrap_sources([], [_ks("GitRepository", "home-ops")], None) == frozenset()
    assert bootstrap_sources([], [_ks("OCIRepository", "flux-system")], None) == {"OCIRepository"}
    assert bootstrap_sources([], [_ks("GitRepository", "flux-system", "other")], None) == frozenset()
    assert bootstrap_sources(["clusters/prod/flux-system/gotk-sync.yaml"], [], None) == {"GitRepository"}
    assert bootstrap_sources([], [], "OCIRepository") == {"OCIRepository"}
    assert bootstrap_sources([], [], "Bucket") == frozenset()


def test_bootstrap_objects_are_the_namespace_and_only_the_shown_sources() -> None:
    kinds = [(o.kind, o.namespace) for o in bootstrap_objects("clusters/prod", "prod", frozenset())]
    assert kinds == [("Namespace", None)]
    made = bootstrap_objects("", "default", frozenset({"OCIRepository"}))
    assert [(o.kind, o.name) for o in made] == [("Namespace", "flux-system"), ("OCIRepository", "flux-system"),
                                                ("Kustomization", "flux-system")]
    assert all(o.implicit and o.cluster == "default" for o in made)


def test_a_flux_instance_patch_for_the_sync_kustomization_reaches_the_root() -> None:
    patches = load_yaml("i.yaml", b"""\
patches:
  - patch: |
      - op: add
        path: /spec/decryption
        value:
          provider: sops
    target:
      kind: Kustomization
  - patch: |
      - op: add
        path: /spec/template/spec/containers/0/args/-
        value: --concurrent=10
    target:
      kind: Deployment
""").docs[0].root["patches"]
    root = bootstrap_kustomization("kubernetes/flux/cluster", "./kubernetes/flux/cluster")
    result = patched(root, patches)
    assert result.get("spec", "decryption") == {"provider": "sops"} and result.implicit
    assert root.get("spec", "decryption") is None  # the unpatched object is left as it was
    only_deployments = patches[1:]
    assert patched(root, only_deployments) is root and patched(root, None) is root
