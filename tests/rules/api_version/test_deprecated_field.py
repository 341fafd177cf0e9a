"""api-version/deprecated-field: skipCRDs, Alert summary and Provider proxy, and the fixes that replace them."""

from __future__ import annotations

import yaml
from rule_support import apply_fix, findings
from rule_support import apps_repository as repo

from checks.config import Config


def test_skip_crds_is_reported_and_fixed_to_crds_skip() -> None:
    files = repo(podinfo="""\
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata:
          name: podinfo
          namespace: apps
        spec:
          interval: 15m
          chartRef:
            kind: OCIRepository
            name: podinfo
          install:
            skipCRDs: true  # the CRDs come from crds/
    """)
    [finding] = findings(files, "api-version/deprecated-field")
    assert (finding.line, finding.key) == (12, "spec.install.skipCRDs")
    assert finding.fix is not None
    assert finding.fix.replacement == "    crds: Skip  # the CRDs come from crds/\n"
    fixed = apply_fix(files, finding)
    assert findings(fixed, "api-version/deprecated-field") == []
    assert yaml.safe_load(fixed["apps/podinfo.yaml"])["spec"]["install"] == {"crds": "Skip"}


def test_skip_crds_beside_crds_is_deleted_by_the_fix() -> None:
    files = repo(podinfo="""\
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata:
          name: podinfo
          namespace: apps
        spec:
          interval: 15m
          chartRef:
            kind: OCIRepository
            name: podinfo
          install:
            crds: CreateReplace
            skipCRDs: false
    """)
    [finding] = findings(files, "api-version/deprecated-field")
    assert "set `spec.install.crds: Create` instead" in finding.message
    assert finding.fix is not None
    assert (finding.fix.start_line, finding.fix.end_line, finding.fix.replacement) == (13, 13, "")
    fixed = apply_fix(files, finding)
    assert findings(fixed, "api-version/deprecated-field") == []
    assert yaml.safe_load(fixed["apps/podinfo.yaml"])["spec"]["install"] == {"crds": "CreateReplace"}


def test_alert_summary_moves_to_event_metadata() -> None:
    files = repo(alert="""\
        apiVersion: notification.toolkit.fluxcd.io/v1beta3
        kind: Alert
        metadata:
          name: on-call
          namespace: flux-system
        spec:
          providerRef:
            name: slack
          summary: "Production cluster"
          eventSources:
            - kind: Kustomization
              name: '*'
    """)
    [finding] = findings(files, "api-version/deprecated-field")
    assert finding.key == "spec.summary"
    fixed = apply_fix(files, finding)
    assert findings(fixed, "api-version/deprecated-field") == []
    assert yaml.safe_load(fixed["apps/alert.yaml"])["spec"]["eventMetadata"] == {"summary": "Production cluster"}


def test_provider_proxy_is_reported_without_a_fix() -> None:
    files = repo(provider="""\
        apiVersion: notification.toolkit.fluxcd.io/v1beta3
        kind: Provider
        metadata:
          name: slack
          namespace: flux-system
        spec:
          type: slack
          proxy: https://proxy.internal:8080
    """)
    [finding] = findings(files, "api-version/deprecated-field")
    assert finding.fix is None
    assert "proxySecretRef" in finding.message


def test_deprecated_field_look_alikes_are_quiet() -> None:
    files = repo(others="""\
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata:
          name: podinfo
          namespace: apps
        spec:
          interval: 15m
          chartRef:
            kind: OCIRepository
            name: podinfo
          install:
            crds: Skip
          values:
            summary: not an Alert
            proxy: http://proxy:3128
        ---
        apiVersion: notification.toolkit.fluxcd.io/v1beta3
        kind: Alert
        metadata:
          name: on-call
          namespace: flux-system
        spec:
          providerRef:
            name: slack
          eventMetadata:
            summary: Production cluster
          eventSources:
            - kind: Kustomization
              name: '*'
    """)
    assert findings(files, "api-version/deprecated-field") == []


def test_skip_crds_on_a_still_served_beta_is_quiet_until_the_version_goes() -> None:
    files = repo(podinfo="""\
        apiVersion: helm.toolkit.fluxcd.io/v2beta2
        kind: HelmRelease
        metadata:
          name: podinfo
          namespace: apps
        spec:
          interval: 15m
          chart:
            spec:
              chart: podinfo
              sourceRef:
                kind: HelmRepository
                name: podinfo
          install:
            skipCRDs: true
    """)
    assert findings(files, "api-version/deprecated-field", Config(flux_version="2.7")) == []
    # Unpinned, the object itself shows a Flux before 2.8, which serves v2beta2: quiet too.
    assert findings(files, "api-version/deprecated-field") == []
    [finding] = findings(files, "api-version/deprecated-field", Config(flux_version="2.9"))  # v2beta2 is gone
    assert finding.key == "spec.install.skipCRDs"
