"""tenancy rules on a small platform repository with one tenant (dev-team in namespace apps)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml
from rule_support import analyze_files, apply_fix, of

from checks.config import Config, Tenant
from checks.engine import load_config_text
from checks.findings import Finding

TENANTS = Config(tenants=(Tenant("dev-team", ("tenants/",), ("apps",), "dev-team"),))

PLATFORM = {
    "clusters/prod/tenants.yaml": """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: tenants
  namespace: flux-system
spec:
  interval: 10m
  serviceAccountName: kustomize-controller
  path: ./tenants/prod
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
""",
    "tenants/prod/kustomization.yaml": """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: apps
resources:
  - ../base/dev-team
""",
    "tenants/base/dev-team/kustomization.yaml": """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: apps
resources:
  - rbac.yaml
  - sync.yaml
""",
    "tenants/base/dev-team/rbac.yaml": """\
apiVersion: v1
kind: Namespace
metadata:
  name: apps
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: dev-team
  namespace: apps
""",
    "tenants/base/dev-team/sync.yaml": """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: dev-team
  namespace: apps
spec:
  interval: 1m
  url: https://example.com/dev-team.git
  ref:
    branch: main
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: dev-team
  namespace: apps
spec:
  serviceAccountName: dev-team
  interval: 5m
  path: ./
  prune: true
  sourceRef:
    kind: GitRepository
    name: dev-team
""",
}


def tenant_file(text: str) -> dict[str, str]:
    """The platform repository with ``extra.yaml`` added to the dev-team base and its kustomization."""
    files = dict(PLATFORM)
    files["tenants/base/dev-team/extra.yaml"] = textwrap.dedent(text)
    files["tenants/base/dev-team/kustomization.yaml"] += "  - extra.yaml\n"
    return files


def findings(files: dict[str, str], rule: str) -> list[Finding]:
    """The findings of one rule, dev-team being the tenant."""
    return of(analyze_files(files, TENANTS), rule)


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


# -- tenancy/cross-namespace-ref ------------------------------------------------------

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


# -- tenancy/no-service-account ------------------------------------------------------------

NO_ACCOUNT = """\
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    metadata:
      name: web
    spec:
      interval: 10m  # every ten minutes
      path: ./web
      sourceRef:
        kind: GitRepository
        name: dev-team
"""


def test_tenant_kustomization_without_service_account_is_reported_and_fixed() -> None:
    files = tenant_file(NO_ACCOUNT)
    [finding] = findings(files, "tenancy/no-service-account")
    assert (finding.path, finding.line, finding.object) == ("tenants/base/dev-team/extra.yaml", 5,
                                                            "Kustomization/apps/web")
    assert "`serviceAccountName: dev-team`" in finding.message
    assert finding.fix is not None
    assert finding.fix.replacement == "spec:\n  serviceAccountName: dev-team\n"
    fixed = apply_fix(files, finding)
    assert findings(fixed, "tenancy/no-service-account") == []
    assert yaml.safe_load(fixed["tenants/base/dev-team/extra.yaml"])["spec"]["interval"] == "10m"


def test_service_account_set_by_a_parent_patch_counts() -> None:
    files = tenant_file(NO_ACCOUNT)
    files["clusters/prod/tenants.yaml"] += (
        "  patches:\n"
        "    - target:\n"
        "        kind: Kustomization\n"
        "      patch: |\n"
        "        - op: add\n"
        "          path: /spec/serviceAccountName\n"
        "          value: dev-team\n"
    )
    assert "patches" in yaml.safe_load(files["clusters/prod/tenants.yaml"])["spec"]
    assert findings(files, "tenancy/no-service-account") == []


def test_no_service_account_look_alikes_are_quiet() -> None:
    files = tenant_file("""\
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: remote-cluster
        spec:
          interval: 10m
          path: ./web
          kubeConfig:
            secretRef:
              name: edge-kubeconfig
          sourceRef:
            kind: GitRepository
            name: dev-team
    """)
    # The platform's own Kustomizations outside tenant paths are not a tenant's.
    files["clusters/prod/infra.yaml"] = NO_ACCOUNT.replace("name: web", "name: infra")
    assert findings(files, "tenancy/no-service-account") == []


def test_default_service_account_flag_silences_the_rule() -> None:
    files = tenant_file(NO_ACCOUNT)
    files["clusters/prod/flux-system/kustomization.yaml"] = textwrap.dedent("""\
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources: []
        patches:
          - patch: |
              - op: add
                path: /spec/template/spec/containers/0/args/-
                value: --default-service-account=default
            target:
              kind: Deployment
              name: "(kustomize-controller|helm-controller)"
    """)
    assert findings(files, "tenancy/no-service-account") == []


# -- tenancy/remote-base ------------------------------------------------------------------------

def test_remote_base_in_a_tenant_path_is_reported_on_its_line() -> None:
    files = dict(PLATFORM)
    files["tenants/base/dev-team/kustomization.yaml"] += "  - github.com/stefanprodan/podinfo//kustomize?ref=6.5.0\n"
    [finding] = findings(files, "tenancy/remote-base")
    assert (finding.path, finding.line) == ("tenants/base/dev-team/kustomization.yaml", 7)
    assert "github.com/stefanprodan/podinfo//kustomize?ref=6.5.0" in finding.message


def test_remote_base_in_an_unrendered_tenant_kustomization_is_reported() -> None:
    files = dict(PLATFORM)
    files["tenants/staging/kustomization.yaml"] = (
        "resources:\n  - ../base/dev-team\n  - https://example.com/extra.yaml\n")
    [finding] = findings(files, "tenancy/remote-base")
    assert (finding.path, finding.line) == ("tenants/staging/kustomization.yaml", 3)


def test_remote_base_look_alikes_are_quiet() -> None:
    files = dict(PLATFORM)
    # The platform may use remote bases; a tenant's local folder is fine.
    files["infrastructure/kustomization.yaml"] = "resources:\n  - github.com/kyverno/kyverno//config?ref=v1\n"
    files["tenants/base/dev-team/kustomization.yaml"] += "  - ./apps\n"
    files["tenants/base/dev-team/apps/kustomization.yaml"] = "resources: []\n"
    assert findings(files, "tenancy/remote-base") == []


# -- the real multi-tenancy layout (fluxcd/flux2-multi-tenancy), when the corpora are present --------

MULTI_TENANCY = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "fluxcd__flux2-multi-tenancy"


def corpus_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.corpora
@pytest.mark.skipif(not MULTI_TENANCY.is_dir(), reason="corpora not present")
def test_flux2_multi_tenancy_passes_and_catches_edits_to_its_tenant() -> None:
    files = corpus_files(MULTI_TENANCY)
    clean = analyze_files(files, TENANTS)
    assert [f for f in clean.findings if f.rule.startswith("tenancy/")] == []

    sync = files["tenants/base/dev-team/sync.yaml"].decode()
    edited = sync.replace("  serviceAccountName: dev-team\n", "").replace(
        "    name: dev-team\n  prune", "    name: flux-system\n    namespace: flux-system\n  prune")
    files["tenants/base/dev-team/sync.yaml"] = edited.encode()
    files["tenants/base/dev-team/kustomization.yaml"] += b"  - github.com/example/policies//base?ref=v1\n"
    result = analyze_files(files, TENANTS)
    rules = sorted(f.rule for f in result.findings if f.rule.startswith("tenancy/"))
    # Rendered in staging and production, each problem is reported once. No service-account
    # finding: the repository patches `--default-service-account=default` into the controllers.
    assert rules == ["tenancy/cross-namespace-ref", "tenancy/remote-base"]
