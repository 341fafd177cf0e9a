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
