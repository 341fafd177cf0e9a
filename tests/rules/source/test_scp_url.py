"""source/scp-url: Git URLs the GitRepository CRD accepts, and the rewrite of scp-style ones."""

from __future__ import annotations

from rule_support import findings as run
from rule_support import flux_object as obj
from rule_support import round_trip


def test_scp_url_is_rewritten_to_ssh() -> None:
    files = {"clusters/prod/git.yaml": obj("GitRepository", "git", "interval: 10m\n"
                                           "url: git@github.com:acme/fleet.git  # deploy key\nref:\n  branch: main\n")}
    found = run(files, "source/scp-url")
    assert len(found) == 1 and found[0].line == 8
    fixed = round_trip(files, "source/scp-url")
    assert "  url: ssh://git@github.com/acme/fleet.git  # deploy key\n" in fixed["clusters/prod/git.yaml"]


def test_unclear_scp_url_is_reported_without_a_fix() -> None:
    """`host:2222/...` may be a port: the finding asks for an ssh:// URL but offers no rewrite."""
    files = {"clusters/prod/git.yaml": obj("GitRepository", "git", "interval: 10m\n"
                                           "url: git@host:2222/acme/fleet\nref:\n  branch: main\n")}
    found = run(files, "source/scp-url")
    assert len(found) == 1 and found[0].fix is None
    assert "an `ssh://user@host/path` URL" in found[0].message


def test_ssh_and_https_urls_pass() -> None:
    files = {"clusters/prod/a.yaml": obj("GitRepository", "a", "interval: 10m\nurl: ssh://git@github.com/acme/a\n"
                                         "ref:\n  branch: main\n"),
             "clusters/prod/b.yaml": obj("GitRepository", "b", "interval: 10m\nurl: https://github.com/acme/b\n"
                                         "ref:\n  branch: main\n")}
    assert run(files, "source/scp-url") == []


def test_scp_rewrites() -> None:
    from checks.rules.source.scp_url import scp_to_ssh

    assert scp_to_ssh("git@github.com:acme/fleet.git") == "ssh://git@github.com/acme/fleet.git"
    assert scp_to_ssh("git@host:/srv/git/fleet") == "ssh://git@host/srv/git/fleet"
    assert scp_to_ssh("git@host:2222/acme/fleet") == ""  # maybe a port: no rewrite offered
    assert scp_to_ssh("ssh://git@github.com/acme/fleet") is None
    assert scp_to_ssh("https://github.com/acme/fleet") is None
