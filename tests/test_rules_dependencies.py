"""The dependency rules on small repositories: failing cases, look-alikes, fix round trips, reviews."""

from __future__ import annotations

from rule_support import ROOT, config_map, findings, helm_release, kustomization, round_trip, yaml


def ks(name: str, path: str, namespace: str = "flux-system", extra: str = "") -> str:
    """A Flux Kustomization of this repository, as its own document; ``extra`` is more of its spec."""
    return "---\n" + kustomization(name, path, extra, namespace, source_namespace="flux-system")


def release(name: str, namespace: str = "apps", extra: str = "") -> str:
    """A HelmRelease of the chart ``name`` from flux-system/charts, as its own document."""
    return "---\n" + helm_release(name, namespace, extra, version="1.0.0", source_namespace="flux-system")


def deployment(name: str = "controller", namespace: str = "infra") -> str:
    return yaml(f"""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {name}
          namespace: {namespace}
        spec:
          template:
            spec:
              containers:
                - name: main
                  image: example/{name}:1.0
        """)


def cluster(*kustomizations: str, **folders: str) -> dict[str, str]:
    """clusters/prod/ks.yaml holds the Kustomizations; ``folders`` maps a file path to its text."""
    files = {f"{ROOT}/ks.yaml": "".join(kustomizations)}
    files.update(folders)
    return files


def base_files() -> dict[str, str]:
    return {"infra/deploy.yaml": deployment(), "apps/settings.yaml": config_map("settings", namespace="apps")}


# -- dependency/missing-target -----------------------------------------------------------------------

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


# -- dependency/kind-mismatch ------------------------------------------------------------------------

def test_kustomization_depending_on_a_helm_release_name_is_a_kind_mismatch() -> None:
    files = cluster(ks("apps", "./apps", extra="dependsOn:\n  - name: podinfo\n    namespace: apps\n"),
                    ks("releases", "./releases"),
                    **base_files(), **{"releases/podinfo.yaml": release("podinfo")})
    [finding] = findings(files, "dependency/kind-mismatch")
    assert "which is a HelmRelease (HelmRelease/apps/podinfo)" in finding.message
    assert "flux-system/releases" in finding.message
    assert findings(files, "dependency/missing-target") == []


def test_helm_release_depending_on_a_kustomization_name_is_a_kind_mismatch() -> None:
    releases = release("podinfo", namespace="flux-system",
                            extra="dependsOn:\n  - name: infra\n")
    files = cluster(ks("infra", "./infra"), ks("releases", "./releases"),
                    **base_files(), **{"releases/podinfo.yaml": releases})
    [finding] = findings(files, "dependency/kind-mismatch")
    assert finding.message.startswith("HelmRelease/flux-system/podinfo depends on `infra`, which is a Kustomization")


def test_same_kind_dependencies_are_not_a_mismatch() -> None:
    releases = release("redis") + release("app", extra="dependsOn:\n  - name: redis\n")
    files = cluster(ks("releases", "./releases"), **base_files(), **{"releases/all.yaml": releases})
    assert findings(files, "dependency/kind-mismatch") == []
    assert findings(files, "dependency/missing-target") == []


# -- dependency/cycle --------------------------------------------------------------------------------

def test_cycle_is_reported_on_every_member_with_the_whole_loop() -> None:
    files = cluster(ks("monitoring", "./apps", extra="dependsOn:\n  - name: databases\n"),
                    ks("databases", "./infra", extra="dependsOn:\n  - name: monitoring\n"), **base_files())
    found = findings(files, "dependency/cycle")
    assert {f.object for f in found} == {"Kustomization/flux-system/monitoring", "Kustomization/flux-system/databases"}
    monitoring = next(f for f in found if f.object.endswith("/monitoring"))
    assert monitoring.message.startswith(
        "Kustomization/flux-system/monitoring -> databases -> monitoring: a dependsOn cycle")
    assert monitoring.line == 16
    assert len({f.key for f in found}) == 1


def test_self_dependency_is_a_cycle() -> None:
    files = cluster(ks("apps", "./apps", extra="dependsOn:\n  - name: apps\n"), **base_files())
    [finding] = findings(files, "dependency/cycle")
    assert "depends on itself" in finding.message


def test_a_chain_is_not_a_cycle() -> None:
    files = cluster(ks("infra", "./infra"), ks("db", "./infra", extra="dependsOn:\n  - name: infra\n"),
                    ks("apps", "./apps", extra="dependsOn:\n  - name: db\n  - name: infra\n"), **base_files())
    assert findings(files, "dependency/cycle") == []


# -- dependency/not-ready-gate -----------------------------------------------------------------------

