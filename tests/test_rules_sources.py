"""The source rules: references resolve per cluster, revisions are pinned, URLs are usable and safe."""

from __future__ import annotations

import textwrap

from rule_support import config_map, fixed_text, helm_release, kustomization, round_trip, snapshot
from rule_support import findings as run
from rule_support import flux_object as obj

from checks.config import Config, RuleSettings
from checks.repo import build_model
from checks.yaml_docs import load_yaml

APPS = kustomization()


def release(source: str, namespace: str = "default", version: str | None = "1.2.3") -> str:
    """The HelmRelease podinfo of the chart podinfo from the HelmRepository ``source`` in flux-system."""
    return helm_release("podinfo", namespace, version=None if version is None else f'"{version}"', source=source,
                        source_namespace="flux-system")


HELM_REPO = obj("HelmRepository", "podinfo", "interval: 30m\nurl: https://stefanprodan.github.io/podinfo\n")


# -- source/missing ----------------------------------------------------------------------------------------

def test_helm_release_whose_repository_was_deleted_is_reported() -> None:
    files = {"clusters/prod/apps.yaml": APPS, "apps/release.yaml": release("podinfo")}
    found = run(files, "source/missing")
    assert len(found) == 1
    assert found[0].object == "HelmRelease/default/podinfo" and found[0].line == 14
    assert "HelmRepository `flux-system/podinfo`" in found[0].message
    files["apps/repo.yaml"] = HELM_REPO
    assert run(files, "source/missing") == []


def test_source_in_another_namespace_is_named_in_the_message() -> None:
    child = APPS.replace("name: apps", "name: team").replace("namespace: flux-system", "namespace: team", 1)
    found = run({"clusters/prod/apps.yaml": APPS, "apps/team.yaml": child}, "source/missing")
    assert len(found) == 1 and "exists in namespace `flux-system`" in found[0].message


def test_source_rendered_only_in_another_cluster_is_missing_in_this_one() -> None:
    files = {"clusters/prod/apps.yaml": APPS, "clusters/staging/apps.yaml": APPS,
             "clusters/prod/repo.yaml": HELM_REPO, "apps/release.yaml": release("podinfo")}
    found = run(files, "source/missing")
    assert len(found) == 1 and "cluster staging" in found[0].message


def test_bootstrap_sources_and_generated_artifacts_exist() -> None:
    oci_root = APPS.replace("kind: GitRepository", "kind: OCIRepository")
    generator = obj("ArtifactGenerator", "monorepo", """\
        sources:
          - alias: repo
            kind: GitRepository
            name: flux-system
        artifacts:
          - name: platform
            copy:
              - from: "@repo/apps/**"
                to: "@artifact/"
    """)
    from_artifact = APPS.replace("name: apps", "name: platform").replace(
        "kind: GitRepository\n    name: flux-system", "kind: ExternalArtifact\n    name: platform")
    instance = ("apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata:\n  name: flux\n"
                "  namespace: flux-system\nspec:\n  sync:\n    kind: Bucket\n    url: s3://fleet\n")
    from_bucket = APPS.replace("name: apps", "name: bucket").replace("kind: GitRepository", "kind: Bucket")
    files = {"clusters/prod/apps.yaml": oci_root, "clusters/prod/artifacts.yaml": generator,
             "clusters/prod/instance.yaml": instance, "clusters/prod/bucket.yaml": from_bucket,
             "clusters/prod/platform.yaml": from_artifact, "apps/cm.yaml": config_map("c")}
    assert run(files, "source/missing") == []


# -- source/kind-not-allowed -------------------------------------------------------------------------------

def test_chart_ref_to_a_helm_repository_is_rejected() -> None:
    bad = obj("HelmRelease", "podinfo", "interval: 15m\nchartRef:\n  kind: HelmRepository\n  name: podinfo\n",
              "flux-system")
    found = run({"clusters/prod/release.yaml": bad, "clusters/prod/repo.yaml": HELM_REPO},
                "source/kind-not-allowed")
    assert len(found) == 1 and found[0].line == 9
    assert "ExternalArtifact, HelmChart or OCIRepository" in found[0].message
    good = bad.replace("kind: HelmRepository", "kind: OCIRepository")
    assert run({"clusters/prod/release.yaml": good}, "source/kind-not-allowed") == []


# -- source/floating-ref -----------------------------------------------------------------------------------

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


# -- source/ambiguous-ref ----------------------------------------------------------------------------------

def test_several_ref_fields_are_reported_and_the_ignored_ones_removed() -> None:
    files = {"clusters/prod/git.yaml": obj("GitRepository", "git", """\
        interval: 10m
        url: https://github.com/acme/a
        ref:
          branch: main  # the branch we release from
          tag: v1.2.0
    """)}
    found = run(files, "source/ambiguous-ref")
    assert len(found) == 1 and "Flux uses `tag`" in found[0].message and "`branch`" in found[0].message
    fixed = round_trip(files, "source/ambiguous-ref")
    assert "  ref:\n    tag: v1.2.0\n" in fixed["clusters/prod/git.yaml"]


