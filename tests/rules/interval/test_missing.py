"""interval/missing: a required interval missing after patches, its look-alikes, and the added line."""

from __future__ import annotations

from rule_support import ROOT, findings, kustomization, round_trip, yaml

from ._support import platform_source, repo


def test_missing_interval_on_a_git_repository_is_added() -> None:
    source = platform_source()
    files = repo(kustomization())
    files[f"{ROOT}/sources.yaml"] = source
    [finding] = findings(files, "interval/missing")
    assert finding.line == 6 and "GitRepository/flux-system/platform" in finding.message
    fixed = round_trip(files, "interval/missing")
    assert "spec:\n  interval: 10m\n  url:" in fixed[f"{ROOT}/sources.yaml"]


def test_missing_interval_set_by_a_parent_patch_is_not_reported() -> None:
    parent = kustomization(name="apps", path="./apps", spec="""
        interval: 1h
        patches:
          - patch: |
              apiVersion: kustomize.toolkit.fluxcd.io/v1
              kind: Kustomization
              metadata:
                name: not-used
              spec:
                interval: 30m
            target:
              kind: Kustomization
        """)
    child = kustomization("child", "./child", spec="")  # no interval of its own
    files = repo(parent, {"apps/child.yaml": child})
    assert findings(files, "interval/missing") == []
    unpatched = repo(kustomization(name="apps", path="./apps"), {"apps/child.yaml": child})
    [finding] = findings(unpatched, "interval/missing")
    assert "Kustomization/flux-system/child" in finding.message


def test_missing_is_not_reported_for_kinds_that_need_no_interval_or_for_patch_files() -> None:
    optional = yaml("""
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: HelmRepository
        metadata:
          name: charts
          namespace: flux-system
        spec:
          url: https://charts.example.com
        ---
        apiVersion: notification.toolkit.fluxcd.io/v1beta3
        kind: Alert
        metadata:
          name: on-call
          namespace: flux-system
        spec:
          providerRef:
            name: slack
          eventSources:
            - kind: Kustomization
              name: '*'
        """)
    overlay = {
        "overlay/kustomization.yaml": yaml("""
            apiVersion: kustomize.config.k8s.io/v1beta1
            kind: Kustomization
            resources:
              - ../base
            patches:
              - path: values.yaml
            """),
        "overlay/values.yaml": yaml("""
            apiVersion: helm.toolkit.fluxcd.io/v2
            kind: HelmRelease
            metadata:
              name: podinfo
            spec:
              values:
                replicas: 2
            """),
    }
    files = repo(kustomization()) | overlay
    files[f"{ROOT}/optional.yaml"] = optional
    assert findings(files, "interval/missing") == []
