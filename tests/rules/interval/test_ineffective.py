"""interval/ineffective: intervals Flux ignores, the ones it uses, and the deleted line."""

from __future__ import annotations

from rule_support import ROOT, findings, kustomization, round_trip, yaml

from ._support import repo

HELM_REPOSITORY = """
    apiVersion: source.toolkit.fluxcd.io/v1
    kind: HelmRepository
    metadata:
      name: charts
      namespace: flux-system
    spec:
      {type}interval: 30m
      url: {url}
    """


def test_interval_on_an_oci_helm_repository_is_deleted() -> None:
    files = repo(kustomization())
    files[f"{ROOT}/charts.yaml"] = yaml(HELM_REPOSITORY).format(type="type: oci\n  ", url="oci://ghcr.io/org")
    fixed = round_trip(files, "interval/ineffective")
    assert "interval" not in fixed[f"{ROOT}/charts.yaml"]


def test_interval_on_a_v1beta3_provider_is_ineffective() -> None:
    files = repo(kustomization())
    files[f"{ROOT}/provider.yaml"] = yaml("""
        apiVersion: notification.toolkit.fluxcd.io/v1beta3
        kind: Provider
        metadata:
          name: slack
          namespace: flux-system
        spec:
          type: slack
          interval: 10m
        """)
    [finding] = findings(files, "interval/ineffective")
    assert "Provider/flux-system/slack" in finding.message


def test_interval_on_an_http_helm_repository_is_used() -> None:
    files = repo(kustomization())
    files[f"{ROOT}/charts.yaml"] = yaml(HELM_REPOSITORY).format(type="", url="https://charts.example.com")
    assert findings(files, "interval/ineffective") == []


def test_interval_on_an_older_provider_or_none_on_an_oci_helm_repository_is_quiet() -> None:
    """v1beta1 and v1beta2 Providers still read `interval`; an OCI HelmRepository without one is right."""
    provider = yaml("""
        apiVersion: notification.toolkit.fluxcd.io/{version}
        kind: Provider
        metadata:
          name: slack
          namespace: flux-system
        spec:
          type: slack
          interval: 10m
        """)
    files = repo(kustomization())
    files[f"{ROOT}/provider.yaml"] = provider.format(version="v1beta3")
    assert len(findings(files, "interval/ineffective")) == 1
    for version in ("v1beta1", "v1beta2"):
        files[f"{ROOT}/provider.yaml"] = provider.format(version=version)
        assert findings(files, "interval/ineffective") == [], version
    oci = yaml(HELM_REPOSITORY).format(type="type: oci\n  ", url="oci://ghcr.io/org")
    assert "  interval: 30m\n" in oci
    files[f"{ROOT}/charts.yaml"] = oci.replace("  interval: 30m\n", "")
    assert findings(files, "interval/ineffective") == []
