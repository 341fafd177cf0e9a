"""The structure rules: failing examples, look-alikes that stay quiet, and fix round trips.

Repositories are written inline with a `clusters/prod/` root (bootstrap renders
it) and an `apps` Kustomization, the layout most Flux repositories share.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

from rule_support import apply_fix, config_map, helm_release, kustomization, snapshot
from rule_support import findings as run

from checks.config import Config
from checks.findings import Severity
from checks.repo import build_model

SUBSTITUTE = """\
postBuild:
  substitute:
    CLUSTER_NAME: prod
"""


def line_of(files: Mapping[str, str], path: str, needle: str) -> int:
    for number, line in enumerate(textwrap.dedent(files[path]).splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


# -- foundation facts these rules stand on ----------------------------------------------------
def test_kustomize_namespace_renames_namespace_objects() -> None:
    """kustomize's namespace transformer renames v1 Namespaces (``name: _`` idiom)."""
    files = {
        "clusters/prod/apps.yaml": kustomization(),
        "apps/kustomization.yaml": "namespace: media\nresources:\n  - namespace.yaml\n  - cm.yaml\n",
        "apps/namespace.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: _\n",
        "apps/cm.yaml": config_map("settings", "A: b\n", namespace="other"),
    }
    [cluster] = build_model(snapshot(files)).clusters
    assert cluster.find("Namespace", None, "media")
    assert not cluster.find("Namespace", None, "_")
    assert cluster.find("ConfigMap", "media", "settings")


def test_parent_patches_give_children_their_postbuild() -> None:
    """Variables a parent's patch adds to its children count as supplied."""
    parent = kustomization("cluster-apps", "./kubernetes/apps", """\
        patches:
          - patch: |-
              apiVersion: kustomize.toolkit.fluxcd.io/v1
              kind: Kustomization
              metadata:
                name: _
              spec:
                postBuild:
                  substitute:
                    CLUSTER_DOMAIN: example.com
            target:
              kind: Kustomization
        """)
    files = {
        "clusters/prod/apps.yaml": parent,
        "kubernetes/apps/kustomization.yaml": "resources:\n  - web/ks.yaml\n",
        "kubernetes/apps/web/ks.yaml": kustomization("web", "./kubernetes/apps/web/app"),
        "kubernetes/apps/web/app/cm.yaml": config_map("web", "HOST: web.${CLUSTER_DOMAIN}\n"),
    }
    assert run(files, "structure/undefined-variable") == []
    files["kubernetes/apps/web/app/cm.yaml"] = config_map("web", "HOST: web.${CLUSTER_DOMAN}\n")
    [finding] = run(files, "structure/undefined-variable")
    assert "CLUSTER_DOMAN" in finding.message and "Kustomization/flux-system/web" in finding.message


# -- structure/path-missing ---------------------------------------------------------------
def test_path_missing_fix_offers_the_folder_one_typo_away() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(path="./apps/stagign  # the staging apps"),
        "apps/staging/cm.yaml": config_map("a", "A: b\n"),
    }
    [finding] = run(files, "structure/path-missing")
    assert finding.fix is not None
    assert finding.fix.replacement == "  path: ./apps/staging  # the staging apps\n"
    assert run(apply_fix(files, finding.fix), "structure/path-missing") == []


def test_path_missing_without_a_close_folder_has_no_fix() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(path="./workloads"),
        "apps/staging/cm.yaml": config_map("a", "A: b\n"),
    }
    [finding] = run(files, "structure/path-missing")
    assert finding.fix is None


# -- structure/undefined-variable -----------------------------------------------------------
def test_undefined_variable_fails_under_strict_substitution() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(extra=SUBSTITUTE),
        "apps/cm.yaml": config_map("web", "NAME: ${CLUSTER_NAME}\nHOST: web.${CLUSTER_DOMAIN}\n"),
    }
    [finding] = run(files, "structure/undefined-variable")
    assert finding.severity == Severity.ERROR
    assert finding.line == line_of(files, "apps/cm.yaml", "HOST")
    assert finding.object == "ConfigMap/default/web"
    assert "`${CLUSTER_DOMAIN}`" in finding.message and "Kustomization/flux-system/apps" in finding.message


