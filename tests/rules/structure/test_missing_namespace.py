"""structure/missing-namespace: objects applied into a namespace nothing in the cluster creates."""

from __future__ import annotations

from rule_support import config_map, kustomization, resource_set, snapshot
from rule_support import findings as run

from checks.repo import build_model

from ._support import NAMESPACE, line_of


# -- the foundation fact this rule stands on --------------------------------------------------
def test_kustomize_namespace_renames_namespace_objects() -> None:
    """kustomize's namespace transformer renames v1 Namespaces (``name: _`` idiom)."""
    files = {
        "clusters/prod/apps.yaml": kustomization(),
        "apps/kustomization.yaml": "namespace: media\nresources:\n  - namespace.yaml\n  - cm.yaml\n",
        "apps/namespace.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: _\n",
        "apps/cm.yaml": config_map("settings", "A: b\n", namespace="other"),
    }
    [cluster] = build_model(snapshot(files)).clusters
    assert cluster.find("Namespace", None, "media")
    assert not cluster.find("Namespace", None, "_")
    assert cluster.find("ConfigMap", "media", "settings")


def test_object_in_a_namespace_nothing_creates() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(),
        "apps/namespace.yaml": NAMESPACE,
        "apps/podinfo.yaml": config_map("podinfo", "A: b\n", namespace="podinfo"),
        "apps/media.yaml": config_map("plex", "A: b\n", namespace="media"),
    }
    [finding] = run(files, "structure/missing-namespace")
    assert finding.path == "apps/media.yaml" and "`media`" in finding.message
    assert finding.line == line_of(files, "apps/media.yaml", "namespace: media")


def test_target_namespace_does_not_create_it_and_is_reported_once() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(extra="targetNamespace: media\n"),
        "clusters/prod/ns.yaml": NAMESPACE,
        "apps/a.yaml": config_map("a", "A: b\n"),
        "apps/b.yaml": config_map("b", "A: b\n"),
    }
    [finding] = run(files, "structure/missing-namespace")
    assert finding.path == "clusters/prod/apps.yaml"
    assert "and 1 more object" in finding.message


def test_namespaces_created_otherwise_are_quiet() -> None:
    release = """\
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata:
          name: plex
          namespace: flux-system
        spec:
          interval: 15m
          targetNamespace: media
          install:
            createNamespace: true
          chart:
            spec:
              chart: plex
              sourceRef:
                kind: HelmRepository
                name: charts
        """
    files = {
        "clusters/prod/apps.yaml": kustomization(),
        "apps/namespace.yaml": NAMESPACE,
        "apps/release.yaml": release,
        "apps/media.yaml": config_map("plex", "A: b\n", namespace="media"),
        "apps/system.yaml": config_map("sys", "A: b\n", namespace="kube-system"),
    }
    assert run(files, "structure/missing-namespace") == []


def test_repository_without_namespace_objects_manages_them_elsewhere() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(),
        "apps/media.yaml": config_map("plex", "A: b\n", namespace="media"),
    }
    assert run(files, "structure/missing-namespace") == []


HELMFILE = """\
releases:
  - name: cilium
    namespace: kube-system
    chart: cilium/cilium
  - name: cert-manager
    namespace: cert-manager
    chart: jetstack/cert-manager
"""


def test_namespaces_a_bootstrap_creates_outside_flux_exist_and_others_are_only_info() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(),
        "apps/namespace.yaml": NAMESPACE,
        "apps/issuer.yaml": config_map("issuer", "A: b\n", namespace="cert-manager"),
        "apps/media.yaml": config_map("plex", "A: b\n", namespace="media"),
    }
    assert {f.path for f in run(files, "structure/missing-namespace")} == {"apps/issuer.yaml", "apps/media.yaml"}
    files["bootstrap/helmfile.d/01-apps.yaml"] = HELMFILE
    [finding] = run(files, "structure/missing-namespace")  # cert-manager is made by the helmfile release
    assert finding.path == "apps/media.yaml" and finding.severity.name == "INFO"
    assert "creates some namespaces outside Flux (helmfile releases in bootstrap/helmfile.d/01-apps.yaml)" in \
        finding.message and "if `media` is one of them" in finding.message


def test_namespace_manifests_no_kustomization_applies_are_made_by_a_bootstrap() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(),
        "apps/namespace.yaml": NAMESPACE,
        "apps/media.yaml": config_map("plex", "A: b\n", namespace="media"),
        "bootstrap/namespaces.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: media\n",
    }
    assert run(files, "structure/missing-namespace") == []


def test_namespaces_a_resourceset_creates_or_may_create_are_quiet() -> None:
    tenants = resource_set("""
        inputs:
          - tenant: team1
        resources:
          - apiVersion: v1
            kind: Namespace
            metadata:
              name: << inputs.tenant >>
    """)
    previews = resource_set("""
        inputsFrom:
          - kind: ResourceSetInputProvider
            name: pull-requests
        resources:
          - apiVersion: v1
            kind: Namespace
            metadata:
              name: preview-<< inputs.id >>
    """, name="previews")
    files = {
        "clusters/prod/apps.yaml": kustomization(),
        "apps/namespace.yaml": NAMESPACE,
        "apps/tenants.yaml": tenants,
        "apps/previews.yaml": previews,
        "apps/team1.yaml": config_map("settings", "A: b\n", namespace="team1"),
        "apps/preview.yaml": config_map("settings", "A: b\n", namespace="preview-12"),
        "apps/media.yaml": config_map("plex", "A: b\n", namespace="media"),
    }
    [finding] = run(files, "structure/missing-namespace")
    assert finding.path == "apps/media.yaml"