def test_dependency_without_wait_is_reported_once_on_the_dependency_with_a_wait_fix() -> None:
    files = cluster(ks("infra", "./infra"),
                    ks("apps", "./apps", extra="dependsOn:\n  - name: infra\n"),
                    ks("jobs", "./apps", namespace="flux-system", extra="dependsOn:\n  - name: infra\n"),
                    **base_files())
    [finding] = findings(files, "dependency/not-ready-gate")
    assert finding.object == "Kustomization/flux-system/infra"
    assert "dependsOn of apps, jobs" in finding.message
    fixed = round_trip(files, "dependency/not-ready-gate")
    assert "spec:\n  wait: true\n  interval: 10m\n" in fixed[f"{ROOT}/ks.yaml"]


def test_explicit_wait_false_is_turned_on() -> None:
    files = cluster(ks("infra", "./infra", extra="wait: false\n"),
                    ks("apps", "./apps", extra="dependsOn:\n  - name: infra\n"), **base_files())
    fixed = round_trip(files, "dependency/not-ready-gate")
    assert "  wait: true\n" in fixed[f"{ROOT}/ks.yaml"]


def test_gates_that_mean_ready_are_quiet() -> None:
    health = ("healthChecks:\n  - apiVersion: apps/v1\n    kind: Deployment\n"
              "    name: controller\n    namespace: infra\n")
    patched_parent = ks("infra", "./infra-parent", extra=yaml("""
        patches:
          - patch: |
              - op: add
                path: /spec/wait
                value: true
            target:
              kind: Kustomization
        """))
    cases = {
        "wait": cluster(ks("infra", "./infra", extra="wait: true\n"),
                        ks("apps", "./apps", extra="dependsOn:\n  - name: infra\n"), **base_files()),
        "healthChecks": cluster(ks("infra", "./infra", extra=health),
                                ks("apps", "./apps", extra="dependsOn:\n  - name: infra\n"), **base_files()),
        "readyExpr": cluster(ks("infra", "./infra"), ks("apps", "./apps", extra=(
            "dependsOn:\n  - name: infra\n    readyExpr: dep.status.conditions.all(c, c.status == 'True')\n")),
            **base_files()),
        "only config": cluster(ks("settings", "./apps"),
                               ks("apps", "./apps", extra="dependsOn:\n  - name: settings\n"), **base_files()),
        "wait from a parent patch": cluster(
            patched_parent, ks("apps", "./apps", extra="dependsOn:\n  - name: child\n"),
            **base_files(), **{"infra-parent/child.yaml": ks("child", "./infra")}),
    }
    for label, files in cases.items():
        assert findings(files, "dependency/not-ready-gate") == [], label


def test_helm_release_dependencies_are_not_readiness_gates() -> None:
    releases = release("redis") + release("app", extra="dependsOn:\n  - name: redis\n")
    files = cluster(ks("releases", "./releases"), **base_files(), **{"releases/all.yaml": releases})
    assert findings(files, "dependency/not-ready-gate") == []


# -- dependency/missing-crd-order --------------------------------------------------------------------

CRD = yaml("""
    apiVersion: apiextensions.k8s.io/v1
    kind: CustomResourceDefinition
    metadata:
      name: widgets.example.com
    spec:
      group: example.com
      names:
        kind: Widget
        plural: widgets
      scope: Namespaced
    """)
WIDGET = yaml("""
    apiVersion: example.com/v1
    kind: Widget
    metadata:
      name: blue
      namespace: apps
    """)


def crd_repo(consumer_extra: str = "", provider: str = "crds") -> dict[str, str]:
    return cluster(ks(provider, "./crds"), ks("widgets", "./widgets", extra=consumer_extra),
                   **{"crds/widgets.yaml": CRD, "widgets/blue.yaml": WIDGET})


def test_custom_resources_applied_before_their_crds_are_reported_with_a_depends_on_fix() -> None:
    files = crd_repo()
    [finding] = findings(files, "dependency/missing-crd-order")
    assert finding.object == "Kustomization/flux-system/widgets"
    assert "applies Widget (example.com)" in finding.message
    assert "Kustomization/flux-system/crds installs" in finding.message
    fixed = round_trip(files, "dependency/missing-crd-order")
    assert "  dependsOn: [{name: crds}]\n" in fixed[f"{ROOT}/ks.yaml"]


def test_crd_order_fix_adds_an_entry_to_an_existing_depends_on() -> None:
    files = cluster(ks("crds", "./crds"), ks("infra", "./infra"),
                    ks("widgets", "./widgets", extra="dependsOn:\n  - name: infra\n"),
                    **{"crds/widgets.yaml": CRD, "widgets/blue.yaml": WIDGET, "infra/deploy.yaml": deployment()})
    fixed = round_trip(files, "dependency/missing-crd-order")
    assert "  dependsOn:\n    - name: crds\n    - name: infra\n" in fixed[f"{ROOT}/ks.yaml"]


