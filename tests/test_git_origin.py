"""The URL a checkout was cloned from, read from its git configuration as a file."""

from __future__ import annotations

import subprocess
from pathlib import Path

from checks.config import Config
from checks.git_origin import origin_url, with_origin


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_the_origin_of_a_clone_is_read_from_any_folder_inside_it(tmp_path: Path) -> None:
    repo = tmp_path / "fleet"
    (repo / "clusters" / "prod").mkdir(parents=True)
    _git(repo, "init", "-q")
    _git(repo, "remote", "add", "upstream", "https://example.invalid/someone/else.git")
    _git(repo, "remote", "add", "origin", "git@github.com:acme/fleet.git")
    assert origin_url(str(repo)) == "git@github.com:acme/fleet.git"
    assert origin_url(str(repo / "clusters" / "prod")) == "git@github.com:acme/fleet.git"
    assert with_origin(Config(), str(repo)).repository_url == "git@github.com:acme/fleet.git"
    configured = Config(repository_url="https://github.com/acme/other")
    assert with_origin(configured, str(repo)) is configured


def test_a_worktree_reads_the_shared_configuration(tmp_path: Path) -> None:
    repo = tmp_path / "fleet"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "remote", "add", "origin", "https://github.com/acme/fleet")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "--allow-empty", "-m", "x")
    _git(repo, "worktree", "add", "-q", str(tmp_path / "wt"))
    assert origin_url(str(tmp_path / "wt")) == "https://github.com/acme/fleet"


def test_no_checkout_or_no_origin_is_none(tmp_path: Path) -> None:
    assert origin_url(str(tmp_path)) is None  # pytest's folders are in no checkout
    repo = tmp_path / "plain"
    repo.mkdir()
    _git(repo, "init", "-q")
    assert origin_url(str(repo)) is None
    assert with_origin(Config(), str(repo)) == Config()
