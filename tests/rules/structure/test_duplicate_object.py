"""structure/duplicate-object: one object rendered twice in a cluster."""

from __future__ import annotations

from rule_support import config_map, kustomization
from rule_support import findings as run

from ._support import NAMESPACE


def test_same_object_from_two_kustomizations() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(),
        "clusters/prod/infra.yaml": kustomization("infra", "./infra"),
        "apps/namespace.yaml": NAMESPACE,
        "infra/namespace.yaml": NAMESPACE,
    }
    findings = run(files, "structure/duplicate-object")
    assert sorted(f.path for f in findings) == ["apps/namespace.yaml", "infra/namespace.yaml"]
    assert all("Kustomization/flux-system/apps" in f.message and "Kustomization/flux-system/infra" in f.message
               for f in findings)
    assert len({f.fingerprint for f in findings}) == 2


def test_parent_folder_rendering_a_childs_folder_is_a_duplicate() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(),
        "apps/podinfo/ks.yaml": kustomization("podinfo", "./apps/podinfo/app"),
        "apps/podinfo/app/cm.yaml": config_map("podinfo", "A: b\n"),
    }
    [finding] = run(files, "structure/duplicate-object")
    assert finding.object == "ConfigMap/default/podinfo"


def test_same_object_twice_in_one_build() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(),
        "apps/kustomization.yaml": "resources:\n  - a.yaml\n  - b.yaml\n",
        "apps/a.yaml": config_map("web", "A: b\n"),
        "apps/b.yaml": config_map("web", "A: c\n"),
    }
    findings = run(files, "structure/duplicate-object")
    assert len(findings) == 2 and "already registered id" in findings[0].message


def test_duplicate_look_alikes() -> None:
    """One file in two clusters, substituted names, other namespaces, generated ConfigMaps."""
    files = {
        "clusters/prod/apps.yaml": kustomization(),
        "clusters/staging/apps.yaml": kustomization(),
        "clusters/prod/infra.yaml": kustomization("infra", "./infra", extra="postBuild:\n  substitute:\n    APP: x\n"),
        "clusters/prod/more.yaml": kustomization("more", "./infra", extra="postBuild:\n  substitute:\n    APP: y\n"
                                                 "targetNamespace: more\n"),
        "apps/cm.yaml": config_map("web", "A: b\n"),
        "apps/other.yaml": config_map("web", "A: b\n", namespace="other"),
        "infra/cm.yaml": config_map("${APP}-settings", "A: b\n"),
    }
    assert run(files, "structure/duplicate-object") == []


def test_a_flux_instance_sync_folder_walk_and_a_kustomization_applying_the_same_subfolder() -> None:
    # The synced folder has no kustomization.yaml: Flux's generated walk takes apps/ too.
    instance = ("apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata:\n  name: flux\n"
                "  namespace: flux-system\nspec:\n  sync:\n    kind: GitRepository\n    url: https://example.com/fleet\n"
                "    path: kubernetes/cluster\n")
    files = {"kubernetes/flux/instance.yaml": instance,
             "kubernetes/cluster/apps.yaml": kustomization("apps", "./kubernetes/cluster/apps"),
             "kubernetes/cluster/apps/cm.yaml": config_map("settings")}
    [finding] = run(files, "structure/duplicate-object")
    assert "Kustomization/flux-system/apps" in finding.message and "Kustomization/flux-system/flux-system" in \
        finding.message
