"""api-version/removed: apiVersions the configured Flux no longer serves, and the fix that rewrites them."""

from __future__ import annotations

from rule_support import apply_fix, findings, kustomization, round_trip
from rule_support import apps_repository as repo

from checks.config import Config

HELM_RELEASE_V2BETA1 = """\
apiVersion: "helm.toolkit.fluxcd.io/v2beta1"  # pinned by hand
kind: HelmRelease
metadata:
  name: podinfo
  namespace: apps
spec:
  interval: 15m
  chart:
    spec:
      chart: podinfo
      version: 6.x
      sourceRef:
        kind: HelmRepository
        name: podinfo
"""


def test_removed_api_version_is_reported_on_the_api_version_line() -> None:
    [finding] = findings(repo(podinfo=HELM_RELEASE_V2BETA1), "api-version/removed")
    assert (finding.path, finding.line) == ("apps/podinfo.yaml", 1)
    assert finding.object == "HelmRelease/apps/podinfo"
    assert "`helm.toolkit.fluxcd.io/v2beta1`, removed in Flux 2.7" in finding.message
    assert "`helm.toolkit.fluxcd.io/v2`" in finding.message


def test_removed_api_version_fix_keeps_quotes_and_comment_and_clears_the_finding() -> None:
    files = repo(podinfo=HELM_RELEASE_V2BETA1)
    [finding] = findings(files, "api-version/removed")
    assert finding.fix is not None
    assert finding.fix.replacement == 'apiVersion: "helm.toolkit.fluxcd.io/v2"  # pinned by hand\n'
    assert findings(apply_fix(files, finding), "api-version/removed") == []


def test_alpha_version_is_reported_as_gone_before_flux_2_and_fixed() -> None:
    files = repo(source="""\
        apiVersion: source.toolkit.fluxcd.io/v1alpha1
        kind: GitRepository
        metadata:
          name: app
          namespace: apps
        spec:
          interval: 10m
          url: https://example.com/app.git
    """)
    [finding] = findings(files, "api-version/removed", Config(flux_version="2.0"))
    assert "`source.toolkit.fluxcd.io/v1alpha1`, removed before Flux 2.0" in finding.message
    assert "`source.toolkit.fluxcd.io/v1`" in finding.message
    fixed = round_trip(files, "api-version/removed")
    assert fixed["apps/source.yaml"].startswith("apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\n")


def test_current_and_still_served_versions_are_not_reported() -> None:
    files = repo(
        podinfo=HELM_RELEASE_V2BETA1.replace('"helm.toolkit.fluxcd.io/v2beta1"', "helm.toolkit.fluxcd.io/v2"),
        # Alert and Provider stay on v1beta3: it is the newest version they have.
        alert="""\
            apiVersion: notification.toolkit.fluxcd.io/v1beta3
            kind: Provider
            metadata:
              name: slack
              namespace: apps
            spec:
              type: slack
        """,
    )
    assert findings(files, "api-version/removed") == []


def test_removed_api_version_respects_the_configured_flux_version() -> None:
    files = repo(alert="""\
        apiVersion: notification.toolkit.fluxcd.io/v1beta2
        kind: Provider
        metadata:
          name: slack
          namespace: apps
        spec:
          type: slack
    """)
    assert len(findings(files, "api-version/removed")) == 1  # default 2.9 removed v1beta2
    assert findings(files, "api-version/removed", Config(flux_version="2.8")) == []


def test_removed_api_version_ignores_look_alike_kinds_of_other_groups() -> None:
    files = repo(other="""\
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        metadata:
          name: not-flux
        resources: []
        ---
        apiVersion: example.com/v1beta1
        kind: HelmRelease
        metadata:
          name: someone-elses
    """)
    assert findings(files, "api-version/removed") == []


def test_removed_api_version_checks_unrendered_files_once() -> None:
    files = repo()
    old = kustomization().replace("kustomize.toolkit.fluxcd.io/v1", "kustomize.toolkit.fluxcd.io/v1beta2")
    files["attic/old.yaml"] = old
    [finding] = findings(files, "api-version/removed")
    assert finding.path == "attic/old.yaml"
