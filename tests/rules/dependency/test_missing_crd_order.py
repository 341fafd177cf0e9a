"""dependency/missing-crd-order: custom resources applied before their CRDs, the dependsOn fix, and look-alikes."""

from __future__ import annotations

from rule_support import ROOT, findings, round_trip, yaml

from ._builders import cluster, deployment, ks

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
    """Kustomization ``provider`` installs the Widget CRD from ./crds; ``widgets`` applies a Widget from ./widgets."""
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


def test_crd_order_fix_names_a_provider_in_another_namespace_with_its_namespace() -> None:
    files = cluster(ks("crds", "./crds", namespace="platform"), ks("widgets", "./widgets"),
                    **{"crds/widgets.yaml": CRD, "widgets/blue.yaml": WIDGET})
    [finding] = findings(files, "dependency/missing-crd-order")
    assert "Add `dependsOn: [{name: platform/crds}]`" in finding.message
    fixed = round_trip(files, "dependency/missing-crd-order")
    assert "  dependsOn: [{name: crds, namespace: platform}]\n" in fixed[f"{ROOT}/ks.yaml"]


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
