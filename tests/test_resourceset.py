"""flux-operator ResourceSets: templates expanded from inline inputs, and what unexpanded ones may create."""

from __future__ import annotations

from collections.abc import Callable

from rule_support import analyze_files, kustomization, of, resource_set

from checks.model import KubeObject
from checks.repo import Cluster, RepoModel

Model = Callable[..., RepoModel]
RSET = "clusters/prod/rset.yaml"


def cluster_of(model_of: Model, spec: str, **files: str) -> Cluster:
    model = model_of({RSET: resource_set(spec), **files})
    [cluster] = model.clusters
    return cluster


def generated(cluster: Cluster) -> dict[str, KubeObject]:
    return {o.id: o for o in cluster.objects if o.generated_by}


TENANTS = """
inputs:
  - tenant: team1
    replicas: 2
  - tenant: team2
    replicas: 3
resources:
  - apiVersion: v1
    kind: Namespace
    metadata:
      name: << inputs.tenant >>
  - apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    metadata:
      name: apps-<<inputs.tenant>>
      namespace: flux-system
    spec:
      interval: 10m
      path: ./tenants/<< inputs.tenant >>
      prune: true
      sourceRef:
        kind: GitRepository
        name: flux-system
"""


# -- expansion -----------------------------------------------------------------------------------------

def test_inline_inputs_expand_every_template_once_per_input(model_of: Model) -> None:
    cluster = cluster_of(model_of, TENANTS)
    made = generated(cluster)
    assert set(made) == {"Namespace/team1", "Namespace/team2", "Kustomization/flux-system/apps-team1",
                         "Kustomization/flux-system/apps-team2"}
    apps = made["Kustomization/flux-system/apps-team2"]
    assert apps.get("spec", "path") == "./tenants/team2"
    assert apps.generated_by == "ResourceSet/flux-system/tenants"
    assert apps.rendered_by == "Kustomization/flux-system/flux-system"
    # Positions are the ResourceSet's: findings land on the template's lines.
    assert (apps.path, apps.line) == (RSET, 17)
    assert apps.key_pos("spec", "path") == (RSET, 24, 24)
    assert apps.pos("metadata", "name") == (RSET, 20, 20)


def test_generated_kustomizations_are_followed_into_their_folders(model_of: Model) -> None:
    cluster = cluster_of(model_of, TENANTS, **{"tenants/team1/cm.yaml": "apiVersion: v1\nkind: ConfigMap\n"
                                                                           "metadata:\n  name: settings\n"
                                                                           "  namespace: team1\n"})
    settings = cluster.find("ConfigMap", "team1", "settings")
    assert [o.rendered_by for o in settings] == ["Kustomization/flux-system/apps-team1"]
    assert "Kustomization/flux-system/apps-team1" in cluster.renders["Kustomization/flux-system/flux-system"].children


def test_a_whole_value_keeps_the_inputs_type_as_flux_operator_reads_it_back(model_of: Model) -> None:
    cluster = cluster_of(model_of, """
        inputs:
          - name: app
            replicas: 2
            wait: true
            interval: 5m
            quoted: "3"
            deps: [{name: infra}]
        resources:
          - apiVersion: kustomize.toolkit.fluxcd.io/v1
            kind: Kustomization
            metadata:
              name: << inputs.name >>
              namespace: flux-system
            spec:
              interval: << inputs.interval >>
              wait: << inputs.wait >>
              timeout: << inputs.quoted >>
              retryInterval: << inputs.replicas >>
              dependsOn: << inputs.deps | toJson >>
    """)
    app = generated(cluster)["Kustomization/flux-system/app"]
    assert app.get("spec", "interval") == "5m"
    assert app.get("spec", "wait") is True
    assert app.get("spec", "retryInterval") == 2
    assert app.get("spec", "timeout") == 3  # a string that reads as a number in YAML is one
    assert app.get("spec", "dependsOn") == [{"name": "infra"}]
    # A value from toJson keeps the input's own positions: the entry is written there.
    assert app.key_pos("spec", "dependsOn", 0, "name").line == 13


