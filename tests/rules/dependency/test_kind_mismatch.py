"""dependency/kind-mismatch: dependsOn entries naming an object of the other kind, and look-alikes."""

from __future__ import annotations

from rule_support import findings, resource_set

from ._builders import base_files, cluster, ks, release


def test_kustomization_depending_on_a_helm_release_name_is_a_kind_mismatch() -> None:
    files = cluster(ks("apps", "./apps", extra="dependsOn:\n  - name: podinfo\n    namespace: apps\n"),
                    ks("releases", "./releases"),
                    **base_files(), **{"releases/podinfo.yaml": release("podinfo")})
    [finding] = findings(files, "dependency/kind-mismatch")
    assert "which is a HelmRelease (HelmRelease/apps/podinfo)" in finding.message
    assert "flux-system/releases" in finding.message
    assert findings(files, "dependency/missing-target") == []


def test_helm_release_depending_on_a_kustomization_name_is_a_kind_mismatch() -> None:
    releases = release("podinfo", namespace="flux-system",
                            extra="dependsOn:\n  - name: infra\n")
    files = cluster(ks("infra", "./infra"), ks("releases", "./releases"),
                    **base_files(), **{"releases/podinfo.yaml": releases})
    [finding] = findings(files, "dependency/kind-mismatch")
    assert finding.message.startswith("HelmRelease/flux-system/podinfo depends on `infra`, which is a Kustomization")


def test_same_kind_dependencies_are_not_a_mismatch() -> None:
    releases = release("redis") + release("app", extra="dependsOn:\n  - name: redis\n")
    files = cluster(ks("releases", "./releases"), **base_files(), **{"releases/all.yaml": releases})
    assert findings(files, "dependency/kind-mismatch") == []
    assert findings(files, "dependency/missing-target") == []


def test_an_object_a_resourceset_may_create_is_no_evidence_of_its_kind() -> None:
    # A ResourceSet fed by a ResourceSetInputProvider may create HelmRelease `app-<id>`: not known to exist.
    rset = resource_set("""
        inputsFrom:
          - kind: ResourceSetInputProvider
            name: apps
        resources:
          - apiVersion: helm.toolkit.fluxcd.io/v2
            kind: HelmRelease
            metadata:
              name: app-<< inputs.id >>
              namespace: flux-system
    """)
    files = cluster(ks("web", "./apps", extra="dependsOn:\n  - name: app-7\n"), **base_files(),
                    **{"clusters/prod/rset.yaml": rset})
    assert findings(files, "dependency/kind-mismatch") == []