def test_crd_order_look_alikes_are_quiet() -> None:
    ordered = crd_repo(consumer_extra="dependsOn:\n  - name: crds\n")
    through_a_dependency = cluster(
        ks("crds", "./crds"), ks("infra", "./infra", extra="dependsOn:\n  - name: crds\n"),
        ks("widgets", "./widgets", extra="dependsOn:\n  - name: infra\n"),
        **{"crds/widgets.yaml": CRD, "widgets/blue.yaml": WIDGET, "infra/deploy.yaml": deployment()})
    same_kustomization = cluster(ks("crds", "./crds"), **{"crds/widgets.yaml": CRD, "crds/blue.yaml": WIDGET})
    child_of_provider = cluster(ks("crds", "./crds"), **{
        "crds/widgets.yaml": CRD, "crds/child.yaml": ks("widgets", "./widgets"), "widgets/blue.yaml": WIDGET})
    unknown_provider = cluster(ks("widgets", "./widgets"), **{"widgets/blue.yaml": WIDGET})
    two_providers = cluster(ks("crds", "./crds"), ks("more-crds", "./more"), ks("widgets", "./widgets"), **{
        "crds/widgets.yaml": CRD, "more/widgets.yaml": CRD, "widgets/blue.yaml": WIDGET})
    cases = {"ordered": ordered, "through a dependency": through_a_dependency,
             "same Kustomization": same_kustomization, "child of the provider": child_of_provider,
             "unknown provider": unknown_provider, "two providers": two_providers}
    for label, files in cases.items():
        assert findings(files, "dependency/missing-crd-order") == [], label


# -- dependency/deleted-target -----------------------------------------------------------------------

def test_renamed_dependency_is_reported_on_the_untouched_dependent() -> None:
    base = cluster(ks("infra", "./infra"), **base_files(),
                   **{f"{ROOT}/apps.yaml": ks("apps", "./apps", extra="dependsOn:\n  - name: infra\n")})
    head = {**base, f"{ROOT}/ks.yaml": ks("infra-controllers", "./infra")}
    [finding] = findings(head, "dependency/deleted-target", base=base)
    assert finding.path == f"{ROOT}/apps.yaml"
    assert finding.object == "Kustomization/flux-system/apps"
    assert "renames to Kustomization/flux-system/infra-controllers" in finding.message
    # The review names the cause once: missing-target leaves it to deleted-target.
    assert findings(head, "dependency/missing-target", base=base) == []


def test_deleting_an_earlier_document_is_not_called_a_rename() -> None:
    # `b` moves up to document 0 when `a` above it is deleted: that is a deletion of `a`.
    together = ks("a", "./infra") + "---\n" + ks("b", "./apps", extra="dependsOn:\n  - name: a\n")
    base = cluster(**base_files(), **{f"{ROOT}/pair.yaml": together})
    head = {**base, f"{ROOT}/pair.yaml": ks("b", "./apps", extra="dependsOn:\n  - name: a\n")}
    [finding] = findings(head, "dependency/deleted-target", base=base)
    assert "which this change deletes" in finding.message
    assert "renames" not in finding.message


def test_deleted_helm_repository_is_reported_on_the_helm_release() -> None:
    repository = yaml("""
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: HelmRepository
        metadata:
          name: charts
          namespace: flux-system
        spec:
          interval: 30m
          url: https://charts.example.com
        """)
    base = cluster(ks("releases", "./releases"), **base_files(), **{
        "releases/podinfo.yaml": release("podinfo"), f"{ROOT}/charts.yaml": repository})
    head = {k: v for k, v in base.items() if k != f"{ROOT}/charts.yaml"}
    [finding] = findings(head, "dependency/deleted-target", base=base)
    assert finding.path == "releases/podinfo.yaml" and finding.line == 15
    assert "HelmRepository/flux-system/charts (`chart.spec.sourceRef`), which this change deletes" in finding.message


def test_deleted_target_is_quiet_when_references_follow_or_without_a_base() -> None:
    base = cluster(ks("infra", "./infra"), ks("apps", "./apps", extra="dependsOn:\n  - name: infra\n"),
                   **base_files())
    head = cluster(ks("platform", "./infra"), ks("apps", "./apps", extra="dependsOn:\n  - name: platform\n"),
                   **base_files())
    assert findings(head, "dependency/deleted-target", base=base) == []
    broken = cluster(ks("platform", "./infra"), ks("apps", "./apps", extra="dependsOn:\n  - name: infra\n"),
                     **base_files())
    assert findings(broken, "dependency/deleted-target") == []
    assert len(findings(broken, "dependency/missing-target")) == 1