def test_templates_flux_operator_would_evaluate_differently_are_left_alone(model_of: Model) -> None:
    cluster = cluster_of(model_of, """
        inputs:
          - tenant: team1
            note: "a: b"
        resources:
          - apiVersion: v1
            kind: ConfigMap
            metadata:
              name: piped-<< inputs.tenant | upper >>
              namespace: flux-system
          - apiVersion: v1
            kind: ConfigMap
            metadata:
              name: cond
              namespace: << if eq inputs.tenant "team1" >>a<< else >>b<< end >>
          - apiVersion: v1
            kind: ConfigMap
            metadata:
              name: << inputs.tenant >>-note
              namespace: flux-system
            spec:
              note: << inputs.note >>
          - apiVersion: v1
            kind: ConfigMap
            metadata:
              name: data-<< inputs.tenant >>
              namespace: flux-system
            data:
              key: << inputs.tenant | b64enc >>
          - apiVersion: v1
            kind: ServiceAccount
            metadata:
              name: << inputs.tenant >>
              namespace: flux-system
            automountServiceAccountToken: << inputs.automount | default false >>
    """)
    made = generated(cluster)
    # Only the object whose unevaluated expression is outside the fields rules read is expanded, as written there.
    assert set(made) == {"ServiceAccount/flux-system/team1"}
    assert made["ServiceAccount/flux-system/team1"].get("automountServiceAccountToken") == \
        "<< inputs.automount | default false >>"
    # The others may exist: references to them find a stand-in, never a missing object.
    [piped] = cluster.find("ConfigMap", "flux-system", "piped-TEAM1")
    assert piped.implicit and piped.generated_by == "ResourceSet/flux-system/tenants"
    assert cluster.find("ConfigMap", "anywhere", "cond")
    assert cluster.find("ConfigMap", "flux-system", "team1-note")
    assert not cluster.find("ConfigMap", "flux-system", "team2-note")  # its name is certain
    assert cluster.find("ConfigMap", "flux-system", "data-team1")  # its data gives postBuild variables
    assert not cluster.find("Secret", "flux-system", "cond")


def test_a_key_an_input_lacks_fails_the_whole_build(model_of: Model) -> None:
    cluster = cluster_of(model_of, """
        inputs:
          - tenant: team1
          - other: x
        resources:
          - apiVersion: v1
            kind: Namespace
            metadata:
              name: << inputs.tenant >>
    """)
    assert generated(cluster) == {}
    assert cluster.find("Namespace", None, "team1") and cluster.find("Namespace", None, "anything")


def test_objects_are_deduplicated_and_disabled_ones_left_out(model_of: Model) -> None:
    cluster = cluster_of(model_of, """
        commonMetadata:
          labels:
            team: platform
        inputs:
          - tenant: team1
            reconcile: enabled
          - tenant: team2
            reconcile: disabled
        resources:
          - apiVersion: source.toolkit.fluxcd.io/v1
            kind: GitRepository
            metadata:
              name: shared
              namespace: flux-system
              labels:
                team: mine
            spec:
              interval: 10m
              url: https://example.com/repo
          - apiVersion: v1
            kind: ServiceAccount
            metadata:
              name: flux-<< inputs.tenant >>
              namespace: flux-system
              annotations:
                fluxcd.controlplane.io/reconcile: << inputs.reconcile >>
    """)
    made = generated(cluster)
    assert set(made) == {"GitRepository/flux-system/shared", "ServiceAccount/flux-system/flux-team1"}
    assert made["GitRepository/flux-system/shared"].labels() == {"team": "platform"}


def test_without_inputs_each_template_is_made_once_and_templated_ones_are_unknown(model_of: Model) -> None:
    cluster = cluster_of(model_of, """
        resources:
          - apiVersion: source.toolkit.fluxcd.io/v1
            kind: OCIRepository
            metadata:
              name: operator
              namespace: flux-system
            spec:
              interval: 10m
              url: oci://ghcr.io/controlplaneio-fluxcd/charts/flux-operator
          - apiVersion: v1
            kind: ConfigMap
            metadata:
              name: values
              namespace: flux-system
            spec:
              replicas: << inputs.replicas | default 2 >>
          - apiVersion: v1
            kind: ConfigMap
            metadata:
              name: nowhere
    """)
    assert set(generated(cluster)) == {"OCIRepository/flux-system/operator"}
    assert cluster.find("ConfigMap", "flux-system", "values")
    # flux-operator sets no namespace: a namespaced object without one is not placed anywhere certain.
    assert cluster.find("ConfigMap", "somewhere", "nowhere")


def test_steps_are_expanded_like_resources(model_of: Model) -> None:
    cluster = cluster_of(model_of, """
        inputs:
          - tenant: team1
        steps:
          - name: first
            resources:
              - apiVersion: v1
                kind: Namespace
                metadata:
                  name: << inputs.tenant >>
    """)
    assert set(generated(cluster)) == {"Namespace/team1"}


