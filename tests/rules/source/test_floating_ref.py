"""source/floating-ref: sources and charts must pin what they pull."""

from __future__ import annotations

from rule_support import findings as run
from rule_support import flux_object as obj
from rule_support import helm_release, kustomization

APPS = kustomization()
HELM_REPO = obj("HelmRepository", "podinfo", "interval: 30m\nurl: https://stefanprodan.github.io/podinfo\n")


def release(source: str, namespace: str = "default", version: str | None = "1.2.3") -> str:
    """The HelmRelease podinfo of the chart podinfo from the HelmRepository ``source`` in flux-system."""
    return helm_release("podinfo", namespace, version=None if version is None else f'"{version}"', source=source,
                        source_namespace="flux-system")


def test_floating_revisions_are_reported() -> None:
    files = {
        "clusters/prod/git.yaml": obj("GitRepository", "git", "interval: 10m\nurl: https://github.com/acme/a\n"),
        "clusters/prod/oci.yaml": obj("OCIRepository", "oci",
                                      "interval: 10m\nurl: oci://ghcr.io/acme/a\nref:\n  tag: latest\n"),
        "clusters/prod/release.yaml": release("podinfo", "flux-system", version=None),
        "clusters/prod/star.yaml": release("podinfo", "flux-system", version="*").replace("name: podinfo\n",
                                                                                          "name: star\n", 1),
        "clusters/prod/repo.yaml": HELM_REPO,
    }
    found = run(files, "source/floating-ref")
    assert sorted((f.object, f.line) for f in found) == [
        ("GitRepository/flux-system/git", 6), ("HelmRelease/flux-system/podinfo", 10),
        ("HelmRelease/flux-system/star", 11), ("OCIRepository/flux-system/oci", 10)]


def test_pinned_revisions_and_git_charts_pass() -> None:
    git_chart = release("podinfo", "flux-system", version=None).replace("kind: HelmRepository", "kind: GitRepository")
    files = {
        "clusters/prod/git.yaml": obj("GitRepository", "git",
                                      "interval: 10m\nurl: https://github.com/acme/a\nref:\n  branch: main\n"),
        "clusters/prod/oci.yaml": obj("OCIRepository", "oci",
                                      "interval: 10m\nurl: oci://ghcr.io/acme/a\nref:\n  semver: '>=1.0.0'\n"),
        "clusters/prod/pinned.yaml": obj("OCIRepository", "pinned", "interval: 10m\nurl: oci://ghcr.io/acme/b\n"
                                         "ref:\n  tag: latest\n  digest: sha256:abc\n"),
        "clusters/prod/release.yaml": release("podinfo", "flux-system"),
        "clusters/prod/gitchart.yaml": git_chart.replace("name: podinfo\n", "name: gitchart\n", 1),
        "clusters/prod/repo.yaml": HELM_REPO,
    }
    assert run(files, "source/floating-ref") == []


def test_templated_versions_and_oci_without_ref_are_told_apart() -> None:
    """A `${VAR}` chart version is set at apply time and passes; an OCIRepository without `ref` pulls `latest`."""
    templated = release("podinfo", "flux-system", version="${PODINFO_VERSION}")
    oci = obj("OCIRepository", "oci", "interval: 10m\nurl: oci://ghcr.io/acme/a\n")
    files = {"clusters/prod/release.yaml": templated, "clusters/prod/repo.yaml": HELM_REPO,
             "clusters/prod/oci.yaml": oci}
    found = run(files, "source/floating-ref")
    assert [(f.object, f.key) for f in found] == [("OCIRepository/flux-system/oci", "spec.ref")]
    assert "pulls the `latest` tag" in found[0].message and found[0].fix is None


def test_version_set_by_an_overlay_patch_is_seen() -> None:
    files = {
        "clusters/prod/apps.yaml": APPS,
        "clusters/prod/repo.yaml": HELM_REPO,
        "base/kustomization.yaml": "resources:\n  - release.yaml\n",
        "base/release.yaml": release("podinfo", version=None),
        "apps/kustomization.yaml": "resources:\n  - ../base\npatches:\n  - path: version.yaml\n",
        "apps/version.yaml": "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n"
                             "  name: podinfo\n  namespace: default\nspec:\n  chart:\n    spec:\n"
                             "      version: 1.2.3\n",
    }
    assert run(files, "source/floating-ref") == []


def test_component_rendered_into_many_namespaces_is_one_finding() -> None:
    component = obj("OCIRepository", "shared", "interval: 10m\nurl: oci://ghcr.io/acme/a\nref:\n  tag: latest\n",
                    "ignored").replace("  namespace: ignored\n", "")
    files = {"clusters/prod/apps.yaml": APPS, "clusters/prod/team.yaml": APPS.replace("name: apps", "name: team")
             .replace("./apps", "./team"),
             "apps/kustomization.yaml": "namespace: apps\nresources:\n  - ../shared\n",
             "team/kustomization.yaml": "namespace: team\nresources:\n  - ../shared\n",
             "shared/kustomization.yaml": "resources:\n  - oci.yaml\n", "shared/oci.yaml": component}
    found = run(files, "source/floating-ref")
    assert len(found) == 1 and found[0].path == "shared/oci.yaml"
    assert "also renders OCIRepository/" in found[0].message


def test_the_owners_own_artifacts_follow_latest_as_the_cluster_follows_itself() -> None:
    # The cluster syncs its own artifact from ghcr.io/acme (a FluxInstance, here as chart values);
    # other artifacts acme publishes from its own repositories are followed the same way.
    instance = obj("HelmRelease", "flux-instance", (
        "interval: 1h\nchart:\n  spec:\n    chart: flux-instance\n    sourceRef:\n      kind: HelmRepository\n"
        "      name: controlplane\nvalues:\n  instance:\n    sync:\n      kind: OCIRepository\n"
        "      url: oci://ghcr.io/Acme/home-ops\n      ref: latest\n      path: clusters/prod\n"))
    own = obj("OCIRepository", "homepage-config", "interval: 1h\nurl: oci://ghcr.io/acme/homepage-config\n"
              "ref:\n  tag: latest\n")
    upstream = obj("OCIRepository", "podinfo", "interval: 1h\nurl: oci://ghcr.io/stefanprodan/manifests/podinfo\n"
                   "ref:\n  tag: latest\n")
    files = {
        "clusters/prod/flux-instance.yaml": instance,
        "clusters/prod/own.yaml": own,
        "clusters/prod/upstream.yaml": upstream,
    }
    found = run(files, "source/floating-ref")
    assert [f.object for f in found if f.object.startswith("OCIRepository/")] == ["OCIRepository/flux-system/podinfo"]
    # Without the sync nothing says acme is the owner: both float.
    del files["clusters/prod/flux-instance.yaml"]
    assert len([f for f in run(files, "source/floating-ref") if f.object.startswith("OCIRepository/")]) == 2
