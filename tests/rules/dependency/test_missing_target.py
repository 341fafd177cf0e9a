"""dependency/missing-target: dependsOn entries naming nothing, the namespace fix, and look-alikes."""

from __future__ import annotations

from rule_support import ROOT, findings, round_trip

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
