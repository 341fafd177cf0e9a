"""tenancy/remote-base: remote kustomize bases and resources in a tenant's paths."""

from __future__ import annotations

from ._platform import PLATFORM, findings


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
