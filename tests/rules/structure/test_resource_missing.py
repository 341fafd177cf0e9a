"""structure/resource-missing: kustomization.yaml entries that point at nothing."""

from __future__ import annotations

from rule_support import config_map, kustomization
from rule_support import findings as run

from checks.findings import Severity


def test_a_resource_that_does_not_exist() -> None:
    """The documented failing example: a typo in a resource name."""
    files = {
        "clusters/prod/apps.yaml": kustomization(),
        "apps/kustomization.yaml": "resources:\n  - deployment.yaml\n  - servce.yaml\n",
        "apps/deployment.yaml": config_map("a", "A: b\n"),
        "apps/service.yaml": config_map("b", "A: b\n"),
    }
    [finding] = run(files, "structure/resource-missing")
    assert (finding.path, finding.line, finding.severity) == ("apps/kustomization.yaml", 3, Severity.ERROR)
    assert "`servce.yaml`" in finding.message


def test_a_component_that_does_not_exist() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(),
        "apps/kustomization.yaml": "resources:\n  - deployment.yaml\ncomponents:\n  - ../components/gone\n",
        "apps/deployment.yaml": config_map("a", "A: b\n"),
    }
    [finding] = run(files, "structure/resource-missing")
    assert finding.path == "apps/kustomization.yaml" and finding.line == 4


def test_existing_and_remote_resources_are_quiet() -> None:
    """Files and components that exist, and remote bases (not fetched, not checked)."""
    files = {
        "clusters/prod/apps.yaml": kustomization(),
        "apps/kustomization.yaml": """\
            resources:
              - deployment.yaml
              - https://github.com/org/repo//deploy?ref=v1
              - github.com/org/repo/base?ref=v1
            components:
              - ../components/extra
            """,
        "apps/deployment.yaml": config_map("a", "A: b\n"),
        "components/extra/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n",
    }
    assert run(files, "structure/resource-missing") == []