def test_inputs_from_providers_leave_every_object_unknown(model_of: Model) -> None:
    cluster = cluster_of(model_of, """
        inputsFrom:
          - kind: ResourceSetInputProvider
            name: pull-requests
        inputs:
          - id: "1"
        resources:
          - apiVersion: source.toolkit.fluxcd.io/v1
            kind: GitRepository
            metadata:
              name: preview-<< inputs.id >>
              namespace: flux-system
        resourcesTemplate: |
          apiVersion: v1
          kind: Secret
          metadata:
            name: << inputs.id >>
    """)
    assert generated(cluster) == {}
    assert cluster.find("GitRepository", "flux-system", "preview-42")
    assert not cluster.find("GitRepository", "flux-system", "other")
    assert not cluster.find("GitRepository", "elsewhere", "preview-42")
    assert not cluster.find("Kustomization", "flux-system", "preview-42")
    assert cluster.find("Secret", "anywhere", "any-name")  # a resourcesTemplate may create any object of its kinds


def test_permuted_inputs_are_not_expanded(model_of: Model) -> None:
    cluster = cluster_of(model_of, TENANTS.replace("inputs:\n", "inputStrategy:\n  name: Permute\ninputs:\n", 1))
    assert generated(cluster) == {}
    assert cluster.find("Kustomization", "flux-system", "apps-x")


def test_operator_keys_are_not_read_from_inline_inputs(model_of: Model) -> None:
    cluster = cluster_of(model_of, """
        inputs:
          - tenant: team1
        resources:
          - apiVersion: v1
            kind: ConfigMap
            metadata:
              name: << inputs.provider.name >>
              namespace: << inputs.tenant >>
    """)
    assert generated(cluster) == {}
    assert cluster.find("ConfigMap", "team1", "tenants")
    assert not cluster.find("ConfigMap", "team2", "tenants")


def test_an_unrendered_resourceset_creates_nothing(model_of: Model) -> None:
    model = model_of({"clusters/prod/kustomization.yaml": "resources: []\n", "other/rset.yaml": resource_set(TENANTS)})
    assert not [o for c in model.clusters for o in c.objects if o.generated_by]


def test_a_template_line_is_reported_once_naming_the_other_objects_it_creates() -> None:
    # The Alerts of every input share the template's lines: one thing to fix, reported once.
    alerts = """
        inputs:
          - namespace: team1
          - namespace: team2
        resources:
          - apiVersion: notification.toolkit.fluxcd.io/v1beta3
            kind: Alert
            metadata:
              name: failures
              namespace: << inputs.namespace >>
            spec:
              providerRef:
                name: slack
              eventSources:
                - kind: Kustomization
                  name: '*'
    """
    [missing] = of(analyze_files({RSET: resource_set(alerts)}), "notification/provider-missing")
    assert (missing.line, missing.object) == (18, "Alert/team1/failures")
    assert missing.message.endswith("The same line also creates Alert/team2/failures.")


def test_fixes_are_not_offered_inside_templates() -> None:
    # A line edit made for one generated object (a value of one input) would be wrong for the others.
    infra = kustomization("infra", "./tenants/team1")
    dependent = TENANTS.replace("      prune: true\n", "      prune: true\n      dependsOn:\n        - name: infra\n")
    found = of(analyze_files({RSET: resource_set(dependent), "clusters/prod/infra.yaml": infra.replace(
        "namespace: flux-system", "namespace: platform", 1)}), "dependency/missing-target")
    assert [(f.line, f.fix) for f in found] == [(27, None)]
    assert "add `namespace: platform` to the entry" in found[0].message


def test_what_a_resourceset_may_create_does_not_replace_what_the_bootstrap_creates(model_of: Model) -> None:
    # A template whose kind is an expression may create anything; the bootstrap's objects still exist as such.
    cluster = cluster_of(model_of, """
        inputsFrom:
          - kind: ResourceSetInputProvider
            name: anything
        resourcesTemplate: |
          apiVersion: v1
          kind: << inputs.kind >>
          metadata:
            name: << inputs.name >>
    """)
    assert {"Namespace/flux-system", "GitRepository/flux-system/flux-system"} <= {o.id for o in cluster.objects}
    assert [o.implicit and o.generated_by for o in cluster.find("Secret", "apps", "db")] == [
        "ResourceSet/flux-system/tenants"]
