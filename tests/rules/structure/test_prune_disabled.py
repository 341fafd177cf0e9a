"""structure/prune-disabled: `prune: false` on a Kustomization, and its fix."""

from __future__ import annotations

from rule_support import apply_fix, config_map, helm_release, kustomization, round_trip
from rule_support import findings as run


def test_prune_disabled_is_fixed() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization().replace("prune: true", "prune: false"),
        "apps/cm.yaml": config_map("a", "A: b\n"),
    }
    [finding] = run(files, "structure/prune-disabled")
    assert finding.fix is not None and finding.fix.replacement == "  prune: true\n"
    assert run(apply_fix(files, finding.fix), "structure/prune-disabled") == []


def test_prune_disabled_round_trip_whatever_the_spelling() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization().replace("prune: true", "prune: False"),
        "apps/cm.yaml": config_map("a", "A: b\n"),
    }
    fixed = round_trip(files, "structure/prune-disabled")
    assert "  prune: true\n" in fixed["clusters/prod/apps.yaml"]


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


NAMESPACE = """\
    apiVersion: v1
    kind: Namespace
    metadata:
      name: {name}
    """

DEPLOYMENT = """\
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: podinfo
      namespace: podinfo
    spec:
      template:
        spec:
          containers:
            - name: podinfo
              image: ghcr.io/stefanprodan/podinfo:6.5.0
    """


def _pruneless(name: str, path: str) -> str:
    return kustomization(name, path).replace("prune: true", "prune: false")


def test_an_application_rendered_with_its_namespace_is_reported() -> None:
    # Its Deployment removed from Git would stay: a Namespace beside it is no reason to keep everything.
    files = {
        "clusters/prod/podinfo.yaml": _pruneless("podinfo", "./apps/podinfo"),
        "apps/podinfo/namespace.yaml": NAMESPACE.format(name="podinfo"),
        "apps/podinfo/deployment.yaml": DEPLOYMENT,
    }
    [finding] = run(files, "structure/prune-disabled")
    assert finding.object == "Kustomization/flux-system/podinfo"
    assert "`kustomize.toolkit.fluxcd.io/prune: disabled`" in finding.message
    fixed = round_trip(files, "structure/prune-disabled")
    assert "  prune: true\n" in fixed["clusters/prod/podinfo.yaml"]


def test_a_kustomization_of_only_namespaces_or_with_crds_stays_quiet() -> None:
    quota = """\
        apiVersion: v1
        kind: ResourceQuota
        metadata:
          name: team-a
          namespace: team-a
        spec:
          hard:
            pods: "20"
        """
    crd = """\
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: widgets.example.com
        """
    files = {
        "clusters/prod/namespaces.yaml": _pruneless("namespaces", "./namespaces"),
        "namespaces/a.yaml": NAMESPACE.format(name="team-a"),
        "namespaces/b.yaml": NAMESPACE.format(name="team-b"),
        "namespaces/quota.yaml": quota,
        # CRDs with the controller and its Namespace: pruning a CRD deletes its custom resources.
        "clusters/prod/operator.yaml": _pruneless("operator", "./operator"),
        "operator/namespace.yaml": NAMESPACE.format(name="podinfo"),
        "operator/crd.yaml": crd,
        "operator/deployment.yaml": DEPLOYMENT,
        # A Namespace and a remote base that is not fetched: what the base holds may cascade.
        "clusters/prod/remote.yaml": _pruneless("remote", "./remote"),
        "remote/kustomization.yaml": """\
            apiVersion: kustomize.config.k8s.io/v1beta1
            kind: Kustomization
            resources:
              - namespace.yaml
              - https://github.com/example/operator//config/default?ref=v1.0.0
            """,
        "remote/namespace.yaml": NAMESPACE.format(name="operator-system"),
    }
    assert run(files, "structure/prune-disabled") == []


def test_a_remote_bundle_beside_local_objects_is_given_the_benefit_of_the_doubt() -> None:
    # Gateway API's standard-install.yaml holds CRDs, but the model does not fetch it.
    files = {
        "clusters/prod/apps.yaml": kustomization(path="./gateway-api", extra="prune: false\n"),
        "gateway-api/kustomization.yaml": (
            "resources:\n  - https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.1/"
            "standard-install.yaml\n  - rbac.yaml\n"),
        "gateway-api/rbac.yaml": "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: gw\n  namespace: default\n",
    }
    assert run(files, "structure/prune-disabled") == []


def test_a_helm_release_whose_chart_templates_crds_stays_quiet_but_crds_folder_charts_do_not() -> None:
    # Pruning the HelmRelease uninstalls it; Helm deletes the CRDs its templates made (cert-manager),
    # but keeps those of a chart's crds/ folder (Envoy Gateway's gateway-helm), so only the first cascades.
    files = {
        "clusters/prod/cert-manager.yaml": _pruneless("cert-manager", "./cert-manager"),
        "cert-manager/release.yaml": helm_release("cert-manager", "cert-manager",
                                                  "values:\n  crds:\n    enabled: true\n"),
        "clusters/prod/monitoring.yaml": _pruneless("monitoring", "./monitoring"),
        "monitoring/release.yaml": helm_release("gateway-helm", "monitoring"),
    }
    [finding] = run(files, "structure/prune-disabled")
    assert finding.object == "Kustomization/flux-system/monitoring"
    # cert-manager with its CRDs switched off is an application like any other.
    files["cert-manager/release.yaml"] = helm_release("cert-manager", "cert-manager")
    assert {f.object for f in run(files, "structure/prune-disabled")} == {
        "Kustomization/flux-system/monitoring", "Kustomization/flux-system/cert-manager"}
