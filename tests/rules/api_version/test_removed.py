"""api-version/removed: apiVersions the configured Flux no longer serves, and the fix that rewrites them."""

from __future__ import annotations

from rule_support import apply_fix, findings, kustomization, round_trip, snapshot
from rule_support import apps_repository as repo

from checks.config import Config
from checks.findings import Severity
from checks.repo import build_model

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
    [finding] = findings(repo(podinfo=HELM_RELEASE_V2BETA1), "api-version/removed", base=repo())
    assert (finding.path, finding.line) == ("apps/podinfo.yaml", 1)
    assert finding.object == "HelmRelease/apps/podinfo"
    assert finding.severity is Severity.ERROR
    assert "`helm.toolkit.fluxcd.io/v2beta1`, removed in Flux 2.7" in finding.message
    assert "`helm.toolkit.fluxcd.io/v2`" in finding.message


def test_a_cluster_whose_objects_show_an_older_flux_gets_upgrade_blockers_not_errors() -> None:
    files = repo(podinfo=HELM_RELEASE_V2BETA1, alert="""\
        apiVersion: notification.toolkit.fluxcd.io/v1beta2
        kind: Provider
        metadata:
          name: slack
          namespace: apps
        spec:
          type: slack
    """)
    found = {f.object: f for f in findings(files, "api-version/removed")}
    assert {f.severity for f in found.values()} == {Severity.WARNING}
    release, provider = found["HelmRelease/apps/podinfo"], found["Provider/apps/slack"]
    assert "`helm.toolkit.fluxcd.io/v2beta1`, which Flux 2.7 removes: upgrading Flux breaks this object" in \
        release.message
    # The oldest version applied bounds the release, and the message says where it is written.
    assert ("no file names the Flux this cluster runs, and the API versions it applies "
            "(`helm.toolkit.fluxcd.io/v2beta1` at apps/podinfo.yaml:1) show a release before 2.7") in provider.message
    assert release.fix is not None


def test_a_change_cannot_imply_an_older_flux_by_adding_an_old_object() -> None:
    files = repo(podinfo=HELM_RELEASE_V2BETA1)
    [added] = findings(files, "api-version/removed", base=repo())
    assert added.severity is Severity.ERROR
    assert "does not say which Flux it runs" in added.message
    # A base that already applies old versions shows the older Flux: the change is judged by it.
    base = repo(podinfo=HELM_RELEASE_V2BETA1.replace("name: podinfo\n  namespace", "name: older\n  namespace"))
    [kept] = findings(files, "api-version/removed", base=base)
    assert kept.severity is Severity.WARNING


def test_a_ga_version_that_older_release_already_serves_keeps_the_bound() -> None:
    # A v1 OCIRepository needs Flux 2.6, which still serves helm v2beta1: the cluster runs 2.6.
    files = repo(podinfo=HELM_RELEASE_V2BETA1, oci="""\
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: OCIRepository
        metadata:
          name: manifests
          namespace: apps
        spec:
          interval: 10m
          url: oci://ghcr.io/example/manifests
          ref:
            tag: 1.0.0
    """)
    [consistent] = findings(files, "api-version/removed")
    assert consistent.severity is Severity.WARNING


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
    [default] = findings(files, "api-version/removed", base=repo())  # the default 2.9 removed v1beta2
    assert default.severity is Severity.ERROR
    assert "a cluster on Flux 2.9 or later rejects it (the repository does not say which Flux it runs" in \
        default.message
    [blocker] = findings(files, "api-version/removed", Config(flux_version="2.8"))
    assert blocker.severity is Severity.WARNING
    assert "which Flux 2.8 (the configured version) still serves but Flux 2.9 removes" in blocker.message
    assert blocker.fix == default.fix and blocker.fingerprint == default.fingerprint


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


def test_removed_api_version_judges_what_a_cluster_applies_or_a_repository_without_clusters() -> None:
    files = repo()
    old = kustomization().replace("kustomize.toolkit.fluxcd.io/v1", "kustomize.toolkit.fluxcd.io/v1beta2")
    files["attic/old.yaml"] = old
    assert findings(files, "api-version/removed") == []  # no cluster applies attic/: a dead file
    # A repository whose objects another repository applies has no cluster of its own: judged as written.
    release = HELM_RELEASE_V2BETA1
    [finding] = findings({"apps/podinfo.yaml": release}, "api-version/removed")
    assert finding.path == "apps/podinfo.yaml"


GOTK_HEADER = """\
# This manifest was generated by flux. DO NOT EDIT.
# Flux Version: v2.6.4
# Components: source-controller,kustomize-controller
apiVersion: v1
kind: Namespace
metadata:
  name: flux-system
"""


def _cluster(version_file: dict[str, str], **apps: str) -> dict[str, str]:
    files = repo(**apps)
    files.update(version_file)
    return files


def test_a_version_the_clusters_flux_still_serves_is_an_upgrade_blocker() -> None:
    files = _cluster({"clusters/prod/flux-system/gotk-components.yaml": GOTK_HEADER}, podinfo=HELM_RELEASE_V2BETA1)
    [finding] = findings(files, "api-version/removed")
    assert finding.severity is Severity.WARNING
    assert ("which Flux 2.6 (the version clusters/prod/flux-system/gotk-components.yaml:2 names) still serves "
            "but Flux 2.7 removes") in finding.message
    assert finding.fix is not None


def test_a_version_gone_in_the_clusters_flux_is_an_error_naming_where_the_version_comes_from() -> None:
    beta2 = HELM_RELEASE_V2BETA1.replace("v2beta1", "v2beta2")
    instance = """\
        apiVersion: fluxcd.controlplane.io/v1
        kind: FluxInstance
        metadata:
          name: flux
          namespace: flux-system
        spec:
          distribution:
            version: "2.8.x"
    """
    files = _cluster({}, podinfo=beta2, instance=instance)
    [finding] = findings(files, "api-version/removed")
    assert finding.severity is Severity.ERROR
    assert "this cluster runs Flux 2.8: the version apps/instance.yaml:8 names" in finding.message


def test_the_configured_version_overrides_what_the_repository_says() -> None:
    files = _cluster({"clusters/prod/flux-system/gotk-components.yaml": GOTK_HEADER}, podinfo=HELM_RELEASE_V2BETA1)
    [finding] = findings(files, "api-version/removed", Config(flux_version="2.9"))
    assert finding.severity is Severity.ERROR and "this cluster runs" not in finding.message
    assert "the API server rejects it." in finding.message


def test_alpha_versions_are_errors_whatever_the_flux() -> None:
    alpha = HELM_RELEASE_V2BETA1.replace("v2beta1", "v2alpha1")
    files = _cluster({"clusters/prod/flux-system/gotk-components.yaml": GOTK_HEADER.replace("v2.6.4", "v0.31.4")},
                     podinfo=alpha)
    [finding] = findings(files, "api-version/removed")
    assert finding.severity is Severity.ERROR and "removed before Flux 2.0" in finding.message


def test_a_version_configured_for_the_cluster_wins_over_what_the_repository_says() -> None:
    files = _cluster({"clusters/prod/flux-system/gotk-components.yaml": GOTK_HEADER}, podinfo=HELM_RELEASE_V2BETA1)
    [name] = [c.name for c in build_model(snapshot(files)).clusters]
    config = Config(cluster_flux_versions=((name, "2.7", 4),), source=".github/flux-review.yml")
    [finding] = findings(files, "api-version/removed", config)
    assert finding.severity is Severity.ERROR
    assert "this cluster runs Flux 2.7: the version .github/flux-review.yml:4 names" in finding.message
