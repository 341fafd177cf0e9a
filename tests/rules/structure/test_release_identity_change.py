"""structure/release-identity-change: a change that makes helm-controller reinstall a release."""

from __future__ import annotations

from rule_support import findings as run
from rule_support import helm_release, kustomization

from ._support import line_of


def test_chart_name_change_reinstalls_the_release() -> None:
    base = {"clusters/prod/apps.yaml": kustomization(), "apps/release.yaml": helm_release("podinfo")}
    head = {**base, "apps/release.yaml": helm_release("podinfo").replace("chart: podinfo", "chart: podinfo-v2")}
    [finding] = run(head, "structure/release-identity-change", base=base)
    assert finding.line == line_of(head, "apps/release.yaml", "chart: podinfo-v2")
    assert "`podinfo`" in finding.message and "`podinfo-v2`" in finding.message
    assert run(head, "structure/release-identity-change") == []  # only in a review


def test_target_namespace_added_renames_the_release_once() -> None:
    base = {"clusters/prod/apps.yaml": kustomization(), "apps/release.yaml": helm_release("podinfo")}
    head = {**base, "apps/release.yaml": helm_release("podinfo").replace("  interval: 15m\n",
                                                                      "  interval: 15m\n  targetNamespace: apps\n")}
    [finding] = run(head, "structure/release-identity-change", base=base)
    assert finding.key == "spec.targetNamespace"
    assert "`apps-podinfo`" in finding.message


def test_release_name_and_storage_namespace_changes() -> None:
    base_release = helm_release("podinfo").replace("  interval: 15m\n", "  interval: 15m\n  releaseName: podinfo\n")
    base = {"clusters/prod/apps.yaml": kustomization(), "apps/release.yaml": base_release}
    head_release = base_release.replace("releaseName: podinfo", "releaseName: web").replace(
        "  interval: 15m\n", "  interval: 15m\n  storageNamespace: helm\n")
    head = {**base, "apps/release.yaml": head_release}
    findings = run(head, "structure/release-identity-change", base=base)
    assert sorted(f.key for f in findings) == ["spec.releaseName", "spec.storageNamespace"]


def test_version_bump_and_pinned_release_name_are_not_identity_changes() -> None:
    base_release = helm_release("podinfo")
    base = {"clusters/prod/apps.yaml": kustomization(), "apps/release.yaml": base_release}
    head_release = base_release.replace("version: 1.x", "version: 2.x").replace(
        "  interval: 15m\n", "  interval: 15m\n  releaseName: podinfo\n")
    assert run({**base, "apps/release.yaml": head_release}, "structure/release-identity-change", base=base) == []
