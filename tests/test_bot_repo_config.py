"""The repository configuration: from the default branch, else the owner's .github repository, else defaults."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from bot_support.inprocess import settings_for
from bot_support.keys import key_pair
from github_sim import GitHubSim

from bot import repo_config
from bot.github import GitHubApps
from bot.pacing import LocalPacer
from checks.config import Config, ConfigError
from checks.findings import Severity


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    repo_config.forget_organisation_files()
    yield
    repo_config.forget_organisation_files()


@pytest.fixture
def sim() -> Iterator[GitHubSim]:
    simulator = GitHubSim("4242", key_pair()[1]).start()
    yield simulator
    simulator.stop()


def load(sim: GitHubSim, tmp_path: Path, name: str = "acme/fleet") -> Config:
    client = GitHubApps(settings_for(sim.url, tmp_path), LocalPacer()).installation(1)
    return repo_config.load(client.repository, name, "main")


def test_the_default_branch_file_is_used_not_the_pull_requests(sim: GitHubSim, tmp_path: Path) -> None:
    repo = sim.add_repo("acme/fleet", 1)
    base = repo.commit({".github/flux-review.yml": "fail_on: warning\n"}, branch="main")
    repo.commit({}, parent=base, changes={".github/flux-review.yml": "fail_on: never\n"}, branch="change")
    config = load(sim, tmp_path)
    assert config.fail_on == Severity.WARNING
    assert [c.query for c in sim.calls(path="/contents/")] == ["ref=main"]


def test_the_organisation_file_is_the_fallback(sim: GitHubSim, tmp_path: Path) -> None:
    sim.add_repo("acme/fleet", 1).commit({"README.md": "hi"}, branch="main")
    sim.add_repo("acme/.github", 1).commit({".github/flux-review.yml": "fail_on: never\n"}, branch="main")
    assert load(sim, tmp_path).fail_on is None


def test_defaults_when_nobody_configured_anything(sim: GitHubSim, tmp_path: Path) -> None:
    sim.add_repo("acme/fleet", 1).commit({"README.md": "hi"}, branch="main")
    assert load(sim, tmp_path) == Config()
    assert len(sim.calls(path="/contents/")) == 2


def test_an_invalid_file_names_itself_and_the_line(sim: GitHubSim, tmp_path: Path) -> None:
    sim.add_repo("acme/fleet", 1).commit({".github/flux-review.yml": "fail_on: sometimes\n"}, branch="main")
    with pytest.raises(ConfigError, match=r"^acme/fleet:\.github/flux-review\.yml:1"):
        load(sim, tmp_path)


def test_a_binary_file_is_a_configuration_error(sim: GitHubSim, tmp_path: Path) -> None:
    sim.add_repo("acme/fleet", 1).commit({".github/flux-review.yml": b"\xff\xfe\x00"}, branch="main")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load(sim, tmp_path)


def test_extends_merges_the_base_under_the_repository_keys(sim: GitHubSim, tmp_path: Path) -> None:
    sim.add_repo("acme/fleet", 1).commit({".github/flux-review.yml": (
        "_extends: policies\nintervals:\n  minimum:\n    HelmRelease: 2m\ncomments:\n  max: 5\n")}, branch="main")
    sim.add_repo("acme/policies", 1).commit({".github/flux-review.yml": (
        "fail_on: warning\nintervals:\n  minimum:\n    Kustomization: 5m\ncomments: off\n")}, branch="main")
    config = load(sim, tmp_path)
    assert config.fail_on == Severity.WARNING  # from the base
    assert config.minimum_intervals["Kustomization"] == "5m"  # the base's, merged mapping by mapping
    assert config.minimum_intervals["HelmRelease"] == "2m"  # the repository's own
    assert config.comments.max == 5 and config.comments.enabled  # the repository's mapping wins over `off`
    assert "extending acme/policies:.github/flux-review.yml" in config.source


def test_extends_with_owner_repository_and_path_follows_a_chain(sim: GitHubSim, tmp_path: Path) -> None:
    sim.add_repo("acme/fleet", 1).commit({".github/flux-review.yml": "_extends: platform/rules:flux/team.yml\n"},
                                         branch="main")
    sim.add_repo("platform/rules", 1).commit({"flux/team.yml": "_extends: org\nfail_on: info\n"}, branch="main")
    sim.add_repo("platform/org", 1).commit({".github/flux-review.yml": "flux_version: '2.4'\n"}, branch="main")
    config = load(sim, tmp_path)
    assert (config.fail_on, config.flux_version) == (Severity.INFO, "2.4")


def test_an_extends_loop_is_reported_not_followed(sim: GitHubSim, tmp_path: Path) -> None:
    sim.add_repo("acme/fleet", 1).commit({".github/flux-review.yml": "_extends: base\n"}, branch="main")
    sim.add_repo("acme/base", 1).commit({".github/flux-review.yml": "_extends: acme/fleet\n"}, branch="main")
    with pytest.raises(ConfigError, match="loops back to acme/fleet"):
        load(sim, tmp_path)
    assert len(sim.calls(path="/contents/")) == 2


def test_an_extends_chain_deeper_than_the_cap_stops(sim: GitHubSim, tmp_path: Path) -> None:
    for n in range(10):
        sim.add_repo(f"acme/r{n}", 1).commit({".github/flux-review.yml": f"_extends: r{n + 1}\n"}, branch="main")
    sim.add_repo("acme/fleet", 1).commit({".github/flux-review.yml": "_extends: r0\n"}, branch="main")
    with pytest.raises(ConfigError, match="deeper than 5"):
        load(sim, tmp_path)


def test_an_invalid_base_or_a_missing_one_names_its_file(sim: GitHubSim, tmp_path: Path) -> None:
    sim.add_repo("acme/fleet", 1).commit({".github/flux-review.yml": "_extends: base\n"}, branch="main")
    sim.add_repo("acme/base", 1).commit({".github/flux-review.yml": "\nfail_on: sometimes\n"}, branch="main")
    with pytest.raises(ConfigError, match=r"^acme/base:\.github/flux-review\.yml:2"):
        load(sim, tmp_path)
    sim.add_repo("acme/other", 1).commit({".github/flux-review.yml": "_extends: nowhere\n"}, branch="main")
    with pytest.raises(ConfigError, match=r"acme/nowhere:\.github/flux-review\.yml does not exist"):
        load(sim, tmp_path, "acme/other")
    sim.add_repo("acme/bad", 1).commit({".github/flux-review.yml": "_extends: ../../x\n"}, branch="main")
    with pytest.raises(ConfigError, match="is not a repository"):
        load(sim, tmp_path, "acme/bad")


def test_the_organisation_file_is_read_once_per_few_minutes(sim: GitHubSim, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    sim.add_repo("acme/fleet", 1).commit({"README.md": "hi"}, branch="main")
    sim.add_repo("acme/other", 1).commit({"README.md": "hi"}, branch="main")
    org = sim.add_repo("acme/.github", 1)
    org.commit({".github/flux-review.yml": "fail_on: never\n"}, branch="main")
    assert load(sim, tmp_path).fail_on is None
    org.commit({}, parent=org.branches["main"], changes={".github/flux-review.yml": "fail_on: warning\n"},
               branch="main")
    assert load(sim, tmp_path, "acme/other").fail_on is None  # cached: one request for the organisation's file
    assert len(sim.calls(path="^/repos/acme/.github/contents/")) == 1
    assert len(sim.calls(path="^/repos/acme/other/contents/")) == 1  # the repository's own, always asked
    monkeypatch.setattr(repo_config, "ORG_FILE_SECONDS", 0.0)
    repo_config.forget_organisation_files()
    assert load(sim, tmp_path).fail_on == Severity.WARNING


def test_the_repository_url_defaults_to_the_repository_under_review() -> None:
    class Repo:
        html_url = "https://github.example/acme/fleet"

    class Base:
        repo = Repo()

    class Pull:
        base = Base()

    assert repo_config.with_own_url(Config(), Pull()).repository_url == "https://github.example/acme/fleet"
    # The configuration's own URL wins; a pull request without one changes nothing.
    configured = Config(repository_url="https://github.com/acme/other")
    assert repo_config.with_own_url(configured, Pull()) is configured
    assert repo_config.with_own_url(Config(), object()) == Config()