def test_meaningful_combinations_pass() -> None:
    files = {
        "clusters/prod/git.yaml": obj("GitRepository", "git", "interval: 10m\nurl: https://github.com/acme/a\n"
                                      "ref:\n  branch: main\n  commit: 0123456789abcdef\n"),
        "clusters/prod/oci.yaml": obj("OCIRepository", "oci", "interval: 10m\nurl: oci://ghcr.io/acme/a\n"
                                      "ref:\n  tag: 1.0.0\n  digest: sha256:abc\n"),
    }
    assert run(files, "source/ambiguous-ref") == []


# -- source/scp-url ----------------------------------------------------------------------------------------

def test_scp_url_is_rewritten_to_ssh() -> None:
    files = {"clusters/prod/git.yaml": obj("GitRepository", "git", "interval: 10m\n"
                                           "url: git@github.com:acme/fleet.git  # deploy key\nref:\n  branch: main\n")}
    found = run(files, "source/scp-url")
    assert len(found) == 1 and found[0].line == 8
    fixed = round_trip(files, "source/scp-url")
    assert "  url: ssh://git@github.com/acme/fleet.git  # deploy key\n" in fixed["clusters/prod/git.yaml"]


def test_ssh_and_https_urls_pass() -> None:
    files = {"clusters/prod/a.yaml": obj("GitRepository", "a", "interval: 10m\nurl: ssh://git@github.com/acme/a\n"
                                         "ref:\n  branch: main\n"),
             "clusters/prod/b.yaml": obj("GitRepository", "b", "interval: 10m\nurl: https://github.com/acme/b\n"
                                         "ref:\n  branch: main\n")}
    assert run(files, "source/scp-url") == []


# -- source/insecure ---------------------------------------------------------------------------------------

def test_insecure_flag_and_http_urls_are_reported() -> None:
    files = {
        "clusters/prod/helm.yaml": obj("HelmRepository", "helm", "interval: 30m\nurl: http://charts.example.com\n"),
        "clusters/prod/oci.yaml": obj("OCIRepository", "oci", "interval: 10m\nurl: oci://registry.lan/a\n"
                                      "insecure: true\nref:\n  tag: 1.0.0\n"),
    }
    found = run(files, "source/insecure")
    assert sorted(f.key for f in found) == ["spec.insecure", "spec.url"]


def test_cluster_internal_http_and_https_pass() -> None:
    files = {
        "clusters/prod/d.yaml": obj("HelmRepository", "d", "interval: 30m\nurl: https://charts.example.com\n"
                                    "insecure: true\n"),
        "clusters/prod/e.yaml": obj("OCIRepository", "e", "interval: 10m\nurl: oci://zot.registry.svc:5000/app\n"
                                    "insecure: true\nref:\n  tag: 1.0.0\n"),
        "clusters/prod/a.yaml": obj("HelmRepository", "a", "interval: 30m\nurl: https://charts.example.com\n"),
        "clusters/prod/b.yaml": obj("HelmRepository", "b", "interval: 30m\n"
                                    "url: http://chartmuseum.charts.svc.cluster.local:8080\n"),
        "clusters/prod/c.yaml": obj("GitRepository", "c", "interval: 10m\nurl: http://gitea-http:3000/acme/c\n"
                                    "ref:\n  branch: main\n"),
    }
    assert run(files, "source/insecure") == []


# -- source/wildcard-alert ---------------------------------------------------------------------------------

def _alert(sources: str) -> str:
    return obj("Alert", "all", "providerRef:\n  name: slack\neventSources:\n" + textwrap.indent(sources, "  "))


def test_all_namespace_wildcard_alert_is_reported() -> None:
    files = {"clusters/prod/alert.yaml": _alert("- kind: Kustomization\n  name: '*'\n  namespace: '*'\n"
                                                "- kind: HelmRelease\n  name: '*'\n  namespace: '*'\n")}
    found = run(files, "source/wildcard-alert")
    assert len(found) == 1 and "HelmRelease, Kustomization" in found[0].message
    options = Config(rules={"source/wildcard-alert": RuleSettings(options={"min_kinds": 3})})
    assert run(files, "source/wildcard-alert", options) == []


def test_wildcard_within_a_namespace_or_with_labels_passes() -> None:
    files = {"clusters/prod/alert.yaml": _alert("- kind: Kustomization\n  name: '*'\n"
                                                "- kind: HelmRelease\n  name: '*'\n  namespace: '*'\n"
                                                "  matchLabels:\n    team: payments\n")}
    assert run(files, "source/wildcard-alert") == []


