"""tenancy/no-service-account: tenant Kustomizations and HelmReleases that would run as the controller."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml
from rule_support import analyze_files, apply_fix, round_trip

from ._platform import TENANTS, findings, tenant_file

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


def test_tenant_helm_release_fix_round_trip() -> None:
    files = tenant_file("""\
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata:
          name: redis
        spec:
          interval: 15m
          chart:
            spec:
              chart: redis
              sourceRef:
                kind: HelmRepository
                name: bitnami
    """)
    fixed = round_trip(files, "tenancy/no-service-account", TENANTS)
    spec = yaml.safe_load(fixed["tenants/base/dev-team/extra.yaml"])["spec"]
    assert spec["serviceAccountName"] == "dev-team" and spec["chart"]["spec"]["chart"] == "redis"


def test_a_flow_mapping_spec_is_reported_without_a_fix() -> None:
    files = tenant_file("""\
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: web
        spec: {interval: 10m, path: ./web, sourceRef: {kind: GitRepository, name: dev-team}}
    """)
    [finding] = findings(files, "tenancy/no-service-account")
    assert finding.object == "Kustomization/apps/web"
    assert finding.fix is None


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


# -- the real multi-tenancy layout (fluxcd/flux2-multi-tenancy), when the corpora are present --------

# tests/rules/tenancy/ -> the checkout -> the folder beside it that holds shared/corpora
MULTI_TENANCY = Path(__file__).resolve().parents[4] / "shared" / "corpora" / "fluxcd__flux2-multi-tenancy"


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
