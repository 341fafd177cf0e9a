"""dependency/missing-crd-order: custom resources applied before their CRDs, the dependsOn fix, and look-alikes."""

from __future__ import annotations

from rule_support import ROOT, findings, resource_set, round_trip, yaml

from ._builders import cluster, deployment, ks, release

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


# -- CRDs a HelmRelease of a well-known chart installs ------------------------------------------------

ISSUER = yaml("""
    apiVersion: cert-manager.io/v1
    kind: ClusterIssuer
    metadata:
      name: letsencrypt
    spec:
      selfSigned: {}
    """)
CRDS_ON = "values:\n  crds:\n    enabled: true\n"


def cert_manager_repo(issuers_extra: str = "", release_extra: str = CRDS_ON, **more: str) -> dict[str, str]:
    """Kustomization ``cert-manager`` applies the cert-manager HelmRelease; ``issuers`` applies a ClusterIssuer."""
    return cluster(ks("cert-manager", "./cert-manager"), ks("issuers", "./issuers", extra=issuers_extra), **{
        "cert-manager/release.yaml": release("cert-manager", "cert-manager", release_extra),
        "issuers/letsencrypt.yaml": ISSUER, **more})


def test_custom_resources_applied_before_the_helm_release_installing_their_crds_are_reported() -> None:
    files = cert_manager_repo()
    [finding] = findings(files, "dependency/missing-crd-order")
    assert finding.object == "Kustomization/flux-system/issuers"
    assert "applies ClusterIssuer (cert-manager.io)" in finding.message
    assert ("HelmRelease/cert-manager/cert-manager (chart cert-manager) installs, but does not depend on "
            "Kustomization/flux-system/cert-manager, which applies that release") in finding.message
    assert "until cert-manager is installed. Add `dependsOn: [{name: cert-manager}]`." in finding.message
    fixed = round_trip(files, "dependency/missing-crd-order")
    assert "  dependsOn: [{name: cert-manager}]\n" in fixed[f"{ROOT}/ks.yaml"]


def test_a_chart_ref_names_the_chart_by_its_oci_repository() -> None:
    oci = yaml("""
        ---
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: OCIRepository
        metadata:
          name: external-secrets
          namespace: security
        spec:
          interval: 1h
          url: oci://ghcr.io/external-secrets/charts/external-secrets
          ref:
            tag: 0.16.1
        ---
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata:
          name: external-secrets
          namespace: security
        spec:
          interval: 1h
          chartRef:
            kind: OCIRepository
            name: external-secrets
        """)
    secret = yaml("""
        apiVersion: external-secrets.io/v1
        kind: ExternalSecret
        metadata:
          name: token
          namespace: apps
        """)
    files = cluster(ks("external-secrets", "./eso"), ks("apps", "./apps"),
                    **{"eso/release.yaml": oci, "apps/secret.yaml": secret})
    [finding] = findings(files, "dependency/missing-crd-order")
    assert "HelmRelease/security/external-secrets (chart external-secrets) installs" in finding.message


def test_helm_release_crd_look_alikes_are_quiet() -> None:
    helmfile = "releases:\n  - name: cert-manager\n    chart: oci://quay.io/jetstack/charts/cert-manager\n"
    script = "kubectl wait --for=condition=Established crd/clusterissuers.cert-manager.io\n"
    other_cluster = {"clusters/prod/ks.yaml": ks("issuers", "./issuers"),
                     "clusters/staging/ks.yaml": ks("cert-manager", "./cert-manager"),
                     "cert-manager/release.yaml": release("cert-manager", "cert-manager", CRDS_ON),
                     "issuers/letsencrypt.yaml": ISSUER}
    cases = {
        "ordered": cert_manager_repo("dependsOn:\n  - name: cert-manager\n"),
        "through a dependency": cluster(
            ks("cert-manager", "./cert-manager"), ks("infra", "./infra", extra="dependsOn:\n  - name: cert-manager\n"),
            ks("issuers", "./issuers", extra="dependsOn:\n  - name: infra\n"), **{
                "cert-manager/release.yaml": release("cert-manager", "cert-manager", CRDS_ON),
                "infra/deploy.yaml": deployment(), "issuers/letsencrypt.yaml": ISSUER}),
        "same Kustomization": cluster(ks("cert-manager", "./cert-manager"), **{
            "cert-manager/release.yaml": release("cert-manager", "cert-manager", CRDS_ON),
            "cert-manager/letsencrypt.yaml": ISSUER}),
        "release in another cluster": other_cluster,
        "chart not in the table": cluster(ks("cert-manager", "./cert-manager"), ks("issuers", "./issuers"), **{
            "cert-manager/release.yaml": release("my-cert-manager", "cert-manager", CRDS_ON),
            "issuers/letsencrypt.yaml": ISSUER}),
        "chart default leaves the CRDs out": cert_manager_repo(release_extra=""),
        "values from elsewhere": cert_manager_repo(
            release_extra="valuesFrom:\n  - kind: ConfigMap\n    name: cert-manager-values\n"),
        "suspended release": cert_manager_repo(release_extra=CRDS_ON + "suspend: true\n"),
        "release and CRD files in two places": cluster(
            ks("cert-manager", "./cert-manager"), ks("crds", "./crds"), ks("issuers", "./issuers"), **{
                "cert-manager/release.yaml": release("cert-manager", "cert-manager", CRDS_ON),
                "crds/issuers.yaml": CRD.replace("example.com", "cert-manager.io").replace("Widget", "ClusterIssuer")
                .replace("widgets", "clusterissuers"), "issuers/letsencrypt.yaml": ISSUER}),
        "a helmfile bootstraps the chart": cert_manager_repo(**{"bootstrap/helmfile.yaml": helmfile}),
        "a bootstrap script applies the CRDs": cert_manager_repo(**{"scripts/bootstrap.sh": script}),
    }
    for label, files in cases.items():
        assert findings(files, "dependency/missing-crd-order") == [], label


