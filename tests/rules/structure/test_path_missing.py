"""structure/path-missing: a Kustomization path that is not a folder, and its fix."""

from __future__ import annotations

from rule_support import apply_fix, config_map, kustomization, round_trip
from rule_support import findings as run


def test_path_missing_fix_offers_the_folder_one_typo_away() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(path="./apps/stagign  # the staging apps"),
        "apps/staging/cm.yaml": config_map("a", "A: b\n"),
    }
    [finding] = run(files, "structure/path-missing")
    assert finding.fix is not None
    assert finding.fix.replacement == "  path: ./apps/staging  # the staging apps\n"
    assert run(apply_fix(files, finding.fix), "structure/path-missing") == []


def test_path_missing_without_a_close_folder_has_no_fix() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(path="./workloads"),
        "apps/staging/cm.yaml": config_map("a", "A: b\n"),
    }
    [finding] = run(files, "structure/path-missing")
    assert finding.fix is None


def test_path_missing_fix_round_trip_keeps_quotes_and_trailing_slash() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(path='"./apps/stagign/"'),
        "apps/staging/cm.yaml": config_map("a", "A: b\n"),
    }
    fixed = round_trip(files, "structure/path-missing")
    assert '  path: "./apps/staging/"\n' in fixed["clusters/prod/apps.yaml"]


def test_existing_paths_and_other_sources_are_quiet() -> None:
    """A folder that exists (written any way), and a path in another repository's source."""
    files = {
        "clusters/prod/apps.yaml": kustomization(path="apps/staging/"),
        "clusters/prod/infra.yaml": kustomization("infra", "./infra"),
        "clusters/prod/upstream.yaml": kustomization("upstream", "./deploy/only-upstream").replace(
            "name: flux-system\n", "name: upstream\n"),
        "apps/staging/cm.yaml": config_map("a", "A: b\n"),
        "infra/cm.yaml": config_map("b", "A: b\n"),
    }
    assert run(files, "structure/path-missing") == []