def test_undefined_variable_before_flux_2_9_becomes_an_empty_string() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(extra=SUBSTITUTE),
        "apps/cm.yaml": config_map("web", "HOST: web.${CLUSTER_DOMAIN}\n"),
    }
    [finding] = run(files, "structure/undefined-variable", Config(flux_version="2.8"))
    assert finding.severity == Severity.WARNING
    assert "empty string" in finding.message


def test_undefined_variable_look_alikes_stay_quiet() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(extra=SUBSTITUTE),
        "apps/cm.yaml": config_map("web", """\
            A: ${CLUSTER_DOMAIN:=example.com}
            B: ${CLUSTER_DOMAIN:-example.com}
            C: ${CLUSTER_DOMAIN=example.com}
            D: $${CLUSTER_DOMAIN}
            E: $CLUSTER_DOMAIN
            """),
        "apps/script.yaml": config_map("script", "run.sh: echo ${HOME}\n", extra_meta="""\
            annotations:
              kustomize.toolkit.fluxcd.io/substitute: disabled
            """),
    }
    assert run(files, "structure/undefined-variable") == []


def test_substitute_from_configmap_and_sops_secret_keys_are_supplied() -> None:
    secret = """\
        apiVersion: v1
        kind: Secret
        metadata:
          name: cluster-secrets
          namespace: flux-system
        stringData:
          SECRET_DOMAIN: ENC[AES256_GCM,data:Zm9v,iv:aXY=,tag:dGFn,type:str]
        sops:
          mac: ENC[AES256_GCM,data:Zm9v,iv:aXY=,tag:dGFn,type:str]
          version: 3.9.0
        """
    files = {
        "clusters/prod/apps.yaml": kustomization(extra="""\
            postBuild:
              substituteFrom:
                - kind: ConfigMap
                  name: cluster-settings
                - kind: Secret
                  name: cluster-secrets
            """),
        "clusters/prod/settings.yaml": config_map("cluster-settings", "TIMEZONE: UTC\n", namespace="flux-system"),
        "clusters/prod/secrets.sops.yaml": secret,
        "apps/cm.yaml": config_map("web", "TZ: ${TIMEZONE}\nHOST: web.${SECRET_DOMAIN}\nX: ${SECRET_DOMAIN_2}\n"),
    }
    [finding] = run(files, "structure/undefined-variable")
    assert "SECRET_DOMAIN_2" in finding.message
    assert finding.line == line_of(files, "apps/cm.yaml", "X:")


def test_generated_configmap_keys_are_supplied() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(extra="""\
            postBuild:
              substituteFrom:
                - kind: ConfigMap
                  name: cluster-settings
            """),
        "clusters/prod/kustomization.yaml": """\
            resources:
              - apps.yaml
            configMapGenerator:
              - name: cluster-settings
                namespace: flux-system
                literals:
                  - TIMEZONE=UTC
                envs:
                  - cluster.env
            generatorOptions:
              disableNameSuffixHash: true
            """,
        "clusters/prod/cluster.env": "# settings\nCLUSTER_DOMAIN=example.com\n",
        "apps/cm.yaml": config_map("web", "TZ: ${TIMEZONE}\nHOST: web.${CLUSTER_DOMAIN}\n"),
    }
    assert run(files, "structure/undefined-variable") == []


