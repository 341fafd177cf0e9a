"""notification/no-failure-alerts: no Alert in a cluster forwards Kustomization and HelmRelease failures."""

from __future__ import annotations

from rule_support import findings

from ._repos import ALERT, PROVIDER, repo

RULE = "notification/no-failure-alerts"


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


def test_named_event_sources_count_as_coverage() -> None:
    # The rule asks whether failures are heard at all, not whether every object is listed.
    alert = ALERT.replace("name: '*'", "name: apps", 1).replace("name: '*'", "name: podinfo\n      namespace: apps")
    assert findings(repo(alerts=alert, provider=PROVIDER), RULE) == []


def test_alert_with_another_event_severity_does_not_count() -> None:
    # Only `info` (the default) and `error` forward error events.
    alert = ALERT.replace("eventSeverity: error", "eventSeverity: warning")
    [finding] = findings(repo(alerts=alert, provider=PROVIDER), RULE)
    assert "Kustomization and HelmRelease" in finding.message
