"""GitHub clients against the simulator in this process: routing, archives, tokens expiring mid-job."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from bot_support.inprocess import settings_for
from bot_support.keys import key_pair
from bot_support.repos import fleet
from github_sim import Fault, GitHubSim

from bot.github import ArchiveError, GitHubApps
from bot.pacing import LocalPacer
from bot.transport import CallLog
from checks.source import RepoSnapshot


@pytest.fixture
def sim() -> Iterator[GitHubSim]:
    simulator = GitHubSim("4242", key_pair()[1]).start()
    yield simulator
    simulator.stop()


def apps_for(sim: GitHubSim, tmp_path: Path, log: CallLog | None = None, **tuning: object) -> GitHubApps:
    return GitHubApps(settings_for(sim.url, tmp_path, **tuning), LocalPacer(), call_log=log)


def test_every_pygithub_call_goes_through_our_transport(sim: GitHubSim, tmp_path: Path) -> None:
    repo = sim.add_repo("acme/fleet", 1)
    base = repo.commit(fleet(2), branch="main")
    head = repo.commit({}, parent=base, changes={"apps/app0/new.yaml": "a: 1\n"})
    repo.open_pull(4, "main", head)
    log = CallLog()
    client = apps_for(sim, tmp_path, log).installation(1)
    gh_repo = client.repository("acme/fleet")
    pull = gh_repo.get_pull(4)
    assert pull.head.sha == head
    assert [f.filename for f in pull.get_files()] == ["apps/app0/new.yaml"]
    assert gh_repo.compare(base, head).merge_base_commit.sha == base
    assert len(log.calls) == len(sim.requests) == 4  # token, pull, files, compare
    assert [c[1] for c in log.calls] == ["/app/installations/{n}/access_tokens", "/repos/{owner}/{repo}/pulls/{n}",
                                         "/repos/{owner}/{repo}/pulls/{n}/files",
                                         "/repos/{owner}/{repo}/compare/{basehead}"]


def test_archive_follows_the_redirect_without_the_token(sim: GitHubSim, tmp_path: Path) -> None:
    repo = sim.add_repo("acme/fleet", 1)
    sha = repo.commit(fleet(2), branch="main")
    client = apps_for(sim, tmp_path).installation(1)
    data = client.download_archive("acme/fleet", sha, max_bytes=10_000_000)
    assert sorted(RepoSnapshot.from_tar(data).paths()) == sorted(fleet(2))
    [api_call] = sim.calls("api", path="/tarball/")
    [download] = sim.calls("archive")
    assert api_call.authorization is True
    assert download.authorization is False


def test_archive_above_the_size_cap_is_refused(sim: GitHubSim, tmp_path: Path) -> None:
    repo = sim.add_repo("acme/fleet", 1)
    sha = repo.commit(fleet(20), branch="main")
    client = apps_for(sim, tmp_path).installation(1)
    with pytest.raises(ArchiveError, match="FLUX_REVIEW_ARCHIVE_MAX_BYTES"):
        client.download_archive("acme/fleet", sha, max_bytes=100)


def test_a_dropped_download_is_retried_whole(sim: GitHubSim, tmp_path: Path) -> None:
    repo = sim.add_repo("acme/fleet", 1)
    sha = repo.commit(fleet(2), branch="main")
    sim.add_fault(Fault("GET", r"^archive:/acme/fleet/", "drop"))
    data = apps_for(sim, tmp_path).installation(1).download_archive("acme/fleet", sha, max_bytes=10_000_000)
    assert RepoSnapshot.from_tar(data).paths()
    assert len(sim.calls("archive")) == 2  # the drop (recorded with status 0) and the retry


def test_missing_archive_reports_githubs_status(sim: GitHubSim, tmp_path: Path) -> None:
    sim.add_repo("acme/fleet", 1)
    with pytest.raises(ArchiveError) as caught:
        apps_for(sim, tmp_path).installation(1).download_archive("acme/fleet", "f" * 40, max_bytes=1000)
    assert caught.value.status == 404


def test_a_token_that_expires_mid_job_is_renewed_before_use(sim: GitHubSim, tmp_path: Path) -> None:
    sim.token_ttl = 1.0
    repo = sim.add_repo("acme/fleet", 1)
    repo.commit(fleet(1), branch="main")
    repo.open_pull(1, "main", repo.branches["main"])
    client = apps_for(sim, tmp_path, token_refresh_margin=0.5).installation(1)
    gh_repo = client.repository("acme/fleet")
    assert gh_repo.get_pull(1).state == "open"
    time.sleep(0.6)  # the cached token now has less than the margin left
    assert gh_repo.get_pull(1).state == "open"
    assert len(sim.calls(path="access_tokens")) == 2
    assert all(c.status == 200 for c in sim.calls(path="/pulls/"))


def test_a_revoked_token_is_renewed_on_the_401(sim: GitHubSim, tmp_path: Path) -> None:
    repo = sim.add_repo("acme/fleet", 1)
    repo.commit(fleet(1), branch="main")
    repo.open_pull(1, "main", repo.branches["main"])
    client = apps_for(sim, tmp_path).installation(1)
    gh_repo = client.repository("acme/fleet")
    assert gh_repo.get_pull(1).state == "open"
    sim.tokens.clear()  # GitHub forgot every token
    assert client.repository("acme/fleet").get_pull(1).state == "open"
    assert [c.status for c in sim.calls(path="/pulls/1$")] == [200, 401, 200]


def test_the_app_jwt_is_accepted_by_the_simulator_and_a_wrong_app_is_not(sim: GitHubSim, tmp_path: Path) -> None:
    sim.add_repo("acme/fleet", 1)
    assert apps_for(sim, tmp_path).tokens.token(1).startswith("ghs_")
    wrong = GitHubApps(settings_for(sim.url, tmp_path, app_id="999"), LocalPacer())
    with pytest.raises(Exception, match="401"):
        wrong.tokens.token(1)


def test_an_archive_trickled_slower_than_its_deadline_is_abandoned(sim: GitHubSim, tmp_path: Path) -> None:
    import socket
    import threading
    import time

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    stop = threading.Event()

    def trickle() -> None:  # 64 bytes every 0.2 s, never silent for as long as the 3 s read timeout
        connection, _ = listener.accept()
        with connection:
            connection.recv(4096)
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
            for _ in range(100):  # bounded: 20 s at most
                if stop.is_set():
                    return
                try:
                    connection.sendall(b"\0" * 64)
                except OSError:
                    return
                time.sleep(0.2)

    server = threading.Thread(target=trickle, daemon=True)
    server.start()
    repo = sim.add_repo("acme/fleet", 1)
    sha = repo.commit(fleet(1), branch="main")
    port = listener.getsockname()[1]
    sim.add_fault(Fault("GET", r"^api:/repos/acme/fleet/tarball/", "status", status=302,
                        headers={"Location": f"http://127.0.0.1:{port}/slow.tar.gz"}))
    started = time.monotonic()
    try:
        with pytest.raises(ArchiveError, match="took longer than 1 s"):
            apps_for(sim, tmp_path).installation(1).download_archive("acme/fleet", sha, max_bytes=10_000_000,
                                                                     deadline=1.0)
        assert time.monotonic() - started < 10
    finally:
        stop.set()
        listener.close()
        server.join(timeout=5)
