"""structure/unrendered-file: files of Flux objects nothing renders."""

from __future__ import annotations

from rule_support import findings as run
from rule_support import helm_release, kustomization

from checks.findings import Severity


def test_file_no_kustomization_renders() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(),
        "apps/kustomization.yaml": "resources:\n  - ./podinfo\n  # - ./grafana\n",
        "apps/podinfo/kustomization.yaml": "resources:\n  - release.yaml\n",
        "apps/podinfo/release.yaml": helm_release("podinfo"),
        "apps/grafana/kustomization.yaml": "resources:\n  - release.yaml\n",
        "apps/grafana/release.yaml": helm_release("grafana"),
    }
    [finding] = run(files, "structure/unrendered-file")
    assert finding.path == "apps/grafana/release.yaml" and finding.severity == Severity.INFO
    assert "HelmRelease/default/grafana" in finding.message


def test_a_file_of_several_unrendered_objects_reads_in_the_plural() -> None:
    files = {"clusters/prod/apps.yaml": kustomization(), "apps/podinfo.yaml": helm_release("podinfo"),
             "infra/releases.yaml": helm_release("grafana") + "---\n" + helm_release("loki")}
    [finding] = run(files, "structure/unrendered-file")
    assert finding.message.startswith("HelmRelease/default/grafana and 1 more Flux object in this file are rendered "
                                      "by no Kustomization of any cluster, so Flux never applies them.")
    files["infra/releases.yaml"] = helm_release("grafana")
    [finding] = run(files, "structure/unrendered-file")
    assert "grafana in this file is rendered by no Kustomization of any cluster, so Flux never applies it." \
        in finding.message


def test_unrendered_look_alikes() -> None:
    """Docs and examples, ignored folders, external sources, and repositories without clusters."""
    files = {
        "clusters/prod/apps.yaml": kustomization(),
        "clusters/prod/tenant.yaml": kustomization("tenant", "./tenants/team-a").replace(
            "name: flux-system", "name: tenant-repo"),
        "apps/podinfo.yaml": helm_release("podinfo"),
        "docs/example.yaml": helm_release("example"),
        "archive/old.yaml": helm_release("old"),
        "tenants/team-a/release.yaml": helm_release("team-a"),
        "hidden/release.yaml": helm_release("hidden"),
        ".sourceignore": "hidden/\n",
    }
    assert run(files, "structure/unrendered-file") == []
    assert run({"apps/podinfo.yaml": helm_release("podinfo")}, "structure/unrendered-file") == []
