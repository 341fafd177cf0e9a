"""Group commit: writes submitted together share a transaction, each caller gets its own result, errors reach all."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from bot_support.inprocess import settings_for
from bot_support.waiting import wait_until

from bot.jobs import Queue
from bot.review_request import ReviewRequest
from bot.state import QUEUED, SqliteStore
from bot.state.group_commit import GroupCommit


class Recorder:
    """A commit function that remembers its batches and can hold the first one until released."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.batches: list[list[str]] = []
        self.entered = threading.Event()
        self.release = threading.Event()
        self.fail_on = fail_on

    def __call__(self, writes: Sequence[str]) -> list[str]:
        self.batches.append(list(writes))
        if len(self.batches) == 1:
            self.entered.set()
            assert self.release.wait(10)
        if self.fail_on in writes:
            raise OSError("disk full")
        return [write.upper() for write in writes]


def in_threads(count: int, work: Callable[[int], None]) -> list[threading.Thread]:
    threads = [threading.Thread(target=work, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    return threads


def join(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join(timeout=10)
        assert not thread.is_alive()


def test_writes_arriving_during_a_commit_share_the_next_one_and_each_caller_gets_its_own_result() -> None:
    commit = Recorder()
    group: GroupCommit[str, str] = GroupCommit(commit)
    results: dict[str, str] = {}
    first = in_threads(1, lambda n: results.__setitem__("w0", group.submit("w0")))
    assert commit.entered.wait(10)
    rest = in_threads(6, lambda n: results.__setitem__(f"w{n + 1}", group.submit(f"w{n + 1}")))
    wait_until(lambda: len(group._pending) == 6, 10, 0.005, "six writes pending")
    commit.release.set()
    join(first + rest)
    assert commit.batches[0] == ["w0"]
    assert sorted(commit.batches[1]) == [f"w{n}" for n in range(1, 7)]  # one transaction for the six
    assert len(commit.batches) == 2
    assert results == {f"w{n}": f"W{n}" for n in range(7)}


def test_a_failed_commit_fails_every_write_of_its_batch_and_only_those() -> None:
    commit = Recorder(fail_on="bad")
    group: GroupCommit[str, str] = GroupCommit(commit)
    outcomes: dict[str, str] = {}

    def submit(write: str) -> None:
        try:
            outcomes[write] = group.submit(write)
        except OSError as error:
            outcomes[write] = f"error: {error}"

    first = in_threads(1, lambda n: submit("first"))
    assert commit.entered.wait(10)
    batch = in_threads(3, lambda n: submit(("bad", "ok1", "ok2")[n]))
    wait_until(lambda: len(group._pending) == 3, 10, 0.005, "three writes pending")
    commit.release.set()
    join(first + batch)
    assert outcomes == {"first": "FIRST", "bad": "error: disk full", "ok1": "error: disk full",
                        "ok2": "error: disk full"}
    assert group.submit("later") == "LATER"  # the next batch commits as usual


def test_each_threads_writes_are_committed_once_in_the_order_it_submitted_them() -> None:
    batches: list[list[tuple[int, int]]] = []
    group: GroupCommit[tuple[int, int], int] = GroupCommit(lambda writes: batches.append(list(writes)) or
                                                          [n for _, n in writes])

    def many(thread: int) -> None:
        for n in range(200):
            assert group.submit((thread, n)) == n

    join(in_threads(8, many))
    written = [write for batch in batches for write in batch]
    assert sorted(written) == sorted((t, n) for t in range(8) for n in range(200))
    for thread in range(8):
        assert [n for t, n in written if t == thread] == list(range(200))


def test_the_same_delivery_twice_in_one_batch_is_a_duplicate_the_second_time(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "state.db")
    answers: list[bool] = []
    with store._deliveries._leading:  # a commit in progress: both deliveries wait and go into the next batch
        threads = in_threads(2, lambda n: answers.append(store.accept("same", 1.0, key="1/acme/fleet#1",
                                                                      payload={}).duplicate))
        wait_until(lambda: len(store._deliveries._pending) == 2, 10, 0.005, "two deliveries pending")
    join(threads)
    assert sorted(answers) == [False, True]
    assert store.count(QUEUED) == 1
    store.close()


def test_wakeups_of_many_request_threads_are_all_scheduled(tmp_path: Path) -> None:
    settings = settings_for("http://127.0.0.1:9", tmp_path, review_delay=30.0)
    queue = Queue(settings, SqliteStore(tmp_path / "state.db"))

    def submit(thread: int) -> None:
        for n in range(25):
            request = ReviewRequest(1, "acme/fleet", thread * 100 + n, "a" * 40, "main", "pull_request.opened",
                                    f"d-{thread}-{n}")
            queue.submit(f"d-{thread}-{n}", request)

    join(in_threads(8, submit))
    assert queue.huey.scheduled_count() + queue.huey.pending_count() == 8 * 25
    assert queue.store.count(QUEUED) == 8 * 25
