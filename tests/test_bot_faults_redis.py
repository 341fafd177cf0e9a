"""The fault and abuse suite, scale-out mode: `serve` and separate `worker` processes on a real Redis.

The ReDoS and budget attempts of tests/test_bot_faults.py again, with the
review in a worker process while the web process answers ``/healthz``
within 1 s; a restart of Redis in the middle of a review; and the small
burst, accounted for in Redis. The same promises hold: a completed Check
Run or a clean refusal, nothing lost, nothing left in progress, the peak
resident memory of every bot process under 1 GiB. Skipped without
redis-server.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bot_support import abuse, payloads
from bot_support.delivery import deliver
from bot_support.keys import key_pair
from bot_support.ledger import open_ledger, settle
from bot_support.load import Burst, run_burst
from bot_support.observe import GIB, HealthWatch, MemoryWatch
from bot_support.process import BotProcess, bot_environment, serve, worker
from bot_support.redis_restart import RestartableRedis
from bot_support.redis_server import redis_server
from bot_support.repos import BROKEN_YAML
from bot_support.waiting import wait_until
from github_sim import Fault, GitHubSim

pytestmark = pytest.mark.redis

APP_ID = "7272"
SECRET = b"scale-out fault suite secret"
TIMEOUT = 60.0
HEALTH_BOUND = 1.0


@pytest.fixture(scope="module")
def sim() -> Iterator[GitHubSim]:
    simulator = GitHubSim(APP_ID, key_pair()[1]).start()
    yield simulator
    simulator.stop()


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis"), db=5) as url:
        yield url


def start_deployment(env: dict[str, str], folder: Path, workers: int) -> list[BotProcess]:
    processes = [serve(env, folder / "web.log")]
    try:
        processes += [worker(env, folder / f"worker{n}.log") for n in range(workers)]
    except BaseException:
        stop_all(processes)
        raise
    return processes


def stop_all(processes: list[BotProcess]) -> None:
    for process in processes:
        process.stop()


@pytest.fixture(scope="module")
def deployment(sim: GitHubSim, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[BotProcess]]:
    """The web process, then two worker processes, with a 10 s review budget."""
    folder = tmp_path_factory.mktemp("scale-out-faults")
    env = bot_environment(APP_ID, key_pair()[0], SECRET, sim.url, folder / "data", redis_url=redis_url,
                          review_timeout="10", github_timeout="3")
    processes = start_deployment(env, folder, 2)
    yield processes
    stop_all(processes)


@pytest.fixture
def memory(deployment: list[BotProcess]) -> Iterator[MemoryWatch]:
    with MemoryWatch([p.proc.pid for p in deployment if p.proc is not None]) as watch:
        yield watch
    assert watch.peak < GIB, f"peak resident memory {watch.peak / 2**20:.0f} MiB"


def open_pull(sim: GitHubSim, web: BotProcess, repo_name: str, installation: int,
              changes: dict[str, str | bytes | None]) -> tuple[str, str]:
    _repo, base, head = abuse.pull_request(sim, repo_name, installation, changes)
    answer = deliver(web.url, "pull_request", payloads.pull_request("opened", repo_name, 1, head, base,
                                                                    installation_id=installation), SECRET)
    assert answer.status_code == 202 and answer.json()["status"] == "queued", answer.text
    return answer.json()["job"], head


def completed_run(sim: GitHubSim, sha: str, timeout: float = TIMEOUT) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        runs = [r for r in sim.runs_for(sha) if r["status"] == "completed"]
        return runs[-1] if runs else None

    return wait_until(done, timeout, 0.1, f"a completed check run on {sha[:7]}")


def assert_whole(redis_url: str, sim: GitHubSim, jobs: list[str], repositories: list[str]) -> None:
    ledger = open_ledger(redis_url=redis_url)
    try:
        accounting = settle(ledger, jobs, sim, repositories, TIMEOUT)
    finally:
        ledger.close()
    assert accounting.whole and accounting.refused == 0, accounting.line()


def test_a_redos_attempt_is_reviewed_in_a_worker_while_health_answers(
        sim: GitHubSim, deployment: list[BotProcess], redis_url: str, memory: MemoryWatch) -> None:
    web = deployment[0]
    with HealthWatch(web.url) as health:
        job, head = open_pull(sim, web, "evil/redos", 61, abuse.redos_changes())
        run = completed_run(sim, head)
    assert health.answers > 0 and health.failures == []
    print(f"\n/healthz: {health.answers} answers, worst {health.worst * 1000:.0f} ms; peak RSS "
          f"{memory.peak / 2**20:.0f} MiB")
    assert health.worst < HEALTH_BOUND, f"/healthz took {health.worst:.2f} s"
    assert run["conclusion"] in ("success", "failure") and "limit" not in run["output"]["title"]
    assert_whole(redis_url, sim, [job], ["evil/redos"])


def test_a_budget_attempt_ends_neutral_in_a_worker_while_health_answers(
        sim: GitHubSim, deployment: list[BotProcess], redis_url: str, memory: MemoryWatch) -> None:
    web = deployment[0]
    with HealthWatch(web.url) as health:
        job, head = open_pull(sim, web, "evil/budget", 62, abuse.budget_changes(800))
        # Another pull request, delivered while the attempt runs, is reviewed by the other worker meanwhile.
        other_job, other_head = open_pull(sim, web, "evil/bystander", 62, {"apps/app0/broken.yaml": BROKEN_YAML})
        other = completed_run(sim, other_head)
        run = completed_run(sim, head, timeout=90.0)
    assert health.answers > 0 and health.failures == []
    print(f"\n/healthz: {health.answers} answers, worst {health.worst * 1000:.0f} ms; peak RSS "
          f"{memory.peak / 2**20:.0f} MiB")
    assert health.worst < HEALTH_BOUND, f"/healthz took {health.worst:.2f} s"
    assert other["conclusion"] == "failure"
    assert run["conclusion"] == "neutral"
    assert "FLUX_REVIEW_REVIEW_TIMEOUT" in run["output"]["title"] + run["output"]["summary"]
    assert_whole(redis_url, sim, [job, other_job], ["evil/budget", "evil/bystander"])


def test_a_redis_restart_mid_review_loses_nothing(sim: GitHubSim, tmp_path: Path) -> None:
    store = RestartableRedis(tmp_path).start()
    env = bot_environment(APP_ID, key_pair()[0], SECRET, sim.url, tmp_path / "data", redis_url=store.url)
    processes: list[BotProcess] = []
    try:
        processes = start_deployment(env, tmp_path, 1)
        web = processes[0]
        with MemoryWatch([p.proc.pid for p in processes if p.proc is not None]) as memory:
            _repo, base, head = abuse.pull_request(sim, "fleet/restarted", 63, {"apps/app0/broken.yaml": BROKEN_YAML})
            gate = sim.add_fault(Fault("GET", rf"^archive:/fleet/restarted/legacy.tar.gz/{head}$", "gate"))
            first = deliver(web.url, "pull_request", payloads.pull_request("opened", "fleet/restarted", 1, head, base,
                                                                           installation_id=63), SECRET)
            assert first.json()["status"] == "queued"
            wait_until(gate.entered.is_set, TIMEOUT, what="the review to reach the head archive")
            _other_repo, other_base, other_head = abuse.pull_request(sim, "fleet/during", 63,
                                                                     {"apps/app0/broken.yaml": BROKEN_YAML})
            during = payloads.pull_request("opened", "fleet/during", 1, other_head, other_base, installation_id=63)
            delivery = str(uuid.uuid4())
            store.stop()
            refused = deliver(web.url, "pull_request", during, SECRET, delivery=delivery)
            store.start()
            gate.release.set()
            run = completed_run(sim, head)
            # GitHub shows the refused delivery as failed; redelivered (its own id), it is taken and reviewed.
            again = deliver(web.url, "pull_request", during, SECRET, delivery=delivery)
            other = completed_run(sim, other_head)
        assert refused.status_code == 503 and "redeliver" in refused.json()["error"]
        assert again.status_code == 202 and again.json()["status"] == "queued"
        assert run["conclusion"] == "failure" and other["conclusion"] == "failure"
        assert len(sim.runs_for(head)) == 1 and len(sim.runs_for(other_head)) == 1
        assert_whole(store.url, sim, [first.json()["job"], again.json()["job"]], ["fleet/restarted", "fleet/during"])
        assert memory.peak < GIB
    finally:
        stop_all(processes)
        store.stop()


def test_a_burst_of_deliveries_is_accounted_for_in_redis(sim: GitHubSim, deployment: list[BotProcess],
                                                         redis_url: str, memory: MemoryWatch) -> None:
    burst = Burst(deliveries=100, concurrency=10, pulls=12, installation=64, owner="burst")
    result = run_burst(deployment[0].url, SECRET, sim, burst)
    ledger = open_ledger(redis_url=redis_url)
    try:
        accounting = settle(ledger, result.jobs, sim, result.repositories, 120.0)
    finally:
        ledger.close()
    assert result.refused == [] and result.statuses["queued"] == len(result.jobs) > 0
    assert result.statuses["duplicate"] > 0 and result.statuses["ignored"] > 0
    assert accounting.whole, accounting.line()
    assert accounting.reviewed >= burst.pulls
