"""source/kind-not-allowed: each reference field accepts only the kinds its CRD lists."""

from __future__ import annotations

from rule_support import findings as run
from rule_support import flux_object as obj
from rule_support import helm_release, kustomization

HELM_REPO = obj("HelmRepository", "podinfo", "interval: 30m\nurl: https://stefanprodan.github.io/podinfo\n")


def test_chart_ref_to_a_helm_repository_is_rejected() -> None:
    bad = obj("HelmRelease", "podinfo", "interval: 15m\nchartRef:\n  kind: HelmRepository\n  name: podinfo\n",
              "flux-system")
    found = run({"clusters/prod/release.yaml": bad, "clusters/prod/repo.yaml": HELM_REPO},
                "source/kind-not-allowed")
    assert len(found) == 1 and found[0].line == 9
    assert "ExternalArtifact, HelmChart or OCIRepository" in found[0].message
    good = bad.replace("kind: HelmRepository", "kind: OCIRepository")
    assert run({"clusters/prod/release.yaml": good}, "source/kind-not-allowed") == []


def test_kustomization_and_image_automation_refs_are_checked() -> None:
    helm_source = kustomization("helm").replace("kind: GitRepository", "kind: HelmRepository")
    automation = obj("ImageUpdateAutomation", "fleet", "interval: 30m\nsourceRef:\n  kind: OCIRepository\n"
                     "  name: flux-system\n").replace("source.toolkit.fluxcd.io/v1", "image.toolkit.fluxcd.io/v1beta2")
    found = run({"clusters/prod/helm.yaml": helm_source, "clusters/prod/automation.yaml": automation},
                "source/kind-not-allowed")
    assert sorted((f.object, f.key) for f in found) == [
        ("ImageUpdateAutomation/flux-system/fleet", "spec.sourceRef.kind"),
        ("Kustomization/flux-system/helm", "spec.sourceRef.kind")]
    messages = {f.object: f.message for f in found}
    assert "accepts only Bucket, ExternalArtifact, GitRepository or OCIRepository" in \
        messages["Kustomization/flux-system/helm"]
    assert "accepts only GitRepository:" in messages["ImageUpdateAutomation/flux-system/fleet"]


def test_accepted_and_templated_kinds_pass() -> None:
    from_artifact = kustomization("artifact").replace("kind: GitRepository", "kind: ExternalArtifact")
    from_git = helm_release("chart", "flux-system", source="flux-system").replace(
        "kind: HelmRepository", "kind: GitRepository")
    templated = kustomization("templated").replace("kind: GitRepository", "kind: ${SOURCE_KIND}")
    files = {"clusters/prod/artifact.yaml": from_artifact, "clusters/prod/chart.yaml": from_git,
             "clusters/prod/templated.yaml": templated}
    assert run(files, "source/kind-not-allowed") == []
