"""structure/undefined-variable: `${VAR}`s the rendering Kustomization's postBuild does not supply."""

from __future__ import annotations

import gc
import textwrap
import weakref

from rule_support import analyze_files, config_map, kustomization, resource_set
from rule_support import findings as run

from checks.config import Config
from checks.findings import Severity

from ._support import SUBSTITUTE, line_of


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


def test_a_variable_a_kustomization_hands_down_through_its_own_patches_is_meant_for_its_children() -> None:
    """`${CLUSTER}` in cluster-apps's patch reaches cluster-apps literally, then its own postBuild substitutes it
    in every child the patch reaches: the literal text in the parent is intended."""
    handing_down = """\
        postBuild:
          substitute:
            CLUSTER: main
        patches:
          - patch: |-
              apiVersion: kustomize.toolkit.fluxcd.io/v1
              kind: Kustomization
              metadata:
                name: _
              spec:
                postBuild:
                  substitute:
                    CLUSTER: ${CLUSTER}
            target:
              kind: Kustomization
        """
    files = {
        "clusters/prod/apps.yaml": kustomization(extra=SUBSTITUTE),
        "clusters/prod/flux/cluster-apps.yaml": kustomization("cluster-apps", "./kubernetes/apps", handing_down),
        "kubernetes/apps/cm.yaml": config_map("apps", "NAME: ${CLUSTER}\n"),
    }
    assert run(files, "structure/undefined-variable") == []
    # The same text in a Kustomization whose own postBuild does not supply it reaches the cluster literally,
    # while another Kustomization of the cluster supplies the name.
    files["clusters/prod/apps.yaml"] = kustomization(extra="postBuild:\n  substitute:\n    CLUSTER: prod\n")
    files["clusters/prod/flux/cluster-apps.yaml"] = kustomization(
        "cluster-apps", "./kubernetes/apps", handing_down.replace("CLUSTER: main", "OTHER: main"))
    literal = [f for f in run(files, "structure/undefined-variable") if "literally" in f.message]
    assert [f.path for f in literal] == ["clusters/prod/flux/cluster-apps.yaml"]


def test_strict_substitution_follows_the_flux_the_cluster_runs() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(extra=SUBSTITUTE),
        "apps/cm.yaml": config_map("web", "HOST: ${CLUSTER_DOMAIN}\n"),
    }
    [strict] = run(files, "structure/undefined-variable")
    assert strict.severity == Severity.ERROR  # no version named: the default 2.9 substitutes strictly
    files["clusters/prod/flux-system/gotk-components.yaml"] = "# Flux Version: v2.6.3\nkind: Namespace\n"
    [lenient] = run(files, "structure/undefined-variable")
    assert lenient.severity == Severity.WARNING and "empty string" in lenient.message
    [configured] = run(files, "structure/undefined-variable", Config(flux_version="2.9"))
    assert configured.severity == Severity.ERROR


def test_a_resourceset_is_judged_as_written_not_again_in_what_it_creates() -> None:
    # postBuild substitutes the ResourceSet before flux-operator reads it: its `${VAR}`s are reported there once.
    rset = resource_set("""
        inputs:
          - tenant: team1
            tag: ${RELEASE_TAG}
        resources:
          - apiVersion: v1
            kind: ConfigMap
            metadata:
              name: << inputs.tenant >>
              namespace: default
            data:
              tag: << inputs.tag >>
              cluster: ${CLUSTER_NAME}
    """)
    files = {"clusters/prod/apps.yaml": kustomization(extra=SUBSTITUTE), "apps/rset.yaml": rset}
    found = run(files, "structure/undefined-variable")
    assert sorted((f.line, f.object) for f in found) == [
        (line_of(files, "apps/rset.yaml", "RELEASE_TAG"), "ResourceSet/flux-system/tenants")]