def test_unknown_substitute_from_source_is_not_reported() -> None:
    """A ConfigMap created out of band (or optional and absent): its keys are unknown."""
    for optional in ("false", "true"):
        files = {
            "clusters/prod/apps.yaml": kustomization(extra=f"""\
                postBuild:
                  substituteFrom:
                    - kind: ConfigMap
                      name: made-by-terraform
                      optional: {optional}
                """),
            "apps/cm.yaml": config_map("web", "HOST: web.${CLUSTER_DOMAIN}\n"),
        }
        assert run(files, "structure/undefined-variable") == []


def test_without_postbuild_text_stays_literal() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(extra=SUBSTITUTE),
        "clusters/prod/infra.yaml": kustomization("infra", "./infra"),
        "apps/cm.yaml": config_map("web", "NAME: ${CLUSTER_NAME}\n"),
        "infra/cm.yaml": config_map("infra", "NAME: ${CLUSTER_NAME}\nrun.sh: echo ${HOME}\n"),
    }
    [finding] = run(files, "structure/undefined-variable")
    assert finding.severity == Severity.WARNING
    assert finding.path == "infra/cm.yaml" and "literally" in finding.message
    assert "HOME" not in finding.message  # a shell variable nobody supplies is left alone


def test_undefined_variable_in_a_block_scalar_lands_on_its_line() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(extra=SUBSTITUTE),
        "apps/cm.yaml": config_map("web", """\
            config.ini: |
              [server]
              name = ${CLUSTER_NAME}
              domain = ${CLUSTER_DOMAIN}
            """),
    }
    [finding] = run(files, "structure/undefined-variable")
    assert finding.line == line_of(files, "apps/cm.yaml", "domain =")


def test_undefined_variable_names_the_clusters_it_fails_in() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(extra=SUBSTITUTE),
        "clusters/staging/apps.yaml": kustomization(extra="""\
            postBuild:
              substitute:
                CLUSTER_NAME: staging
                CLUSTER_DOMAIN: staging.example.com
            """),
        "apps/cm.yaml": config_map("web", "HOST: web.${CLUSTER_DOMAIN}\n"),
    }
    [finding] = run(files, "structure/undefined-variable")
    assert finding.message.endswith("(cluster prod)")


# -- structure/substitution-syntax ----------------------------------------------------------
def test_dash_default_is_reported_and_fixed() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(extra=SUBSTITUTE),
        "apps/cm.yaml": config_map("web", "HOST: web.${CLUSTER_DOMAIN-example.com}  # public\n"),
    }
    [finding] = run(files, "structure/substitution-syntax")
    assert finding.fix is not None
    assert finding.fix.replacement == "  HOST: web.${CLUSTER_DOMAIN:=example.com}  # public\n"
    fixed = apply_fix(files, finding.fix)
    assert run(fixed, "structure/substitution-syntax") == []
    assert run(fixed, "structure/undefined-variable") == []


def test_unparsable_expression_fails_only_where_substitution_runs() -> None:
    workflow = config_map("ci", "token: ${{ github.token }}\n")
    files = {
        "clusters/prod/apps.yaml": kustomization(extra=SUBSTITUTE),
        "clusters/prod/infra.yaml": kustomization("infra", "./infra"),
        "apps/cm.yaml": workflow,
        "infra/cm.yaml": workflow,
    }
    [finding] = run(files, "structure/substitution-syntax")
    assert finding.path == "apps/cm.yaml" and "unable to parse variable name" in finding.message
    assert finding.fix is None


def test_invalid_substitute_key_fails_every_object() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(extra="""\
            postBuild:
              substitute:
                cluster-name: prod
                CLUSTER_DOMAIN: example.com
            """),
        "apps/cm.yaml": config_map("web", "HOST: web.${CLUSTER_DOMAIN}\n"),
    }
    [finding] = run(files, "structure/substitution-syntax")
    assert finding.path == "clusters/prod/apps.yaml"
    assert finding.line == line_of(files, "clusters/prod/apps.yaml", "cluster-name")
    assert "`cluster_name`" in finding.message


