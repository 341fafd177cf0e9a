"""dependency/missing-target: dependsOn entries naming nothing, the namespace fix, and look-alikes."""

from __future__ import annotations

from rule_support import ROOT, findings, resource_set, round_trip, yaml

from ._builders import base_files, cluster, ks


def test_missing_target_names_the_dependent_and_the_target() -> None:
    files = cluster(ks("apps", "./apps", extra="dependsOn:\n  - name: infra\n"), **base_files())
    [finding] = findings(files, "dependency/missing-target")
    assert finding.path == f"{ROOT}/ks.yaml" and finding.line == 16
    assert finding.message.startswith("Kustomization/flux-system/apps depends on Kustomization/flux-system/infra, "
                                      "which does not exist")
    assert finding.fix is None


def test_missing_target_in_another_namespace_gets_a_namespace_fix() -> None:
    files = cluster(ks("infra", "./infra", namespace="platform"),
                    ks("apps", "./apps", extra="dependsOn:\n  - name: infra  # first\n"), **base_files())
    [finding] = findings(files, "dependency/missing-target")
    assert "add `namespace: platform`" in finding.message
    fixed = round_trip(files, "dependency/missing-target")
    assert "    - name: infra  # first\n      namespace: platform\n" in fixed[f"{ROOT}/ks.yaml"]


def test_missing_target_with_a_wrong_namespace_gets_it_replaced() -> None:
    files = cluster(ks("infra", "./infra", namespace="platform"),
                    ks("apps", "./apps", extra="dependsOn:\n  - name: infra\n    namespace: infra\n"),
                    **base_files())
    [finding] = findings(files, "dependency/missing-target")
    assert "depends on Kustomization/infra/infra, which does not exist" in finding.message
    fixed = round_trip(files, "dependency/missing-target")
    assert "    - name: infra\n      namespace: platform\n" in fixed[f"{ROOT}/ks.yaml"]


def test_missing_target_in_several_other_namespaces_names_them_without_a_fix() -> None:
    files = cluster(ks("infra", "./infra", namespace="platform"), ks("infra", "./infra", namespace="data"),
                    ks("apps", "./apps", extra="dependsOn:\n  - name: infra\n"), **base_files())
    [finding] = findings(files, "dependency/missing-target")
    assert "Kustomizations named infra exist in namespaces data, platform" in finding.message
    assert finding.fix is None


def test_missing_target_look_alikes_are_quiet() -> None:
    # The namespace defaults to the dependent's own; an explicit one reaches across namespaces.
    files = cluster(ks("infra", "./infra"),
                    ks("db", "./infra", namespace="data"),
                    ks("apps", "./apps", extra="dependsOn:\n  - name: infra\n  - name: db\n    namespace: data\n"),
                    **base_files())
    assert findings(files, "dependency/missing-target") == []


def test_missing_target_in_a_file_shared_by_two_clusters_is_reported_once_naming_both() -> None:
    shared = ks("web", "./apps", extra="dependsOn:\n  - name: db\n")
    files = {"clusters/prod/ks.yaml": ks("shared", "./shared"), "clusters/staging/ks.yaml": ks("shared", "./shared"),
             "shared/web.yaml": shared, **base_files()}
    [finding] = findings(files, "dependency/missing-target")
    assert finding.path == "shared/web.yaml"
    assert "which does not exist in clusters prod, staging" in finding.message


# -- flux-operator ResourceSets ------------------------------------------------------------------------

def tenant_kustomizations(inputs_from: bool = False) -> str:
    """A ResourceSet making Kustomization `apps-<tenant>` (needing `inputs.needs`) and `db-<tenant>` per input.

    ``inputs_from``: its inputs also come from a ResourceSetInputProvider.
    """
    provider = "inputsFrom:\n  - kind: ResourceSetInputProvider\n    name: tenants\n" if inputs_from else ""
    return resource_set(provider + yaml("""
        inputs:
          - tenant: team1
            needs: db-team1
          - tenant: team2
            needs: db-team2
        resources:
          - apiVersion: kustomize.toolkit.fluxcd.io/v1
            kind: Kustomization
            metadata:
              name: apps-<< inputs.tenant >>
              namespace: flux-system
            spec:
              interval: 10m
              path: ./apps
              prune: true
              sourceRef:
                kind: GitRepository
                name: flux-system
              dependsOn:
                - name: << inputs.needs >>
          - apiVersion: kustomize.toolkit.fluxcd.io/v1
            kind: Kustomization
            metadata:
              name: db-<< inputs.tenant >>
              namespace: flux-system
            spec:
              interval: 10m
              path: ./infra
              prune: true
              sourceRef:
                kind: GitRepository
                name: flux-system
    """))


