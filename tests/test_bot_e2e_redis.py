"""End to end, scale-out mode: one web process, two worker processes, a real Redis, the simulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from bot_support import payloads
from bot_support.delivery import deliver
from bot_support.keys import key_pair
from bot_support.process import BotProcess, bot_environment, serve, worker
from bot_support.redis_server import redis_server
from bot_support.repos import pull_with_broken_yaml
from bot_support.waiting import wait_until
from github_sim import Fault, GitHubSim

from bot.state import RedisStore

pytestmark = pytest.mark.redis

APP_ID = "5151"
SECRET = b"scale-out secret"
REVIEW_TIMEOUT = 30.0


@pytest.fixture(scope="module")
def sim() -> Iterator[GitHubSim]:
    simulator = GitHubSim(APP_ID, key_pair()[1]).start()
    yield simulator
    simulator.stop()


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis"), db=2) as url:
        yield url


@pytest.fixture(scope="module")
def deployment(sim: GitHubSim, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[BotProcess]]:
    """The web process first, then two worker processes."""
    folder = tmp_path_factory.mktemp("scale-out")
    env = bot_environment(APP_ID, key_pair()[0], SECRET, sim.url, folder / "data", redis_url=redis_url)
    processes: list[BotProcess] = []
    try:
        processes.append(serve(env, folder / "web.log"))
        processes += [worker(env, folder / f"worker{n}.log") for n in (1, 2)]
        yield processes
    finally:
        for process in processes:
            process.stop()


def completed_runs(sim: GitHubSim, sha: str, count: int = 1) -> list[dict]:
    def done() -> list[dict] | None:
        runs = [r for r in sim.runs_for(sha) if r["status"] == "completed"]
        return runs if len(runs) >= count else None

    return wait_until(done, REVIEW_TIMEOUT, what=f"{count} completed check run(s) on {sha[:7]}")


def test_opened_pull_request_ends_with_a_completed_check_run(sim: GitHubSim, deployment: list[BotProcess]) -> None:
    web = deployment[0]
    _repo, _, head = pull_with_broken_yaml(sim, "fleet/opened", installation_id=21)
    answer = deliver(web.url, "pull_request",
                     payloads.pull_request("opened", "fleet/opened", 1, head, installation_id=21), SECRET)
    assert answer.status_code == 202
    [run] = completed_runs(sim, head)
    assert run["conclusion"] == "failure"
    assert "queued job" in web.log()
    assert "embedded mode" not in web.log()  # the web process runs no jobs in scale-out mode


def test_two_workers_never_review_one_pull_request_at_once(sim: GitHubSim, deployment: list[BotProcess]) -> None:
    web, workers = deployment[0], deployment[1:]
    _repo, _, head = pull_with_broken_yaml(sim, "fleet/locked", installation_id=22)
    gate = sim.add_fault(Fault("GET", rf"^archive:/fleet/locked/legacy.tar.gz/{head}$", "gate"))
    deliver(web.url, "pull_request",
            payloads.pull_request("opened", "fleet/locked", 1, head, installation_id=22), SECRET)
    wait_until(gate.entered.is_set, REVIEW_TIMEOUT, what="the first review to reach the head archive")
    rerun = payloads.check_suite("rerequested", "fleet/locked", head, [1], app_id=int(APP_ID), installation_id=22)
    assert deliver(web.url, "check_suite", rerun, SECRET).status_code == 202
    # The newer job is woken in a worker and must wait for the lock the first review holds.
    wait_until(lambda: any("another review of 22/fleet/locked#1 is running" in w.log() for w in workers), 10, 0.1,
               what="the second job to be held back by the lock")
    assert len(sim.runs_for(head)) == 1
    gate.release.set()
    runs = completed_runs(sim, head, count=2)
    by_id = sorted(runs, key=lambda r: r["id"])
    assert [r["conclusion"] for r in by_id] == ["cancelled", "failure"]
    writes = [(c.method, c.path) for c in sim.calls(path="^/repos/fleet/locked/check-runs")]
    first, second = by_id[0]["id"], by_id[1]["id"]
    # The second run is created only after the first one was completed.
    assert writes.index(("POST", "/repos/fleet/locked/check-runs"), 1) > writes.index(
        ("PATCH", f"/repos/fleet/locked/check-runs/{first}"))
    assert ("PATCH", f"/repos/fleet/locked/check-runs/{second}") in writes



def test_a_killed_worker_s_job_is_finished_by_the_other_worker(sim: GitHubSim, deployment: list[BotProcess],
                                                              redis_url: str) -> None:
    web, workers = deployment[0], deployment[1:]
    _repo, _, head = pull_with_broken_yaml(sim, "fleet/killed", installation_id=23)
    gate = sim.add_fault(Fault("GET", rf"^archive:/fleet/killed/legacy.tar.gz/{head}$", "gate"))
    deliver(web.url, "pull_request",
            payloads.pull_request("opened", "fleet/killed", 1, head, installation_id=23), SECRET)
    wait_until(gate.entered.is_set, REVIEW_TIMEOUT, what="the review to reach the head archive")
    ledger = RedisStore(redis.Redis.from_url(redis_url, socket_timeout=5))
    [running] = ledger._ids_in_state("running")
    owner_pid = int(ledger.get(running).owner.split(":")[1])
    ledger.close()
    [victim] = [w for w in workers if w.proc is not None and w.proc.pid == owner_pid]
    victim.kill()
    gate.release.set()
    [run] = completed_runs(sim, head)  # resumed by the survivor once the lease expired
    assert run["conclusion"] == "failure"
    assert len(sim.runs_for(head)) == 1
