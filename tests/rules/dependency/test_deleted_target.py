"""dependency/deleted-target: references a change breaks by deleting or renaming their target, in reviews."""

from __future__ import annotations

from rule_support import ROOT, findings, yaml

from ._builders import base_files, cluster, ks, release


def test_renamed_dependency_is_reported_on_the_untouched_dependent() -> None:
    base = cluster(ks("infra", "./infra"), **base_files(),
                   **{f"{ROOT}/apps.yaml": ks("apps", "./apps", extra="dependsOn:\n  - name: infra\n")})
    head = {**base, f"{ROOT}/ks.yaml": ks("infra-controllers", "./infra")}
    [finding] = findings(head, "dependency/deleted-target", base=base)
    assert finding.path == f"{ROOT}/apps.yaml"
    assert finding.object == "Kustomization/flux-system/apps"
    assert "renames to Kustomization/flux-system/infra-controllers" in finding.message
    # The review names the cause once: missing-target leaves it to deleted-target.
    assert findings(head, "dependency/missing-target", base=base) == []


def test_deleting_an_earlier_document_is_not_called_a_rename() -> None:
    # `b` moves up to document 0 when `a` above it is deleted: that is a deletion of `a`.
    together = ks("a", "./infra") + "---\n" + ks("b", "./apps", extra="dependsOn:\n  - name: a\n")
    base = cluster(**base_files(), **{f"{ROOT}/pair.yaml": together})
    head = {**base, f"{ROOT}/pair.yaml": ks("b", "./apps", extra="dependsOn:\n  - name: a\n")}
    [finding] = findings(head, "dependency/deleted-target", base=base)
    assert "which this change deletes" in finding.message
    assert "renames" not in finding.message


def test_deleted_helm_repository_is_reported_on_the_helm_release() -> None:
    repository = yaml("""
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: HelmRepository
        metadata:
          name: charts
          namespace: flux-system
        spec:
          interval: 30m
          url: https://charts.example.com
        """)
    base = cluster(ks("releases", "./releases"), **base_files(), **{
        "releases/podinfo.yaml": release("podinfo"), f"{ROOT}/charts.yaml": repository})
    head = {k: v for k, v in base.items() if k != f"{ROOT}/charts.yaml"}
    [finding] = findings(head, "dependency/deleted-target", base=base)
    assert finding.path == "releases/podinfo.yaml" and finding.line == 15
    assert "HelmRepository/flux-system/charts (`chart.spec.sourceRef`), which this change deletes" in finding.message


def test_deleted_provider_is_reported_on_the_alert_in_its_own_namespace() -> None:
    provider = yaml("""
        apiVersion: notification.toolkit.fluxcd.io/v1beta3
        kind: Provider
        metadata:
          name: slack
          namespace: flux-system
        spec:
          type: slack
        """)
    alert = yaml("""
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
    base = cluster(ks("apps", "./apps"), **base_files(), **{
        f"{ROOT}/alert.yaml": alert, f"{ROOT}/provider.yaml": provider})
    head = {k: v for k, v in base.items() if k != f"{ROOT}/provider.yaml"}
    [finding] = findings(head, "dependency/deleted-target", base=base)
    assert (finding.path, finding.line, finding.object) == (f"{ROOT}/alert.yaml", 8, "Alert/flux-system/on-call")
    assert "sends to Provider/flux-system/slack (`providerRef`), which this change deletes" in finding.message


def test_deleted_target_is_quiet_when_references_follow_or_without_a_base() -> None:
    base = cluster(ks("infra", "./infra"), ks("apps", "./apps", extra="dependsOn:\n  - name: infra\n"),
                   **base_files())
    head = cluster(ks("platform", "./infra"), ks("apps", "./apps", extra="dependsOn:\n  - name: platform\n"),
                   **base_files())
    assert findings(head, "dependency/deleted-target", base=base) == []
    broken = cluster(ks("platform", "./infra"), ks("apps", "./apps", extra="dependsOn:\n  - name: infra\n"),
                     **base_files())
    assert findings(broken, "dependency/deleted-target") == []
    assert len(findings(broken, "dependency/missing-target")) == 1