def test_missing_target_between_generated_kustomizations_is_reported_on_the_template() -> None:
    rset = tenant_kustomizations().replace("needs: db-team2", "needs: cache-team2")
    [finding] = findings({f"{ROOT}/rset.yaml": rset, **base_files()}, "dependency/missing-target")
    assert (finding.path, finding.line) == (f"{ROOT}/rset.yaml", 26)
    assert finding.message.startswith("Kustomization/flux-system/apps-team2 depends on "
                                      "Kustomization/flux-system/cache-team2, which does not exist")


def test_dependencies_between_generated_kustomizations_that_exist_are_quiet() -> None:
    files = {f"{ROOT}/rset.yaml": tenant_kustomizations(), **base_files()}
    assert findings(files, "dependency/missing-target") == []


def test_dependencies_on_what_a_resourceset_fed_by_providers_may_create_are_quiet() -> None:
    # Its inputs come from a ResourceSetInputProvider in the cluster: `db-<id>` may exist for any id.
    rset = tenant_kustomizations(inputs_from=True)
    dependent = ks("web", "./apps", extra="dependsOn:\n  - name: db-team7\n  - name: queue\n")
    found = findings(cluster(dependent, **{f"{ROOT}/rset.yaml": rset}, **base_files()), "dependency/missing-target")
    assert [f.message.split(",")[0] for f in found] == [
        "Kustomization/flux-system/web depends on Kustomization/flux-system/queue"]


def test_a_helm_release_a_resourceset_may_create_does_not_hide_a_missing_kustomization() -> None:
    # What a ResourceSet may create says nothing of its kind: the Kustomization is still missing.
    rset = resource_set("""
        inputsFrom:
          - kind: ResourceSetInputProvider
            name: apps
        resources:
          - apiVersion: helm.toolkit.fluxcd.io/v2
            kind: HelmRelease
            metadata:
              name: app-<< inputs.id >>
              namespace: flux-system
    """)
    dependent = ks("web", "./apps", extra="dependsOn:\n  - name: app-7\n")
    files = cluster(dependent, **{f"{ROOT}/rset.yaml": rset}, **base_files())
    [finding] = findings(files, "dependency/missing-target")
    assert "Kustomization/flux-system/app-7, which does not exist" in finding.message


def _unnamespaced(name: str, path: str, extra: str = "") -> str:
    return (f"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\nspec:\n"
            f"  interval: 10m\n  path: {path}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n"
            f"    name: flux-system\n    namespace: flux-system\n{extra}")


def test_roots_written_without_a_namespace_find_each_other() -> None:
    # Two roots applied by hand, neither with a namespace: they land in the same one, whichever it is.
    files = {"kubernetes/flux/infra.yaml": _unnamespaced("infra", "./kubernetes/infra"),
             "kubernetes/flux/apps.yaml": _unnamespaced("apps", "./kubernetes/apps",
                                                        "  dependsOn:\n    - name: infra\n"),
             "kubernetes/infra/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: a\n",
             "kubernetes/apps/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  namespace: b\n"}
    assert findings(files, "dependency/missing-target") == []
    # Named in a namespace, the target without one is no namespace to point at.
    files["kubernetes/flux/apps.yaml"] = _unnamespaced("apps", "./kubernetes/apps",
                                                       "  dependsOn:\n    - name: infra\n      namespace: infra\n")
    [finding] = findings(files, "dependency/missing-target")
    assert "exists in namespace" not in finding.message and finding.message.endswith("or remove the entry.")