def test_install_crds_skip_leaves_out_the_crds_folder_of_a_chart() -> None:
    policy = yaml("""
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: SecurityPolicy
        metadata:
          name: auth
          namespace: apps
        """)

    def envoy(extra: str) -> dict[str, str]:
        return cluster(ks("envoy", "./envoy"), ks("apps", "./apps"), **{
            "envoy/release.yaml": release("gateway-helm", "network", extra), "apps/policy.yaml": policy})

    assert len(findings(envoy(""), "dependency/missing-crd-order")) == 1
    assert findings(envoy("install:\n  crds: Skip\n"), "dependency/missing-crd-order") == []


def test_a_parent_rendering_custom_resources_is_not_told_to_wait_for_its_own_child() -> None:
    parent = cluster(ks("apps", "./apps"), **{
        "apps/child.yaml": ks("crds", "./crds"), "apps/blue.yaml": WIDGET, "crds/widgets.yaml": CRD})
    released = cluster(ks("apps", "./apps"), **{
        "apps/child.yaml": ks("cert-manager", "./cert-manager"), "apps/letsencrypt.yaml": ISSUER,
        "cert-manager/release.yaml": release("cert-manager", "cert-manager", CRDS_ON)})
    assert findings(parent, "dependency/missing-crd-order") == []
    assert findings(released, "dependency/missing-crd-order") == []


def test_crd_files_the_bootstrap_installs_before_flux_need_no_order() -> None:
    files = crd_repo()
    files["bootstrap/helmfile.d/00-crds.yaml"] = "releases:\n  - name: widgets\n    chart: example/widgets\n"
    assert len(findings(files, "dependency/missing-crd-order")) == 1  # not a chart the table knows
    cm = cert_manager_repo(release_extra="")  # the release leaves its CRDs out; files install them
    cm.update({f"{ROOT}/crds.yaml": ks("crds", "./crds"), "crds/issuers.yaml": CRD.replace(
        "example.com", "cert-manager.io").replace("Widget", "ClusterIssuer").replace("widgets", "clusterissuers")})
    assert len(findings(cm, "dependency/missing-crd-order")) == 1
    cm["bootstrap/helmfile.yaml"] = "releases:\n  - name: cert-manager\n    chart: jetstack/cert-manager\n"
    assert findings(cm, "dependency/missing-crd-order") == []


def test_objects_a_resourceset_makes_are_applied_by_flux_operator_not_in_kustomize_order() -> None:
    # flux-operator applies a ResourceSet's Widgets, retrying until their CRD exists: no dependsOn to ask for.
    widgets = resource_set("""
        inputs:
          - name: blue
        resources:
          - apiVersion: example.com/v1
            kind: Widget
            metadata:
              name: << inputs.name >>
              namespace: apps
    """)
    files = cluster(ks("crds", "./crds"), ks("widgets", "./widgets"),
                    **{"crds/widgets.yaml": CRD, "widgets/rset.yaml": widgets})
    assert findings(files, "dependency/missing-crd-order") == []
    # A CRD a ResourceSet makes may be installed whenever flux-operator gets to it: the order is unknowable.
    crds = resource_set("""
        resources:
          - apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata:
              name: widgets.example.com
            spec:
              group: example.com
              names:
                kind: Widget
                plural: widgets
              scope: Namespaced
    """, name="crds")
    files = cluster(ks("operator", "./operator"), ks("widgets", "./widgets"),
                    **{"operator/rset.yaml": crds, "widgets/blue.yaml": WIDGET})
    assert findings(files, "dependency/missing-crd-order") == []
