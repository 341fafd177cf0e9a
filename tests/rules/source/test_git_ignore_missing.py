"""source/git-ignore-missing: the repository's own GitRepository filters what goes into its artifact."""

from __future__ import annotations

from rule_support import config_map, fixed_text, kustomization
from rule_support import findings as run
from rule_support import flux_object as obj

from checks.config import Config
from checks.yaml_docs import load_yaml

APPS = kustomization()
OWN_REPO = obj("GitRepository", "fleet", """\
    interval: 10m
    url: https://github.com/acme/fleet
    ref:
      branch: main
""")
FLEET = APPS.replace("name: flux-system", "name: fleet")


def test_own_git_repository_without_ignore_gets_an_ignore_block() -> None:
    files = {"clusters/prod/fleet.yaml": OWN_REPO, "clusters/prod/apps.yaml": FLEET,
             "apps/cm.yaml": config_map("c")}
    config = Config(repository_url="https://github.com/acme/fleet")
    found = run(files, "source/git-ignore-missing", config)
    assert len(found) == 1 and found[0].object == "GitRepository/flux-system/fleet"
    fix = found[0].fix
    assert fix is not None
    fixed = fixed_text(files["clusters/prod/fleet.yaml"], fix)
    assert "  ignore: |\n    # exclude all\n    /*\n" in fixed and "    !/apps\n    !/clusters\n" in fixed
    assert load_yaml("x.yaml", fixed.encode()).ok
    assert run({**files, "clusters/prod/fleet.yaml": fixed}, "source/git-ignore-missing", config) == []


def test_own_git_repository_with_an_ignore_block_passes() -> None:
    with_ignore = OWN_REPO + "  ignore: |\n    /*\n    !/clusters\n    !/apps\n"
    files = {"clusters/prod/fleet.yaml": with_ignore, "clusters/prod/apps.yaml": FLEET,
             "apps/cm.yaml": config_map("c")}
    config = Config(repository_url="https://github.com/acme/fleet")
    assert run(files, "source/git-ignore-missing", config) == []


def test_bootstrap_sync_file_gets_a_hint_and_no_fix() -> None:
    """gotk-sync.yaml is rewritten by every bootstrap: the block belongs in a patch, so no fix is offered."""
    sync = obj("GitRepository", "flux-system", "interval: 1m\nurl: ssh://git@github.com/acme/fleet\n"
               "ref:\n  branch: main\nsecretRef:\n  name: flux-system\n")
    files = {"clusters/prod/flux-system/gotk-sync.yaml": sync, "clusters/prod/apps.yaml": APPS,
             "apps/cm.yaml": config_map("c")}
    found = run(files, "source/git-ignore-missing")
    assert [(f.object, f.path) for f in found] == [
        ("GitRepository/flux-system/flux-system", "clusters/prod/flux-system/gotk-sync.yaml")]
    assert "Bootstrap rewrites this file" in found[0].message and found[0].fix is None


def test_root_sourceignore_filters_the_artifact_instead() -> None:
    files = {"clusters/prod/fleet.yaml": OWN_REPO, "clusters/prod/apps.yaml": FLEET, ".sourceignore": "docs/\n",
             "apps/cm.yaml": config_map("c")}
    config = Config(repository_url="https://github.com/acme/fleet")
    assert run(files, "source/git-ignore-missing", config) == []


def test_other_repositories_and_implicit_bootstrap_sources_are_not_checked() -> None:
    other = OWN_REPO.replace("acme/fleet", "acme/charts")
    files = {"clusters/prod/other.yaml": other, "clusters/prod/apps.yaml": APPS,
             "apps/cm.yaml": config_map("c")}
    assert run(files, "source/git-ignore-missing", Config(repository_url="https://github.com/acme/fleet")) == []
