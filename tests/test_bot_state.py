"""The job ledger, on both storages: dedupe, coalescing, the per-pull-request lock, leases, recovery."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from bot_support.redis_server import redis_server

from bot.state import (
    DONE,
    FAILED,
    FINALIZING,
    QUEUED,
    RUNNING,
    SUPERSEDED,
    RedisStore,
    SqliteStore,
    Store,
)

KEY = "1/acme/fleet#7"
LEASE = 10.0


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(Path(tmp_path_factory.mktemp("redis")), db=1) as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        backend: Store = SqliteStore(tmp_path / "state.db")
    else:
        client = redis.Redis.from_url(request.getfixturevalue("redis_url"), socket_timeout=5)
        client.flushdb()
        backend = RedisStore(client)
    yield backend
    backend.close()


def submit(store: Store, delivery: str, now: float = 100.0, key: str = KEY) -> str:
    accepted = store.accept(delivery, now, key=key, payload={"delivery": delivery}, wake_at=now)
    assert not accepted.duplicate and accepted.job_id
    return accepted.job_id


def test_a_delivery_id_creates_one_job_only(store: Store) -> None:
    first = store.accept("d1", 1.0, key=KEY, payload={"n": 1})
    again = store.accept("d1", 2.0, key=KEY, payload={"n": 1})
    assert not first.duplicate and again.duplicate and again.job_id is None
    assert store.accept("d2", 3.0).job_id is None  # a delivery without work is remembered too
    assert store.accept("d2", 3.0).duplicate
    job = store.get(first.job_id)
    assert job is not None and job.state == QUEUED and job.payload == {"n": 1}


def test_the_newest_job_of_a_pull_request_supersedes_older_ones(store: Store) -> None:
    old, new = submit(store, "a"), submit(store, "b")
    assert store.claim(old, "w1", 101, LEASE, 3).outcome == "superseded"
    assert store.get(old).state == SUPERSEDED
    assert store.claim(new, "w1", 101, LEASE, 3).outcome == "run"
    assert not store.is_latest(old) and store.is_latest(new)


def test_two_jobs_of_one_pull_request_never_run_at_once(store: Store) -> None:
    first = submit(store, "a")
    assert store.claim(first, "w1", 101, LEASE, 3).outcome == "run"
    second = submit(store, "b")
    assert store.claim(second, "w2", 102, LEASE, 3).outcome == "busy"
    assert store.claim(first, "w2", 102, LEASE, 3).outcome == "gone"  # a duplicate wake-up of a running job
    finished = store.finish(first, "w1", 103, DONE)
    assert finished.next_job == second
    assert store.claim(second, "w2", 104, LEASE, 3).outcome == "run"


def test_other_pull_requests_are_not_blocked(store: Store) -> None:
    one, two = submit(store, "a"), submit(store, "b", key="1/acme/fleet#8")
    assert store.claim(one, "w1", 101, LEASE, 3).outcome == "run"
    assert store.claim(two, "w2", 101, LEASE, 3).outcome == "run"


def test_concurrent_claims_let_exactly_one_worker_run(store: Store) -> None:
    job = submit(store, "a")
    outcomes: list[str] = []
    lock = threading.Lock()

    def claim(owner: str) -> None:
        outcome = store.claim(job, owner, 101, LEASE, 3).outcome
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=claim, args=(f"w{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert sorted(outcomes) == ["gone"] * 7 + ["run"]


def test_threads_of_one_process_take_turns_without_sqlite_busy_waits(tmp_path: Path) -> None:
    """With no busy timeout at all, concurrent writers of one process still all commit: they queue on the
    store's own lock, not on SQLite's polling busy handler (whose sleeps delayed webhooks under load)."""
    store = SqliteStore(tmp_path / "state.db", timeout=0.0)
    errors: list[BaseException] = []

    def accept_many(thread: int) -> None:
        try:
            for n in range(40):
                submit(store, f"t{thread}-{n}", key=f"1/acme/fleet#{thread}")
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=accept_many, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert store.count(QUEUED) == 8 * 40
    store.close()


def test_heartbeat_keeps_the_lease_and_an_expired_lease_is_taken_over(store: Store) -> None:
    job = submit(store, "a")
    store.claim(job, "w1", 100, LEASE, 3)
    assert store.heartbeat(job, "w1", 105, LEASE)
    assert store.claim(job, "w2", 114, LEASE, 3).outcome == "gone"  # lease renewed until 115
    assert store.claim(job, "w2", 116, LEASE, 3).outcome == "run"  # the first worker died
    assert not store.heartbeat(job, "w1", 117, LEASE)  # and learns it is no longer its job
    assert store.get(job).attempts == 2


def test_a_job_interrupted_too_often_is_exhausted(store: Store) -> None:
    job = submit(store, "a")
    for n in range(2):
        assert store.claim(job, f"w{n}", 100 + 20 * n, LEASE, 2).outcome == "run"
    assert store.claim(job, "w9", 200, LEASE, 2).outcome == "exhausted"


def test_check_run_id_and_retry_later(store: Store) -> None:
    job = submit(store, "a")
    store.claim(job, "w1", 100, LEASE, 3)
    store.set_check_run(job, 4711)
    store.retry_later(job, "w1", 101, 130, requeue_after=5)
    record = store.get(job)
    assert (record.state, record.check_run_id, record.due_at) == (QUEUED, 4711, 135)
    other = submit(store, "b", key="1/acme/other#1")
    assert store.claim(other, "w2", 102, LEASE, 3).outcome == "run"


def test_finalizing_parks_the_output_and_releases_the_lock(store: Store) -> None:
    job = submit(store, "a")
    store.claim(job, "w1", 100, LEASE, 3)
    store.finalize_later(job, 101, {"outcome": {"conclusion": "neutral"}}, wake_at=110)
    record = store.get(job)
    assert record.state == FINALIZING and record.final_output == {"outcome": {"conclusion": "neutral"}}
    newer = submit(store, "b")
    assert store.claim(newer, "w2", 102, LEASE, 3).outcome == "run"
    assert store.claim(job, "w3", 103, LEASE, 3).outcome == "gone"
    store.finish(job, "w3", 111, FAILED, "closed")
    assert store.get(job).state == FAILED


def test_reaper_finds_lost_wakeups_expired_leases_and_pending_finalizations(store: Store) -> None:
    lost = store.accept("a", 100, key="k#1", payload={}, wake_at=100, requeue_after=5).job_id
    dead = submit(store, "b", key="k#2")
    store.claim(dead, "w1", 100, LEASE, 3)
    parked = submit(store, "c", key="k#3")
    store.finalize_later(parked, 100, {"outcome": {}}, wake_at=104)
    done = submit(store, "d", key="k#4")
    store.finish(done, "w", 100, DONE)
    assert store.take_due(103, grace=60) == []
    assert sorted(j.id for j in store.take_due(106, grace=60)) == sorted([lost, parked])
    assert [j.id for j in store.take_due(111, grace=60)] == [dead]
    assert store.take_due(112, grace=60) == []  # pushed a grace period ahead, not woken twice


def test_expire_leases_frees_jobs_of_a_dead_process_at_once(store: Store) -> None:
    job = submit(store, "a")
    store.claim(job, "old-process", 100, LEASE, 3)
    assert store.expire_leases(101) == [job]
    assert store.claim(job, "new-process", 101, LEASE, 3).outcome == "run"
    assert store.get(job).state == RUNNING


def test_installations_are_recorded(store: Store) -> None:
    store.record_installation(5, "acme", "created", ["acme/a", "acme/b"], [], 1.0)
    store.record_installation(5, "acme", "repositories_removed", [], ["acme/a"], 2.0)
    store.record_installation(5, "acme", "repositories_added", ["acme/c"], [], 3.0)
    assert store.installation(5) == {"account": "acme", "action": "repositories_added",
                                     "repositories": ["acme/b", "acme/c"], "updated_at": 3.0}
    assert store.installation(6) is None
    store.ping()


def test_sqlite_state_survives_reopening(tmp_path: Path) -> None:
    first = SqliteStore(tmp_path / "state.db")
    job = submit(first, "a")
    first.claim(job, "w1", 100, LEASE, 3)
    first.close()
    again = SqliteStore(tmp_path / "state.db")
    assert again.get(job).state == RUNNING
    assert again.accept("a", 200).duplicate
    again.close()


def test_jobs_are_listed_under_their_current_state_only(store: Store) -> None:
    job = submit(store, "a")
    assert store._ids_in_state(QUEUED) == [job]
    store.claim(job, "w1", 100, LEASE, 3)
    assert (store._ids_in_state(QUEUED), store._ids_in_state(RUNNING)) == ([], [job])
    store.finish(job, "w1", 101, DONE)
    assert store._ids_in_state(RUNNING) == []


def test_old_deliveries_and_finished_jobs_are_forgotten(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "state.db")
    old = submit(store, "old", now=0.0)
    store.finish(old, "w", 1.0, DONE)
    running = submit(store, "recent", now=950.0, key="k#2")
    assert store.prune(1000.0, deliveries_older_than=100.0, jobs_older_than=100.0) == 2  # a delivery and a job
    assert store.get(old) is None and store.get(running) is not None
    assert not store.accept("old", 1001.0).duplicate  # forgotten: GitHub never redelivers that late
    store.close()


def _commands(client: redis.Redis) -> dict[str, int]:
    return {name: stats["calls"] for name, stats in client.info("commandstats").items()}


@pytest.mark.redis
def test_taking_a_delivery_in_redis_is_one_round_trip_writing_what_a_transaction_wrote(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    client.flushdb()
    store = RedisStore(client)
    store.accept("warm-up", 50.0)  # loads the script once
    before = _commands(client)
    accepted = store.accept("d-1", 100.0, key=KEY, payload={"delivery": "d-1"}, wake_at=100.0, requeue_after=5.0)
    after = _commands(client)
    spent = {name: after[name] - before.get(name, 0) for name in after if after[name] != before.get(name, 0)}
    # commandstats also counts the commands the script ran inside Redis; the client sent one EVALSHA only
    assert spent.pop("cmdstat_evalsha") == 1
    assert set(spent) <= {"cmdstat_info", "cmdstat_set", "cmdstat_hset", "cmdstat_sadd", "cmdstat_zadd"}
    job = store.get(accepted.job_id or "")
    assert job is not None and job.state == QUEUED and job.payload == {"delivery": "d-1"} and job.due_at == 105.0
    assert store._ids_in_state(QUEUED) == [job.id]
    assert store._due_ids(105.0) == [job.id] and store._due_ids(104.9) == []
    assert client.hget(f"flux-review:pull:{KEY}", "latest") == job.id.encode()
    assert 0 < client.ttl("flux-review:delivery:d-1") <= 30 * 24 * 3600
    assert store.accept("d-1", 101.0, key=KEY, payload={}).duplicate
    assert store._ids_in_state(QUEUED) == [job.id]
    store.close()


@pytest.mark.redis
def test_deliveries_are_taken_after_redis_forgets_its_scripts(redis_url: str) -> None:
    """A restarted Redis has no scripts loaded: the first delivery after it loads the script again."""
    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    client.flushdb()
    store = RedisStore(client)
    older = submit(store, "before")
    client.script_flush()
    newer = submit(store, "after")
    assert store.is_latest(newer) and not store.is_latest(older)
    assert sorted(store._ids_in_state(QUEUED)) == sorted([older, newer])
    assert store.accept("after", 101.0, key=KEY, payload={}).duplicate
    store.close()
