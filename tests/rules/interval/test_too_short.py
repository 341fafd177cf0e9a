"""interval/too-short: intervals below the minimum, the configured minimum, and the look-alikes."""

from __future__ import annotations

from rule_support import ROOT, findings, kustomization, round_trip, yaml

from checks.config import Config, RuleSettings

from ._support import repo

OCI = """
    apiVersion: source.toolkit.fluxcd.io/v1
    kind: OCIRepository
    metadata:
      name: platform
      namespace: flux-system
    spec:
      interval: {interval}
      url: oci://ghcr.io/org/platform
      ref:
        tag: 1.0.0
    """


def test_too_short_reports_minimum_and_recommended_and_fixes_to_recommended() -> None:
    files = repo(kustomization())
    files[f"{ROOT}/oci.yaml"] = yaml(OCI.format(interval="30s"))
    [finding] = findings(files, "interval/too-short")
    assert finding.line == 7
    assert "OCIRepository/flux-system/platform reconciles every 30s; minimum 1m, recommended 10m" in finding.message
    fixed = round_trip(files, "interval/too-short")
    assert "  interval: 10m\n" in fixed[f"{ROOT}/oci.yaml"]


def test_too_short_follows_the_configured_minimum() -> None:
    files = repo(kustomization(spec="interval: 5m"))
    assert findings(files, "interval/too-short") == []
    strict = Config(rules={"interval/too-short": RuleSettings(options={"minimum": {"Kustomization": "10m"}})})
    [finding] = findings(files, "interval/too-short", strict)
    assert "minimum 10m" in finding.message


# gotk-sync.yaml as `flux bootstrap` writes it (GitRepository every 1m0s, Kustomization every 10m0s).
GOTK_SYNC = """
    ---
    apiVersion: source.toolkit.fluxcd.io/v1
    kind: GitRepository
    metadata:
      name: flux-system
      namespace: flux-system
    spec:
      interval: {interval}
      ref:
        branch: main
      secretRef:
        name: flux-system
      url: ssh://git@github.com/org/fleet
    ---
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    metadata:
      name: flux-system
      namespace: flux-system
    spec:
      interval: 10m0s
      path: ./clusters/prod
      prune: true
      sourceRef:
        kind: GitRepository
        name: flux-system
    """


def test_too_short_leaves_the_generated_bootstrap_intervals_and_non_flux_intervals_alone() -> None:
    monitor = yaml("""
        apiVersion: monitoring.coreos.com/v1
        kind: ServiceMonitor
        metadata:
          name: app
          namespace: default
        spec:
          endpoints:
            - interval: 30s
        """)
    files = repo(kustomization(), {"apps/monitor.yaml": monitor})
    files[f"{ROOT}/flux-system/gotk-sync.yaml"] = yaml(GOTK_SYNC.format(interval="1m0s"))
    assert findings(files, "interval/too-short") == []


def test_too_short_reports_an_edited_interval_in_the_bootstrap_sync_file() -> None:
    files = repo(kustomization())
    files[f"{ROOT}/flux-system/gotk-sync.yaml"] = yaml(GOTK_SYNC.format(interval="10s"))
    [finding] = findings(files, "interval/too-short")
    assert (finding.path, finding.line) == (f"{ROOT}/flux-system/gotk-sync.yaml", 8)
    assert "GitRepository/flux-system/flux-system reconciles every 10s; minimum 1m" in finding.message
    fixed = round_trip(files, "interval/too-short")
    assert "  interval: 10m\n" in fixed[f"{ROOT}/flux-system/gotk-sync.yaml"]
