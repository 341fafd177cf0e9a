"""source/missing: references resolve per cluster, to rendered, bootstrap or generated sources."""

from __future__ import annotations

from rule_support import config_map, helm_release, kustomization, resource_set, snapshot
from rule_support import findings as run
from rule_support import flux_object as obj

from checks.config import Config, RuleSettings
from checks.repo import build_model

APPS = kustomization()
HELM_REPO = obj("HelmRepository", "podinfo", "interval: 30m\nurl: https://stefanprodan.github.io/podinfo\n")
GENERATOR = obj("ArtifactGenerator", "monorepo", """\
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


def from_artifact(name: str, namespace: str = "flux-system") -> str:
    """A Kustomization `platform` in ``namespace`` applying the ExternalArtifact ``name`` of its own namespace."""
    return kustomization("platform", namespace=namespace).replace(
        "kind: GitRepository\n    name: flux-system", f"kind: ExternalArtifact\n    name: {name}")


def release(source: str, namespace: str = "default", version: str | None = "1.2.3") -> str:
    """The HelmRelease podinfo of the chart podinfo from the HelmRepository ``source`` in flux-system."""
    return helm_release("podinfo", namespace, version=None if version is None else f'"{version}"', source=source,
                        source_namespace="flux-system")


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
    instance = ("apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata:\n  name: flux\n"
                "  namespace: flux-system\nspec:\n  sync:\n    kind: Bucket\n    url: s3://fleet\n")
    from_bucket = APPS.replace("name: apps", "name: bucket").replace("kind: GitRepository", "kind: Bucket")
    files = {"clusters/prod/apps.yaml": oci_root, "clusters/prod/artifacts.yaml": GENERATOR,
             "clusters/prod/instance.yaml": instance, "clusters/prod/bucket.yaml": from_bucket,
             "clusters/prod/platform.yaml": from_artifact("platform"), "apps/cm.yaml": config_map("c")}
    assert run(files, "source/missing") == []


def test_external_artifact_no_generator_produces_points_at_the_generator_entry() -> None:
    files = {"clusters/prod/artifacts.yaml": GENERATOR, "clusters/prod/platform.yaml": from_artifact("platfrom"),
             "apps/cm.yaml": config_map("c")}
    [found] = run(files, "source/missing")
    assert found.object == "Kustomization/flux-system/platform"
    assert ("reads ExternalArtifact `flux-system/platfrom` (`spec.sourceRef`), which no ArtifactGenerator in "
            "cluster prod produces (no `spec.artifacts[].name: platfrom` in namespace `flux-system`)") in found.message
    assert ("Add an entry `name: platfrom` to the `spec.artifacts` of an ArtifactGenerator in `flux-system` "
            "(produced in `flux-system`: `platform`), or fix the name.") in found.message
    assert "Add the ExternalArtifact" not in found.message
    assert found.key == "spec.sourceRef:ExternalArtifact/flux-system/platfrom"


def test_external_artifact_produced_in_another_namespace_is_named() -> None:
    files = {"clusters/prod/artifacts.yaml": GENERATOR, "apps/cm.yaml": config_map("c"),
             "clusters/prod/platform.yaml": from_artifact("platform", "team")}
    [found] = run(files, "source/missing")
    assert ("An ArtifactGenerator in namespace `flux-system` produces `platform`: set `spec.sourceRef.namespace` "
            "(cross-namespace references must be allowed) or move the generator.") in found.message
    files["clusters/prod/artifacts.yaml"] = obj("ExternalArtifact", "platform", "sourceRef:\n  apiVersion: x/v1\n"
                                                "  kind: Builder\n  name: platform\n")
    [found] = run(files, "source/missing")
    assert ("An ExternalArtifact `platform` exists in namespace `flux-system`: set `spec.sourceRef.namespace` "
            "(cross-namespace references must be allowed) or move it.") in found.message


def test_helm_chart_of_a_release_and_templated_references_exist() -> None:
    """A chartRef to the HelmChart a `chart.spec` release creates, and a `${VAR}` name, are not missing."""
    chart_ref = obj("HelmRelease", "second", "interval: 15m\nchartRef:\n  kind: HelmChart\n"
                    "  name: flux-system-podinfo\n")
    templated = obj("HelmRelease", "templated", "interval: 15m\nchartRef:\n  kind: OCIRepository\n"
                    "  name: ${CHART_SOURCE}\n")
    files = {"clusters/prod/release.yaml": release("podinfo", "flux-system"), "clusters/prod/repo.yaml": HELM_REPO,
             "clusters/prod/second.yaml": chart_ref, "clusters/prod/templated.yaml": templated}
    assert run(files, "source/missing") == []
    files["clusters/prod/second.yaml"] = chart_ref.replace("flux-system-podinfo", "flux-system-other")
    found = run(files, "source/missing")
    assert [(f.object, f.line) for f in found] == [("HelmRelease/flux-system/second", 10)]


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


def test_flux_system_is_missing_where_the_repository_shows_no_bootstrap_of_it() -> None:
    own_source = obj("GitRepository", "home-ops", "interval: 10m\nurl: https://github.com/me/home-ops\n"
                     "ref:\n  branch: main\n")
    root = kustomization("cluster", "./kubernetes/apps").replace("name: flux-system\n", "name: home-ops\n")
    stray = kustomization("stray", "./kubernetes/other")
    files = {"kubernetes/apps/source.yaml": own_source, "kubernetes/flux/cluster.yaml": root,
             "kubernetes/apps/stray.yaml": stray, "kubernetes/other/cm.yaml": config_map("o")}
    [finding] = run(files, "source/missing")
    assert finding.object == "Kustomization/flux-system/stray" and "GitRepository `flux-system/flux-system`" in \
        finding.message
    # A bootstrap in the repository (gotk-sync.yaml) shows that flux-system exists.
    files["kubernetes/flux/flux-system/gotk-sync.yaml"] = "# bootstrap\n"
    assert run(files, "source/missing") == []


def test_a_source_the_change_deletes_is_left_to_deleted_target() -> None:
    base = {"clusters/prod/apps.yaml": APPS, "apps/release.yaml": release("podinfo"), "apps/repo.yaml": HELM_REPO}
    head = {k: v for k, v in base.items() if k != "apps/repo.yaml"}
    # One problem, one finding: the review says the change deleted it, on the line source/missing would take.
    assert run(head, "source/missing", base=base) == []
    [deleted] = run(head, "dependency/deleted-target", base=base)
    assert (deleted.path, deleted.line, deleted.object) == ("apps/release.yaml", 14, "HelmRelease/default/podinfo")
    # Without a base (`flux-review check`), it is source/missing's.
    assert len(run(head, "source/missing")) == 1
    # With deleted-target switched off, source/missing still reports it.
    quiet = Config(rules={"dependency/deleted-target": RuleSettings(enabled=False)})
    assert len(run(head, "source/missing", quiet, base=base)) == 1


def test_a_source_missing_at_the_base_too_is_still_reported_in_a_review() -> None:
    base = {"clusters/prod/apps.yaml": APPS, "apps/settings.yaml": config_map("settings")}
    head = {**base, "apps/release.yaml": release("podinfo")}
    assert len(run(head, "source/missing", base=base)) == 1
    assert run(head, "dependency/deleted-target", base=base) == []


# -- flux-operator ResourceSets ------------------------------------------------------------------------

TENANT_SOURCES = """
    inputs:
      - tenant: team1
        repository: team1
      - tenant: team2
        repository: team2-typo
    resources:
      - apiVersion: source.toolkit.fluxcd.io/v1
        kind: GitRepository
        metadata:
          name: << inputs.tenant >>
          namespace: flux-system
        spec:
          interval: 10m
          url: https://example.com/<< inputs.tenant >>
          ref:
            branch: main
      - apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: apps-<< inputs.tenant >>
          namespace: flux-system
        spec:
          interval: 10m
          path: ./deploy
          prune: true
          sourceRef:
            kind: GitRepository
            name: << inputs.repository >>
"""


def test_a_generated_kustomization_reads_the_source_its_resourceset_generates() -> None:
    files = {"clusters/prod/rset.yaml": resource_set(TENANT_SOURCES)}
    [finding] = run(files, "source/missing")
    assert (finding.path, finding.line, finding.object) == ("clusters/prod/rset.yaml", 34,
                                                           "Kustomization/flux-system/apps-team2")
    assert "GitRepository `flux-system/team2-typo`" in finding.message
    fixed = {"clusters/prod/rset.yaml": resource_set(TENANT_SOURCES.replace("team2-typo", "team2"))}
    assert run(fixed, "source/missing") == []


def test_sources_a_resourceset_fed_by_providers_may_create_exist() -> None:
    # Its inputs come from a ResourceSetInputProvider: `preview-<id>` may exist for any id, nothing else.
    previews = resource_set("""
        inputsFrom:
          - kind: ResourceSetInputProvider
            name: pull-requests
        resources:
          - apiVersion: source.toolkit.fluxcd.io/v1
            kind: GitRepository
            metadata:
              name: preview-<< inputs.id >>
              namespace: flux-system
    """)
    preview = kustomization("preview").replace("name: flux-system\n", "name: preview-12\n")
    other = kustomization("other").replace("name: flux-system\n", "name: staging\n")
    files = {"clusters/prod/previews.yaml": previews, "clusters/prod/ks.yaml": preview + "---\n" + other}
    [finding] = run(files, "source/missing")
    assert finding.object == "Kustomization/flux-system/other"
