"""structure/file-too-large: YAML files above `limits.max_file_bytes`, which are not read."""

from __future__ import annotations

from rule_support import config_map, kustomization
from rule_support import findings as run

from checks.config import Config
from checks.findings import Severity

LARGE = config_map("large", "A: " + "x" * 2000 + "\n")


def test_a_yaml_file_above_the_limit_is_reported_and_not_checked() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(),
        "apps/large.yaml": LARGE + "  B: [\n",  # broken, but never read
    }
    config = Config(max_file_bytes=1000)
    [finding] = run(files, "structure/file-too-large", config)
    assert (finding.path, finding.line, finding.severity) == ("apps/large.yaml", 1, Severity.INFO)
    assert "1,000-byte limit" in finding.message
    assert run(files, "structure/yaml-invalid", config) == []


def test_files_under_the_limit_and_large_non_yaml_files_are_quiet() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(),
        "apps/large.yaml": LARGE,
        "apps/large.txt": "x" * 5000,
    }
    assert run(files, "structure/file-too-large") == []
    assert run({**files, "apps/large.yaml": config_map("small", "A: b\n")}, "structure/file-too-large",
               Config(max_file_bytes=1000)) == []