def test_invalid_configmap_key_read_by_substitute_from() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(extra="""\
            postBuild:
              substituteFrom:
                - kind: ConfigMap
                  name: cluster-settings
            """),
        "clusters/prod/settings.yaml": config_map("cluster-settings", "cluster.domain: example.com\nOK: yes\n",
                                                  namespace="flux-system"),
        "apps/cm.yaml": config_map("web", "A: b\n"),
    }
    [finding] = run(files, "structure/substitution-syntax")
    assert finding.path == "clusters/prod/settings.yaml"
    assert finding.line == line_of(files, "clusters/prod/settings.yaml", "cluster.domain")
    assert "Kustomization/flux-system/apps" in finding.message
    assert "example.com" not in finding.message  # keys are named, values never


def test_valid_names_and_literal_text_are_quiet() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(extra=SUBSTITUTE),
        "apps/cm.yaml": config_map("web", "A: ${CLUSTER_NAME/-/_}\nB: $${{ literal }}\nC: cost $5 {x}\n"),
    }
    assert run(files, "structure/substitution-syntax") == []


# -- structure/non-manifest-yaml ------------------------------------------------------------
def test_values_file_in_a_generated_folder_fails_the_build() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(),
        "apps/podinfo/release.yaml": config_map("podinfo", "A: b\n"),
        "apps/podinfo/values.yaml": "replicaCount: 2\n",
    }
    [finding] = run(files, "structure/non-manifest-yaml")
    assert finding.path == "apps/podinfo/values.yaml"
    assert "`apps/`" in finding.message and "Kustomization/flux-system/apps" in finding.message


def test_ignored_or_listed_files_are_not_non_manifests() -> None:
    base = {
        "clusters/prod/apps.yaml": kustomization(),
        "apps/podinfo/release.yaml": config_map("podinfo", "A: b\n"),
        "apps/podinfo/values.yaml": "replicaCount: 2\n",
    }
    assert run({**base, ".sourceignore": "values.yaml\n"}, "structure/non-manifest-yaml") == []
    listed = {**base, "apps/podinfo/kustomization.yaml": "resources:\n  - release.yaml\n"}
    assert run(listed, "structure/non-manifest-yaml") == []
    assert run({**base, "apps/podinfo/values.yaml": "# only a comment\n"}, "structure/non-manifest-yaml") == []


# -- structure/duplicate-object -------------------------------------------------------------
NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: podinfo\n"


def test_same_object_from_two_kustomizations() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(),
        "clusters/prod/infra.yaml": kustomization("infra", "./infra"),
        "apps/namespace.yaml": NAMESPACE,
        "infra/namespace.yaml": NAMESPACE,
    }
    findings = run(files, "structure/duplicate-object")
    assert sorted(f.path for f in findings) == ["apps/namespace.yaml", "infra/namespace.yaml"]
    assert all("Kustomization/flux-system/apps" in f.message and "Kustomization/flux-system/infra" in f.message
               for f in findings)
    assert len({f.fingerprint for f in findings}) == 2


def test_parent_folder_rendering_a_childs_folder_is_a_duplicate() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(),
        "apps/podinfo/ks.yaml": kustomization("podinfo", "./apps/podinfo/app"),
        "apps/podinfo/app/cm.yaml": config_map("podinfo", "A: b\n"),
    }
    [finding] = run(files, "structure/duplicate-object")
    assert finding.object == "ConfigMap/default/podinfo"


def test_same_object_twice_in_one_build() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(),
        "apps/kustomization.yaml": "resources:\n  - a.yaml\n  - b.yaml\n",
        "apps/a.yaml": config_map("web", "A: b\n"),
        "apps/b.yaml": config_map("web", "A: c\n"),
    }
    findings = run(files, "structure/duplicate-object")
    assert len(findings) == 2 and "already registered id" in findings[0].message