def test_variables_from_a_configmap_flux_operator_fills_are_unknown() -> None:
    copied = resource_set("""
        resources:
          - apiVersion: v1
            kind: ConfigMap
            metadata:
              name: runtime-info
              namespace: default
              annotations:
                fluxcd.controlplane.io/copyFrom: flux-system/runtime-info
    """)
    post_build = ("postBuild:\n  substitute:\n    OTHER: x\n"
                  "  substituteFrom:\n    - kind: ConfigMap\n      name: runtime-info\n")
    parent = kustomization(namespace="default", source_namespace="flux-system", extra=post_build)
    files = {"clusters/prod/apps.yaml": parent,
             "clusters/prod/rset.yaml": copied.replace("namespace: flux-system", "namespace: default", 1),
             "apps/cm.yaml": config_map("web", "NAME: ${CLUSTER_NAME}\n")}
    assert run(files, "structure/undefined-variable") == []


def test_a_patched_object_is_searched_where_an_escape_spells_a_variable() -> None:
    # The patch gives the ConfigMap a new top-level key, so its body is a copy while `data` is still the one
    # its file wrote: a double-quoted escape there spells ${CLUSTER_DOMAIN} without writing it.
    patch = """\
        patches:
          - patch: |
              apiVersion: v1
              kind: ConfigMap
              metadata:
                name: web
              immutable: true
            target:
              kind: ConfigMap
        """
    files = {
        "clusters/prod/apps.yaml": kustomization(extra=SUBSTITUTE + textwrap.dedent(patch)),
        "apps/cm.yaml": config_map("web", 'HOST: "web.\\x24{CLUSTER_DOMAIN}"\n'),
    }
    [finding] = run(files, "structure/undefined-variable")
    assert "`${CLUSTER_DOMAIN}`" in finding.message and finding.path == "apps/cm.yaml"


def test_the_substitutions_both_rules_share_keep_no_cycle_through_the_model() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(extra=SUBSTITUTE),
        "apps/cm.yaml": config_map("web", "HOST: web.${CLUSTER_DOMAIN}\n"),
    }
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        result = analyze_files(files)
        assert result.model.memo["substitutions"]  # what the rules shared is kept on the model
        model = weakref.ref(result.model)
        del result
        assert model() is None
    finally:
        if was_enabled:
            gc.enable()


WIDGET = """\
apiVersion: example.com/v1
kind: Widget
metadata:
  name: web
spec:
  replicas: 2
  containers:
    - name: web
      image: nginx
      env:
        - name: A
          value: plain
        - name: B
          value: ${FIRST}
  script: |
    echo start
    echo ${SECOND}
  quoted: "x.\\x24{THIRD}"
  nested:
    deeper:
      name: ${CLUSTER_NAME}
"""


def test_every_variable_of_a_document_is_found_whatever_line_it_is_on() -> None:
    # Only the parts of a document around the lines that spell `${` are walked: a list item, a block
    # scalar's later line, a double-quoted escape, and a value a parent's patch wrote into a shared part.
    patch = """\
        patches:
          - patch: |
              - op: add
                path: /spec/nested/added
                value: ${FOURTH}
            target:
              kind: Widget
        """
    files = {
        "clusters/prod/apps.yaml": kustomization(extra=SUBSTITUTE + textwrap.dedent(patch)),
        "apps/widget.yaml": WIDGET,
    }
    found = {(f.path, f.line, f.message.split("`")[1]) for f in run(files, "structure/undefined-variable")}
    assert found == {
        ("apps/widget.yaml", line_of(files, "apps/widget.yaml", "${FIRST}"), "${FIRST}"),
        ("apps/widget.yaml", line_of(files, "apps/widget.yaml", "${SECOND}"), "${SECOND}"),
        ("apps/widget.yaml", line_of(files, "apps/widget.yaml", "quoted"), "${THIRD}"),
        ("clusters/prod/apps.yaml", line_of(files, "clusters/prod/apps.yaml", "${FOURTH}"), "${FOURTH}"),
    }


def test_a_variable_an_alias_repeats_is_found_where_each_use_reads_it() -> None:
    # An alias brings a value written on another line into a part whose own lines spell nothing.
    widget = WIDGET.replace("value: ${FIRST}", "value: &first ${FIRST}") + "  copy:\n    of: *first\n"
    files = {"clusters/prod/apps.yaml": kustomization(extra=SUBSTITUTE), "apps/widget.yaml": widget}
    fields = sorted(f.key for f in run(files, "structure/undefined-variable") if "FIRST" in f.key)
    assert fields == ["spec.containers[0].env[1].value:FIRST", "spec.copy.of:FIRST"]
