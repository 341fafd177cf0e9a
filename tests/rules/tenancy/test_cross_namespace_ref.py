"""tenancy/cross-namespace-ref, and when the tenancy rules run at all."""

from __future__ import annotations

from rule_support import analyze_files

from checks.config import Config
from checks.engine import load_config_text

from ._platform import PLATFORM, TENANTS, findings, tenant_file


def test_the_platform_layout_passes_every_tenancy_rule() -> None:
    result = analyze_files(PLATFORM, TENANTS)
    assert [f for f in result.findings if f.rule.startswith("tenancy/")] == []


def test_tenancy_rules_are_off_without_tenants() -> None:
    files = tenant_file("""\
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: web
        spec:
          interval: 10m
          path: ./web
          sourceRef:
            kind: GitRepository
            name: flux-system
            namespace: flux-system
    """)
    result = analyze_files(files, Config())
    assert [f for f in result.findings if f.rule.startswith("tenancy/")] == []


def test_tenants_come_from_the_configuration_file() -> None:
    config = load_config_text(
        "tenants:\n  - name: dev-team\n    paths: [tenants/]\n    namespaces: [apps]\n", ".github/flux-review.yml")
    assert config.tenants[0].owns("tenants/base/dev-team/sync.yaml")


def test_tenant_source_in_another_namespace_is_reported() -> None:
    files = tenant_file("""\
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: web
        spec:
          serviceAccountName: dev-team
          interval: 10m
          path: ./web
          sourceRef:
            kind: GitRepository
            name: platform
            namespace: flux-system
        ---
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata:
          name: redis
        spec:
          serviceAccountName: dev-team
          interval: 15m
          chart:
            spec:
              chart: redis
              sourceRef:
                kind: HelmRepository
                name: bitnami
                namespace: flux-system
        ---
        apiVersion: notification.toolkit.fluxcd.io/v1beta3
        kind: Alert
        metadata:
          name: everything
        spec:
          providerRef:
            name: slack
          eventSources:
            - kind: Kustomization
              name: '*'
              namespace: '*'
    """)
    found = {(f.object, f.key): f for f in findings(files, "tenancy/cross-namespace-ref")}
    assert set(found) == {
        ("Kustomization/apps/web", "spec.sourceRef.namespace"),
        ("HelmRelease/apps/redis", "spec.chart.spec.sourceRef.namespace"),
        ("Alert/apps/everything", "spec.eventSources[0].namespace"),
    }
    web = found[("Kustomization/apps/web", "spec.sourceRef.namespace")]
    assert (web.path, web.line) == ("tenants/base/dev-team/extra.yaml", 12)
    assert "namespace `flux-system`" in web.message and "dev-team" in web.message
    assert "every namespace" in found[("Alert/apps/everything", "spec.eventSources[0].namespace")].message


def test_chart_ref_and_image_repository_in_another_namespace_are_reported() -> None:
    files = tenant_file("""\
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata:
          name: podinfo
        spec:
          serviceAccountName: dev-team
          interval: 15m
          chartRef:
            kind: OCIRepository
            name: podinfo
            namespace: flux-system
        ---
        apiVersion: image.toolkit.fluxcd.io/v1beta2
        kind: ImagePolicy
        metadata:
          name: web
        spec:
          imageRepositoryRef:
            name: web
            namespace: flux-system
          policy:
            semver:
              range: 1.x
    """)
    found = {(f.object, f.key) for f in findings(files, "tenancy/cross-namespace-ref")}
    assert found == {
        ("HelmRelease/apps/podinfo", "spec.chartRef.namespace"),
        ("ImagePolicy/apps/web", "spec.imageRepositoryRef.namespace"),
    }


def test_cross_namespace_look_alikes_are_quiet() -> None:
    files = tenant_file("""\
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: web
        spec:
          serviceAccountName: dev-team
          interval: 10m
          path: ./web
          dependsOn:
            - name: infrastructure
              namespace: flux-system   # dependsOn may cross namespaces
          sourceRef:
            kind: GitRepository
            name: dev-team
            namespace: apps            # its own namespace
    """)
    # The platform's own objects reference flux-system freely: they are not a tenant's.
    infra = files["clusters/prod/tenants.yaml"].replace("name: tenants", "name: infra")
    files["clusters/prod/infra.yaml"] = infra.replace(
        "name: flux-system\n", "name: flux-system\n    namespace: flux-system\n")
    assert findings(files, "tenancy/cross-namespace-ref") == []


def test_a_namespace_left_to_substitution_is_quiet() -> None:
    files = tenant_file("""\
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: web
        spec:
          serviceAccountName: dev-team
          interval: 10m
          path: ./web
          sourceRef:
            kind: GitRepository
            name: dev-team
            namespace: ${TENANT_NAMESPACE}
    """)
    assert findings(files, "tenancy/cross-namespace-ref") == []
    # The same object naming flux-system is reported: the quiet above is the substitution's doing.
    changed = {**files, "tenants/base/dev-team/extra.yaml":
               files["tenants/base/dev-team/extra.yaml"].replace("${TENANT_NAMESPACE}", "flux-system")}
    assert len(findings(changed, "tenancy/cross-namespace-ref")) == 1
