"""structure/non-manifest-yaml: YAML that is not an object, in a folder Flux renders without a kustomization.yaml."""

from __future__ import annotations

from rule_support import config_map, kustomization
from rule_support import findings as run


def test_values_file_in_a_generated_folder_fails_the_build() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(),
        "apps/podinfo/release.yaml": config_map("podinfo", "A: b\n"),
        "apps/podinfo/values.yaml": "replicaCount: 2\n",
    }
    [finding] = run(files, "structure/non-manifest-yaml")
    assert finding.path == "apps/podinfo/values.yaml"
    assert "`apps/`" in finding.message and "Kustomization/flux-system/apps" in finding.message


def test_ignored_or_listed_files_are_not_non_manifests() -> None:
    base = {
        "clusters/prod/apps.yaml": kustomization(),
        "apps/podinfo/release.yaml": config_map("podinfo", "A: b\n"),
        "apps/podinfo/values.yaml": "replicaCount: 2\n",
    }
    assert run({**base, ".sourceignore": "values.yaml\n"}, "structure/non-manifest-yaml") == []
    listed = {**base, "apps/podinfo/kustomization.yaml": "resources:\n  - release.yaml\n"}
    assert run(listed, "structure/non-manifest-yaml") == []
    assert run({**base, "apps/podinfo/values.yaml": "# only a comment\n"}, "structure/non-manifest-yaml") == []