# -- source/chart-exclusive --------------------------------------------------------------------------------

def test_both_chart_and_chart_ref_is_reported() -> None:
    both = release("podinfo", "flux-system").replace("  values", "") + "  chartRef:\n    kind: OCIRepository\n" \
        "    name: podinfo\n"
    found = run({"clusters/prod/release.yaml": both, "clusters/prod/repo.yaml": HELM_REPO},
                "source/chart-exclusive")
    assert len(found) == 1 and "both" in found[0].message


def test_neither_is_reported_only_for_rendered_releases() -> None:
    neither = obj("HelmRelease", "podinfo", "interval: 15m\nvalues:\n  replicas: 2\n", "default")
    found = run({"clusters/prod/apps.yaml": APPS, "apps/release.yaml": neither}, "source/chart-exclusive")
    assert len(found) == 1 and "neither" in found[0].message
    assert run({"overlays/patch.yaml": neither}, "source/chart-exclusive") == []


# -- source/git-ignore-missing -----------------------------------------------------------------------------

OWN_REPO = obj("GitRepository", "fleet", """\
    interval: 10m
    url: https://github.com/acme/fleet
    ref:
      branch: main
""")
FLEET = APPS.replace("name: flux-system", "name: fleet")


def test_own_git_repository_without_ignore_gets_an_ignore_block() -> None:
    files = {"clusters/prod/fleet.yaml": OWN_REPO, "clusters/prod/apps.yaml": FLEET,
             "apps/cm.yaml": config_map("c")}
    config = Config(repository_url="https://github.com/acme/fleet")
    found = run(files, "source/git-ignore-missing", config)
    assert len(found) == 1 and found[0].object == "GitRepository/flux-system/fleet"
    fix = found[0].fix
    assert fix is not None
    fixed = fixed_text(files["clusters/prod/fleet.yaml"], fix)
    assert "  ignore: |\n    # exclude all\n    /*\n" in fixed and "    !/apps\n    !/clusters\n" in fixed
    assert load_yaml("x.yaml", fixed.encode()).ok
    assert run({**files, "clusters/prod/fleet.yaml": fixed}, "source/git-ignore-missing", config) == []


def test_root_sourceignore_filters_the_artifact_instead() -> None:
    files = {"clusters/prod/fleet.yaml": OWN_REPO, "clusters/prod/apps.yaml": FLEET, ".sourceignore": "docs/\n",
             "apps/cm.yaml": config_map("c")}
    config = Config(repository_url="https://github.com/acme/fleet")
    assert run(files, "source/git-ignore-missing", config) == []


def test_other_repositories_and_implicit_bootstrap_sources_are_not_checked() -> None:
    other = OWN_REPO.replace("acme/fleet", "acme/charts")
    files = {"clusters/prod/other.yaml": other, "clusters/prod/apps.yaml": APPS,
             "apps/cm.yaml": config_map("c")}
    assert run(files, "source/git-ignore-missing", Config(repository_url="https://github.com/acme/fleet")) == []


# -- helpers -----------------------------------------------------------------------------------------------

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


def test_scp_rewrites() -> None:
    from checks.rules.old_sources import scp_to_ssh

    assert scp_to_ssh("git@github.com:acme/fleet.git") == "ssh://git@github.com/acme/fleet.git"
    assert scp_to_ssh("git@host:/srv/git/fleet") == "ssh://git@host/srv/git/fleet"
    assert scp_to_ssh("git@host:2222/acme/fleet") == ""  # maybe a port: no rewrite offered
    assert scp_to_ssh("ssh://git@github.com/acme/fleet") is None
    assert scp_to_ssh("https://github.com/acme/fleet") is None


def test_each_cluster_resolves_its_own_artifact_generator() -> None:
    """Two clusters defining an ExternalArtifact of the same name render their own folders (model)."""
    def generator(env: str) -> str:
        return obj("ArtifactGenerator", "flux-system", f"""\
            sources:
              - alias: repo
                kind: GitRepository
                name: flux-system
            artifacts:
              - name: apps
                copy:
                  - from: "@repo/apps/{env}/**"
                    to: "@artifact/{env}/"
        """)

    def apps(env: str) -> str:
        return APPS.replace("kind: GitRepository", "kind: ExternalArtifact").replace(
            "name: flux-system\n", "name: apps\n").replace("./apps", f"./{env}")

    files = {f"clusters/{env}/{name}": text for env in ("production", "staging")
             for name, text in (("artifacts.yaml", generator(env)), ("apps.yaml", apps(env)))}
    files |= {f"apps/{env}/cm.yaml": config_map(env) for env in ("production", "staging")}
    model = build_model(snapshot(files))
    folders = {c.name: c.renders["Kustomization/flux-system/apps"].folder for c in model.clusters}
    assert folders == {"production": "apps/production", "staging": "apps/staging"}
