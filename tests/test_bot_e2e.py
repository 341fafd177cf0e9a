"""End to end, embedded mode: the bot as a real `serve` process, GitHub as the simulator, over HTTP."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from bot_support import payloads
from bot_support.delivery import deliver
from bot_support.keys import key_pair
from bot_support.process import BotProcess, bot_environment, serve
from bot_support.repos import BROKEN_YAML, CONFIGMAP, fleet, hostile_archive, pull_with_broken_yaml
from bot_support.waiting import wait_until
from github_sim import Fault, GitHubSim

APP_ID = "4242"
SECRET = b"e2e webhook secret"
REVIEW_TIMEOUT = 30.0


@pytest.fixture(scope="module")
def sim() -> Iterator[GitHubSim]:
    simulator = GitHubSim(APP_ID, key_pair()[1]).start()
    yield simulator
    simulator.stop()


@pytest.fixture(scope="module")
def bot(sim: GitHubSim, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotProcess]:
    folder = tmp_path_factory.mktemp("bot")
    env = bot_environment(APP_ID, key_pair()[0], SECRET, sim.url, folder / "data", github_timeout="3")
    process = serve(env, folder / "bot.log")
    yield process
    process.stop()


def completed_run(sim: GitHubSim, sha: str) -> dict:
    def done() -> dict | None:
        runs = [r for r in sim.runs_for(sha) if r["status"] == "completed"]
        return runs[0] if runs else None

    return wait_until(done, REVIEW_TIMEOUT, what=f"a completed check run on {sha[:7]}")


def test_opened_pull_request_ends_with_a_completed_check_run_on_its_head(sim: GitHubSim, bot: BotProcess) -> None:
    _repo, base, head = pull_with_broken_yaml(sim, "acme/opened", installation_id=11)
    answer = deliver(bot.url, "pull_request", payloads.pull_request("opened", "acme/opened", 1, head,
                                                                    installation_id=11), SECRET)
    assert answer.status_code == 202
    run = completed_run(sim, head)
    assert run["name"] == "flux-review"
    assert run["conclusion"] == "failure"
    assert next(h["status"] for h in run["history"]) == "in_progress"
    annotations = sim.check_runs[run["id"]]["annotations"]
    broken = [a for a in annotations if a["path"] == "apps/app0/broken.yaml"]
    assert broken and broken[0]["annotation_level"] == "failure" and broken[0]["title"] == "structure/yaml-invalid"
    assert sim.runs_for(base) == []
    assert not sim.errors



def test_forged_signature_is_refused_without_details_and_starts_nothing(sim: GitHubSim, bot: BotProcess) -> None:
    _repo, _, head = pull_with_broken_yaml(sim, "acme/forged", installation_id=12)
    payload = payloads.pull_request("opened", "acme/forged", 1, head, installation_id=12)
    forged = deliver(bot.url, "pull_request", payload, SECRET, signature="sha256=" + "0" * 64)
    wrong_key = deliver(bot.url, "pull_request", payload, b"not the secret")
    unsigned = deliver(bot.url, "pull_request", payload, SECRET, signature="")
    for answer in (forged, wrong_key, unsigned):
        assert answer.status_code == 401
        assert answer.json() == {"error": "unauthorized"}
    time.sleep(1.5)  # longer than the review delay: a job would have started
    assert sim.calls(path="^/repos/acme/forged") == []
    assert sim.runs_for(head) == []


def test_ping_oversize_and_malformed_deliveries_over_http(sim: GitHubSim, bot: BotProcess) -> None:
    assert deliver(bot.url, "ping", payloads.ping("Design for failure."), SECRET).json()["status"] == "pong"
    assert deliver(bot.url, "ping", b"{not json", SECRET).status_code == 400
    assert deliver(bot.url, "star", {"action": "created"}, SECRET).status_code == 202
    huge = b'{"pad": "' + b"x" * (26 * 1024 * 1024) + b'"}'
    assert deliver(bot.url, "pull_request", huge, SECRET).status_code == 413


def test_repeated_delivery_id_produces_one_review(sim: GitHubSim, bot: BotProcess) -> None:
    _repo, _, head = pull_with_broken_yaml(sim, "acme/twice", installation_id=13)
    payload = payloads.pull_request("opened", "acme/twice", 1, head, installation_id=13)
    delivery = str(uuid.uuid4())
    first = deliver(bot.url, "pull_request", payload, SECRET, delivery=delivery)
    again = deliver(bot.url, "pull_request", payload, SECRET, delivery=delivery)
    assert (first.status_code, first.json()["status"]) == (202, "queued")
    assert (again.status_code, again.json()["status"]) == (202, "duplicate")
    completed_run(sim, head)
    time.sleep(1.5)  # a second job would have started by now
    assert len(sim.calls(method="POST", path="^/repos/acme/twice/check-runs$")) == 1
    assert len(sim.calls(path="^/repos/acme/twice/tarball/")) == 2


def test_burst_of_synchronize_events_reviews_only_the_newest_head(sim: GitHubSim, bot: BotProcess) -> None:
    repo = sim.add_repo("acme/burst", 14)
    base = repo.commit(fleet(2), branch="main")
    heads = []
    parent = base
    for n in range(5):
        parent = repo.commit({}, parent=parent, changes={"apps/app0/configmap.yaml": CONFIGMAP.format(
            name="app0", n=100 + n), "apps/app1/broken.yaml": BROKEN_YAML if n == 4 else "a: 1\n"})
        heads.append(parent)
    repo.open_pull(3, "main", heads[-1])
    for n, head in enumerate(heads):
        action = "opened" if n == 0 else "synchronize"
        answer = deliver(bot.url, "pull_request", payloads.pull_request(action, "acme/burst", 3, head,
                                                                        installation_id=14), SECRET)
        assert answer.status_code == 202
    run = completed_run(sim, heads[-1])
    assert run["conclusion"] == "failure"
    time.sleep(1.5)  # any other job of the burst would have run by now
    for old in heads[:-1]:
        assert sim.runs_for(old) == []
    assert len(sim.calls(method="POST", path="^/repos/acme/burst/check-runs$")) == 1
    assert len(sim.calls(path="^/repos/acme/burst/tarball/")) == 2


def test_hostile_archive_members_are_skipped_and_named(sim: GitHubSim, bot: BotProcess) -> None:
    repo, _, head = pull_with_broken_yaml(sim, "acme/hostile", installation_id=15)
    repo.archive_override[head] = hostile_archive(repo, head)
    deliver(bot.url, "pull_request", payloads.pull_request("opened", "acme/hostile", 1, head, installation_id=15),
            SECRET)
    run = completed_run(sim, head)
    summary = run["output"]["summary"]
    assert run["conclusion"] == "failure"  # the broken YAML is still read and reported
    for name in ("../escape.yaml", "/etc/absolute.yaml", "link.yaml", "device"):
        assert name in summary
    assert not sim.errors


def test_fault_storm_still_ends_in_a_completed_check_run(sim: GitHubSim, bot: BotProcess) -> None:
    _repo, _, head = pull_with_broken_yaml(sim, "acme/storm", installation_id=16)
    reset = str(int(time.time()) + 1)
    faults = [
        Fault("POST", r"^api:/app/installations/16/access_tokens$", "status", status=502),
        Fault("GET", r"^api:/repos/acme/storm/pulls/1$", "status", times=2, status=500),
        Fault("POST", r"^api:/repos/acme/storm/check-runs$", "status", status=429, headers={"Retry-After": "1"},
              body={"message": "API rate limit exceeded"}),
        Fault("GET", r"^api:/repos/acme/storm/contents/", "status", status=403,
              body={"message": "You have exceeded a secondary rate limit. Please wait a few minutes."}),
        Fault("GET", r"^api:/repos/acme/storm/compare/", "drop"),
        Fault("GET", r"^api:/repos/acme/storm/compare/", "status", times=6, status=503),
        Fault("GET", rf"^api:/repos/acme/storm/tarball/{head}$", "slow", seconds=3.5),
        Fault("GET", r"^archive:/acme/storm/", "drop"),
        Fault("GET", r"^api:/repos/acme/storm/pulls/1/files$", "status", status=500),
        Fault("PATCH", r"^api:/repos/acme/storm/check-runs/", "status", status=403,
              headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset},
              body={"message": "API rate limit exceeded for installation."}),
    ]
    for fault in faults:
        sim.add_fault(fault)
    deliver(bot.url, "pull_request", payloads.pull_request("opened", "acme/storm", 1, head, installation_id=16),
            SECRET)
    run = wait_until(lambda: next((r for r in sim.runs_for(head) if r["status"] == "completed"), None), 60,
                     what="the storm's check run to complete")
    assert run["conclusion"] == "failure"  # the real verdict: the storm was weathered, not given up on
    assert [f.times for f in faults] == [0] * len(faults)
    assert len(sim.runs_for(head)) == 1
    assert not sim.errors


def test_job_killed_mid_review_finishes_after_restart(sim: GitHubSim, tmp_path: Path) -> None:
    _repo, _, head = pull_with_broken_yaml(sim, "acme/killed", installation_id=17)
    gate = sim.add_fault(Fault("GET", rf"^archive:/acme/killed/legacy.tar.gz/{head}$", "gate"))
    env = bot_environment(APP_ID, key_pair()[0], SECRET, sim.url, tmp_path / "data")
    first = serve(env, tmp_path / "first.log")
    try:
        deliver(first.url, "pull_request", payloads.pull_request("opened", "acme/killed", 1, head,
                                                                 installation_id=17), SECRET)
        wait_until(gate.entered.is_set, REVIEW_TIMEOUT, what="the review to reach the head archive")
        [run] = sim.runs_for(head)
        assert run["status"] == "in_progress"
    finally:
        first.kill()
    sim.clear_faults()
    second = serve(env, tmp_path / "second.log")
    try:
        finished = completed_run(sim, head)
    finally:
        second.stop()
    assert finished["id"] == run["id"]  # the same run, resumed, not a twin left in progress
    assert finished["conclusion"] == "failure"
    assert [r["status"] for r in sim.runs_for(head)] == ["completed"]


def test_clients_that_stall_their_body_cost_a_connection_not_the_service(
        sim: GitHubSim, tmp_path: Path) -> None:
    import socket


    env = bot_environment(APP_ID, key_pair()[0], SECRET, sim.url, tmp_path / "data", body_timeout="1")
    server = serve(env, tmp_path / "bot.log")
    stalled: list[socket.socket] = []
    try:
        for _ in range(12):  # more stalled uploads than the server has web threads (8)
            client = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            client.sendall(b"POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                           b"X-GitHub-Event: ping\r\nX-GitHub-Delivery: slow\r\nContent-Length: 1000\r\n\r\n{\"a")
            stalled.append(client)
        started = time.monotonic()
        answer = wait_until(lambda: _health(server.url), 15.0, 0.2, "/healthz while clients stall")
        assert answer == 200 and time.monotonic() - started < 15.0
        # The stalled client itself is answered 408 once its deadline passes.
        reply = stalled[0].recv(200)
        assert reply.startswith(b"HTTP/1.1 408"), reply
    finally:
        for client in stalled:
            client.close()
        server.stop()


def test_a_review_worker_process_killed_mid_review_is_started_again_and_finishes_the_job(
        sim: GitHubSim, tmp_path: Path) -> None:
    import os
    import signal

    from bot_support.observe import process_tree

    _repo, _, head = pull_with_broken_yaml(sim, "acme/child", installation_id=18)
    gate = sim.add_fault(Fault("GET", rf"^archive:/acme/child/legacy.tar.gz/{head}$", "gate"))
    env = bot_environment(APP_ID, key_pair()[0], SECRET, sim.url, tmp_path / "data")
    server = serve(env, tmp_path / "bot.log")
    try:
        deliver(server.url, "pull_request", payloads.pull_request("opened", "acme/child", 1, head,
                                                                  installation_id=18), SECRET)
        wait_until(gate.entered.is_set, REVIEW_TIMEOUT, what="the review to reach the head archive")
        [run] = sim.runs_for(head)
        assert server.proc is not None
        [reviewer] = [pid for pid in process_tree(server.proc.pid) if b"bot.consumer" in _command(pid)]
        os.kill(reviewer, signal.SIGKILL)
        sim.clear_faults()
        finished = completed_run(sim, head)
        assert server.proc.poll() is None and _health(server.url) == 200  # the web side never stopped
        assert "review worker process" in server.log() and "exited with -9" in server.log()
    finally:
        server.stop()
    assert finished["id"] == run["id"]  # the job resumed in the new process, on the same run
    assert finished["conclusion"] == "failure"
    assert [r["status"] for r in sim.runs_for(head)] == ["completed"]


def _command(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _health(url: str) -> int | None:
    import requests

    try:
        return requests.get(f"{url}/healthz", timeout=1).status_code
    except requests.RequestException:
        return None


def test_the_data_directory_is_the_owners_alone(bot: BotProcess) -> None:
    import stat

    data_dir = Path(bot.env["DATA_DIR"])
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    files = [p for p in data_dir.iterdir() if p.is_file()]
    assert files and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files), \
        [(p.name, oct(stat.S_IMODE(p.stat().st_mode))) for p in files]
