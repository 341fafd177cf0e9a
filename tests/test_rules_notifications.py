"""notification rules: Alerts without a Provider, event sources that name nothing, clusters without alerts."""

from __future__ import annotations

import textwrap

from rule_support import findings, kustomization

APPS = kustomization()

PROVIDER = """\
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: slack
  namespace: flux-system
spec:
  type: slack
  secretRef:
    name: slack-url
"""

ALERT = """\
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: on-call
  namespace: flux-system
spec:
  providerRef:
    name: slack
  eventSeverity: error
  eventSources:
    - kind: Kustomization
      name: '*'
    - kind: HelmRelease
      name: '*'
"""

RELEASE = """\
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
"""


def repo(**files: str) -> dict[str, str]:
    """A cluster `prod` whose `apps` Kustomization renders apps/; keys are file names under apps/."""
    result = {"clusters/prod/apps.yaml": APPS, "apps/podinfo.yaml": RELEASE}
    result.update({f"apps/{name}.yaml": textwrap.dedent(text) for name, text in files.items()})
    return result


# -- notification/provider-missing ---------------------------------------------------

def test_alert_without_its_provider_is_reported_on_the_provider_name() -> None:
    files = repo(alerts=ALERT.replace("name: slack", "name: slak"), provider=PROVIDER)
    [finding] = findings(files, "notification/provider-missing")
    assert (finding.path, finding.line, finding.object) == ("apps/alerts.yaml", 8, "Alert/flux-system/on-call")
    assert "Provider `slak`" in finding.message and "namespace `flux-system`" in finding.message


def test_provider_in_another_namespace_is_named_in_the_message() -> None:
    files = repo(alerts=ALERT, provider=PROVIDER.replace("namespace: flux-system", "namespace: monitoring"))
    [finding] = findings(files, "notification/provider-missing")
    assert "exists in `monitoring`" in finding.message


def test_provider_namespace_comes_from_the_kustomization_file() -> None:
    # Both written without a namespace; the kustomization.yaml of their folder gives them one.
    files = {
        "clusters/prod/apps.yaml": APPS,
        "apps/kustomization.yaml": "namespace: monitoring\nresources:\n  - alerts.yaml\n",
        "apps/alerts.yaml": (PROVIDER + "---\n" + ALERT).replace("  namespace: flux-system\n", ""),
    }
    assert findings(files, "notification/provider-missing") == []


def test_provider_from_an_external_source_in_that_namespace_is_not_reported() -> None:
    external = APPS.replace("name: apps", "name: shared-alerting").replace(
        "    name: flux-system\n", "    name: platform-repo\n")
    files = repo(alerts=ALERT, shared=external)
    assert findings(files, "notification/provider-missing") == []


# -- notification/event-source-missing --------------------------------------------------

def test_event_source_naming_a_missing_object_is_reported() -> None:
    alert = ALERT.replace("""\
    - kind: HelmRelease
      name: '*'
""", """\
    - kind: HelmRelease
      name: podinfo
      namespace: apps
    - kind: Kustomization
      name: aps
""")
    files = repo(alerts=alert, provider=PROVIDER)
    [finding] = findings(files, "notification/event-source-missing")
    assert (finding.path, finding.line) == ("apps/alerts.yaml", 17)
    assert "Kustomization/flux-system/aps" in finding.message


def test_event_source_in_the_wrong_namespace_points_to_the_right_one() -> None:
    alert = ALERT.replace("""\
    - kind: HelmRelease
      name: '*'
""", """\
    - kind: HelmRelease
      name: podinfo
""")
    files = repo(alerts=alert, provider=PROVIDER)
    [finding] = findings(files, "notification/event-source-missing")
    assert "HelmRelease/flux-system/podinfo" in finding.message
    assert "exists in `apps`" in finding.message


def test_event_source_look_alikes_are_quiet() -> None:
    alert = ALERT.replace("""\
    - kind: HelmRelease
      name: '*'
""", """\
    - kind: HelmRelease
      name: '*'
      namespace: apps
    - kind: HelmRelease
      name: podinfo
      namespace: apps
    - kind: Kustomization
      name: flux-system          # made by bootstrap, no file defines it
    - kind: HelmChart
      name: apps-podinfo         # made by helm-controller
    - kind: GitRepository
      name: anything
      matchLabels:
        team: web
""")
    files = repo(alerts=alert, provider=PROVIDER)
    assert findings(files, "notification/event-source-missing") == []


# -- notification/no-failure-alerts ------------------------------------------------------------

def test_cluster_without_failure_alerts_is_reported_once_at_its_root() -> None:
    files = repo()
    [finding] = findings(files, "notification/no-failure-alerts")
    assert (finding.path, finding.line) == ("clusters/prod/apps.yaml", 1)
    assert "cluster prod" in finding.message and "Kustomization and HelmRelease" in finding.message


def test_root_kustomization_file_is_preferred_as_the_anchor() -> None:
    files = repo()
    files["clusters/prod/kustomization.yaml"] = "resources:\n  - apps.yaml\n"
    [finding] = findings(files, "notification/no-failure-alerts")
    assert finding.path == "clusters/prod/kustomization.yaml"


def test_alert_covering_only_kustomizations_leaves_helm_releases_reported() -> None:
    alert = ALERT.replace("""\
    - kind: HelmRelease
      name: '*'
""", "")
    [finding] = findings(repo(alerts=alert, provider=PROVIDER), "notification/no-failure-alerts")
    assert "forwards HelmRelease failures" in finding.message


def test_failure_alert_look_alikes_count_as_coverage() -> None:
    # eventSeverity defaults to info, which forwards errors too; two Alerts may share the kinds.
    first = ALERT.replace("  eventSeverity: error\n", "").replace("""\
    - kind: HelmRelease
      name: '*'
""", "")
    second = ALERT.replace("name: on-call", "name: releases").replace("""\
    - kind: Kustomization
      name: '*'
""", "")
    files = repo(alerts=first, releases=second, provider=PROVIDER)
    assert findings(files, "notification/no-failure-alerts") == []


def test_suspended_alert_does_not_count() -> None:
    files = repo(alerts=ALERT + "  suspend: true\n", provider=PROVIDER)
    assert len(findings(files, "notification/no-failure-alerts")) == 1


def test_unrendered_alert_is_checked_against_what_the_repository_writes() -> None:
    files = repo(provider=PROVIDER)
    alert = ALERT.replace("""\
    - kind: HelmRelease
      name: '*'
""", """\
    - kind: Kustomization
      name: flux-system          # made by bootstrap
    - kind: HelmRelease
      name: podinfo
      namespace: apps
    - kind: HelmRelease
      name: grafana
      namespace: apps
""")
    files["attic/alerts.yaml"] = alert.replace("name: slack", "name: pagerduty")
    assert [f.object for f in findings(files, "notification/provider-missing")] == ["Alert/flux-system/on-call"]
    [missing] = findings(files, "notification/event-source-missing")
    assert "HelmRelease/apps/grafana" in missing.message and "in this cluster" not in missing.message
