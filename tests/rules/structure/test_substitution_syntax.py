"""structure/substitution-syntax: `${...}` Flux cannot parse, invalid variable names, and the fix."""

from __future__ import annotations

from rule_support import apply_fix, config_map, kustomization
from rule_support import findings as run

from ._support import SUBSTITUTE, line_of


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
