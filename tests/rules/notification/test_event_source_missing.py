"""notification/event-source-missing: an Alert event source names an object that does not exist."""

from __future__ import annotations

from rule_support import findings

from ._repos import ALERT, PROVIDER, RELEASE, repo


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
    assert findings(files, "notification/event-source-missing") == []  # no cluster applies attic/
    # Without a cluster of its own (another repository applies it), the files are judged as written.
    files = {path: text for path, text in files.items() if path.startswith(("attic/", "apps/"))}
    files["apps/podinfo.yaml"] = RELEASE
    assert [f.object for f in findings(files, "notification/provider-missing")] == ["Alert/flux-system/on-call"]
    [missing] = findings(files, "notification/event-source-missing")
    assert "HelmRelease/apps/grafana" in missing.message and "in this cluster" not in missing.message
