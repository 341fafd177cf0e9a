"""structure/duplicate-key: a mapping that repeats a key, which Go's YAML parser rejects."""

from __future__ import annotations

from rule_support import config_map, kustomization
from rule_support import findings as run

from checks.findings import Severity


def test_a_key_written_twice_in_one_mapping() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization().replace("  interval: 10m\n", "  interval: 10m\n  interval: 1h\n"),
        "apps/cm.yaml": config_map("a", "A: b\n"),
    }
    [finding] = run(files, "structure/duplicate-key")
    assert (finding.path, finding.line, finding.severity) == ("clusters/prod/apps.yaml", 8, Severity.ERROR)
    assert "`interval` appears twice" in finding.message


def test_the_same_key_in_different_mappings_and_documents_is_quiet() -> None:
    """`name` in metadata and in data, and the same keys in two documents of one file."""
    files = {
        "clusters/prod/apps.yaml": kustomization(),
        "apps/cm.yaml": config_map("a", "name: b\n") + "---\n" + config_map("b", "name: c\n"),
    }
    assert run(files, "structure/duplicate-key") == []