def test_duplicate_look_alikes() -> None:
    """One file in two clusters, substituted names, other namespaces, generated ConfigMaps."""
    files = {
        "clusters/prod/apps.yaml": kustomization(),
        "clusters/staging/apps.yaml": kustomization(),
        "clusters/prod/infra.yaml": kustomization("infra", "./infra", extra="postBuild:\n  substitute:\n    APP: x\n"),
        "clusters/prod/more.yaml": kustomization("more", "./infra", extra="postBuild:\n  substitute:\n    APP: y\n"
                                                 "targetNamespace: more\n"),
        "apps/cm.yaml": config_map("web", "A: b\n"),
        "apps/other.yaml": config_map("web", "A: b\n", namespace="other"),
        "infra/cm.yaml": config_map("${APP}-settings", "A: b\n"),
    }
    assert run(files, "structure/duplicate-object") == []


# -- structure/missing-namespace ------------------------------------------------------------
def test_object_in_a_namespace_nothing_creates() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(),
        "apps/namespace.yaml": NAMESPACE,
        "apps/podinfo.yaml": config_map("podinfo", "A: b\n", namespace="podinfo"),
        "apps/media.yaml": config_map("plex", "A: b\n", namespace="media"),
    }
    [finding] = run(files, "structure/missing-namespace")
    assert finding.path == "apps/media.yaml" and "`media`" in finding.message
    assert finding.line == line_of(files, "apps/media.yaml", "namespace: media")


def test_target_namespace_does_not_create_it_and_is_reported_once() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(extra="targetNamespace: media\n"),
        "clusters/prod/ns.yaml": NAMESPACE,
        "apps/a.yaml": config_map("a", "A: b\n"),
        "apps/b.yaml": config_map("b", "A: b\n"),
    }
    [finding] = run(files, "structure/missing-namespace")
    assert finding.path == "clusters/prod/apps.yaml"
    assert "and 1 more object" in finding.message


def test_namespaces_created_otherwise_are_quiet() -> None:
    release = """\
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata:
          name: plex
          namespace: flux-system
        spec:
          interval: 15m
          targetNamespace: media
          install:
            createNamespace: true
          chart:
            spec:
              chart: plex
              sourceRef:
                kind: HelmRepository
                name: charts
        """
    files = {
        "clusters/prod/apps.yaml": kustomization(),
        "apps/namespace.yaml": NAMESPACE,
        "apps/release.yaml": release,
        "apps/media.yaml": config_map("plex", "A: b\n", namespace="media"),
        "apps/system.yaml": config_map("sys", "A: b\n", namespace="kube-system"),
    }
    assert run(files, "structure/missing-namespace") == []


def test_repository_without_namespace_objects_manages_them_elsewhere() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(),
        "apps/media.yaml": config_map("plex", "A: b\n", namespace="media"),
    }
    assert run(files, "structure/missing-namespace") == []


# -- structure/unrendered-file --------------------------------------------------------------
def test_file_no_kustomization_renders() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(),
        "apps/kustomization.yaml": "resources:\n  - ./podinfo\n  # - ./grafana\n",
        "apps/podinfo/kustomization.yaml": "resources:\n  - release.yaml\n",
        "apps/podinfo/release.yaml": helm_release("podinfo"),
        "apps/grafana/kustomization.yaml": "resources:\n  - release.yaml\n",
        "apps/grafana/release.yaml": helm_release("grafana"),
    }
    [finding] = run(files, "structure/unrendered-file")
    assert finding.path == "apps/grafana/release.yaml" and finding.severity == Severity.INFO
    assert "HelmRelease/default/grafana" in finding.message


