"""notification/event-source-missing: an Alert event source names an object that does not exist."""

from __future__ import annotations

from rule_support import findings, resource_set

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


def test_event_sources_a_resourceset_creates_or_may_create_are_quiet() -> None:
    # Kustomization `apps-team1` is made from inline inputs; `preview-<id>` may be made for any id
    # by a ResourceSet fed by a ResourceSetInputProvider. `preview` alone matches neither.
    made = resource_set("""
        inputs:
          - tenant: team1
        resources:
          - apiVersion: kustomize.toolkit.fluxcd.io/v1
            kind: Kustomization
            metadata:
              name: apps-<< inputs.tenant >>
              namespace: flux-system
            spec:
              interval: 10m
              path: ./<< inputs.tenant >>
              prune: true
              sourceRef:
                kind: GitRepository
                name: flux-system
    """)
    fed = resource_set("""
        inputsFrom:
          - kind: ResourceSetInputProvider
            name: pull-requests
        resources:
          - apiVersion: kustomize.toolkit.fluxcd.io/v1
            kind: Kustomization
            metadata:
              name: preview-<< inputs.id >>
              namespace: flux-system
    """, name="previews")
    alert = ALERT.replace("""\
    - kind: Kustomization
      name: '*'
""", """\
    - kind: Kustomization
      name: apps-team1
    - kind: Kustomization
      name: preview-12
    - kind: Kustomization
      name: preview
""")
    files = {**repo(alerts=alert, provider=PROVIDER, made=made, fed=fed),
             "team1/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: team1\n"}
    [finding] = findings(files, "notification/event-source-missing")
    assert "listens to Kustomization/flux-system/preview, which does not exist" in finding.message