def test_unrendered_look_alikes() -> None:
    """Docs and examples, ignored folders, external sources, and repositories without clusters."""
    files = {
        "clusters/prod/apps.yaml": kustomization(),
        "clusters/prod/tenant.yaml": kustomization("tenant", "./tenants/team-a").replace(
            "name: flux-system", "name: tenant-repo"),
        "apps/podinfo.yaml": helm_release("podinfo"),
        "docs/example.yaml": helm_release("example"),
        "archive/old.yaml": helm_release("old"),
        "tenants/team-a/release.yaml": helm_release("team-a"),
        "hidden/release.yaml": helm_release("hidden"),
        ".sourceignore": "hidden/\n",
    }
    assert run(files, "structure/unrendered-file") == []
    assert run({"apps/podinfo.yaml": helm_release("podinfo")}, "structure/unrendered-file") == []


# -- structure/forgotten-suspend ------------------------------------------------------------
def test_suspend_without_reason() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(extra="suspend: true\n"),
        "apps/cm.yaml": config_map("a", "A: b\n"),
    }
    [finding] = run(files, "structure/forgotten-suspend")
    assert finding.line == line_of(files, "clusters/prod/apps.yaml", "suspend")
    assert finding.object == "Kustomization/flux-system/apps"


def test_suspend_with_a_reason_and_non_flux_suspend_are_quiet() -> None:
    cron = """\
        apiVersion: batch/v1
        kind: CronJob
        metadata:
          name: backup
          namespace: default
        spec:
          suspend: true
        """
    annotated = helm_release("annotated").replace(
        "  namespace: default\n", "  namespace: default\n  annotations:\n    example.com/suspend-reason: migration\n")
    files = {
        "clusters/prod/apps.yaml": kustomization(extra="suspend: true  # chart 4.2 breaks ingress, see #12\n"),
        "clusters/prod/other.yaml": kustomization("other", "./other", extra="# waiting for the new storage\n"
                                                  "suspend: true\n"),
        "apps/cron.yaml": cron,
        "apps/annotated.yaml": annotated + "  suspend: true\n",
        "other/cm.yaml": config_map("a", "A: b\n"),
    }
    assert run(files, "structure/forgotten-suspend") == []


# -- structure/prune-disabled ---------------------------------------------------------------
def test_prune_disabled_is_fixed() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization().replace("prune: true", "prune: false"),
        "apps/cm.yaml": config_map("a", "A: b\n"),
    }
    [finding] = run(files, "structure/prune-disabled")
    assert finding.fix is not None and finding.fix.replacement == "  prune: true\n"
    assert run(apply_fix(files, finding.fix), "structure/prune-disabled") == []


def test_prune_disabled_look_alikes() -> None:
    crd = """\
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: widgets.example.com
        """
    files = {
        "clusters/prod/crds.yaml": kustomization("crds", "./crds").replace("prune: true", "prune: false"),
        "clusters/prod/apps.yaml": kustomization().replace("prune: true", "prune: false  # keep PVCs"),
        "clusters/prod/ext.yaml": kustomization("ext", "./x").replace("prune: true", "prune: false").replace(
            "name: flux-system\n", "name: upstream\n"),
        "crds/widgets.yaml": crd,
        "apps/cm.yaml": config_map("a", "A: b\n"),
    }
    assert run(files, "structure/prune-disabled") == []


# -- structure/release-identity-change -------------------------------------------------------
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


def test_bootstrap_kustomization_postbuild_is_read_from_gotk_sync() -> None:
    """The model renders a cluster from an implicit root; the written one has the postBuild."""
    sync = kustomization("flux-system", "./clusters/prod", extra=SUBSTITUTE)
    files = {
        "clusters/prod/flux-system/kustomization.yaml": "resources:\n  - gotk-sync.yaml\n",
        "clusters/prod/flux-system/gotk-sync.yaml": sync,
        "clusters/prod/cm.yaml": config_map("web", "NAME: ${CLUSTER_NAME}\nHOST: ${CLUSTER_HOST}\n"),
    }
    [finding] = run(files, "structure/undefined-variable")
    assert "CLUSTER_HOST" in finding.message and finding.severity == Severity.ERROR
    assert "Kustomization/flux-system/flux-system" in finding.message
