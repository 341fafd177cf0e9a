"""The queue: submissions persisted before they return, debounced wake-ups, the reaper, the data-folder lock."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from bot_support.inprocess import settings_for
from bot_support.waiting import wait_until

from bot.jobs import Queue, Workers, build_huey
from bot.review_request import ReviewRequest
from bot.state import FINALIZING, QUEUED, SqliteStore

REQUEST = ReviewRequest(1, "acme/fleet", 7, "a" * 40, "main", "pull_request.opened", "d-1")


def make_queue(tmp_path: Path, **tuning: object) -> Queue:
    settings = settings_for("http://127.0.0.1:9", tmp_path, **tuning)
    return Queue(settings, SqliteStore(tmp_path / "state.db"))


def test_submit_persists_the_job_before_returning_due_after_the_delay(tmp_path: Path) -> None:
    queue = make_queue(tmp_path, review_delay=30.0)
    queue.clock = lambda: 1000.0
    accepted = queue.submit("d-1", REQUEST)
    job = queue.store.get(accepted.job_id)
    assert job is not None and job.state == QUEUED and job.key == REQUEST.key and job.due_at == 1030.0
    assert ReviewRequest.from_payload(job.payload) == REQUEST
    # Embedded mode: no wake-up written to huey; the ledger says when the job is due.
    assert queue.huey.scheduled_count() + queue.huey.pending_count() == 0
    assert queue.submit("d-1", REQUEST).duplicate
    assert [job.id for job in queue.store.take_due(1029.0, 60.0)] == []
    assert [job.id for job in queue.store.take_due(1030.0, 60.0)] == [accepted.job_id]


def test_in_scale_out_mode_submit_also_schedules_the_wakeup(tmp_path: Path) -> None:
    queue = make_queue(tmp_path, review_delay=30.0)
    queue.wakes_from_ledger = False  # as with REDIS_URL; huey here stays on SQLite
    queue.clock = lambda: 1000.0
    accepted = queue.submit("d-1", REQUEST)
    assert queue.huey.scheduled_count() + queue.huey.pending_count() == 1
    job = queue.store.get(accepted.job_id)
    assert job is not None and job.due_at == 1030.0 + queue.settings.tuning.requeue_after  # in case it is lost


def test_the_reaper_wakes_a_due_job_and_its_wakeup_outlives_the_process(tmp_path: Path) -> None:
    queue = make_queue(tmp_path, review_delay=0.0)
    queue.submit("d-1", REQUEST)
    assert queue.reap() == 1
    again = Queue(queue.settings, SqliteStore(tmp_path / "state.db"), build_huey(queue.settings))
    assert again.huey.pending_count() == 1  # the wake-up is in SQLite too


def test_the_wakeup_queue_syncs_like_the_ledger_not_at_every_commit(tmp_path: Path) -> None:
    """huey's default (synchronous=FULL) cost an fsync per accepted delivery under its write lock."""
    queue = make_queue(tmp_path)
    queue.submit("d-1", REQUEST)
    connection = queue.huey.storage.conn
    assert connection.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert connection.execute("pragma synchronous").fetchone()[0] == 1  # NORMAL


def test_workers_run_bound_functions_and_the_reaper_wakes_lost_jobs(tmp_path: Path) -> None:
    queue = make_queue(tmp_path, review_delay=0.0, requeue_after=0.2, job_lease=1.0)
    seen: list[str] = []
    finalized: list[str] = []
    done = threading.Event()

    def review(job_id: str) -> None:
        seen.append(job_id)
        if len(seen) >= 2:
            done.set()

    queue.bind(review, finalized.append)
    workers = Workers(queue, threads=1, embedded=True)
    job = queue.store.accept("lost", 0.0, key="1/acme/fleet#9", payload={}, wake_at=0.0, requeue_after=0.2).job_id
    try:
        workers.start()
        queue.submit("d-2", REQUEST)
        wait_until(done.is_set, 10, what="two jobs to run")
        assert job in seen  # never enqueued in huey: the reaper found it
        parked = queue.submit("d-3", ReviewRequest(1, "acme/fleet", 8, "b" * 40, "main", "x")).job_id
        queue.store.finalize_later(parked, 0.0, {"outcome": {}}, wake_at=0.0)
        wait_until(lambda: parked in finalized, 10, what="the parked job's finalization")
        assert queue.store.get(parked).state == FINALIZING
    finally:
        workers.stop(graceful=False)


def test_one_embedded_consumer_per_data_folder(tmp_path: Path) -> None:
    queue = make_queue(tmp_path)
    first = Workers(queue, threads=1, embedded=True)
    first.prepare()
    try:
        with pytest.raises(RuntimeError, match="another flux-review process"):
            Workers(make_queue(tmp_path), threads=1, embedded=True).prepare()
    finally:
        first.stop(graceful=False)
    again = Workers(make_queue(tmp_path), threads=1, embedded=True)
    again.prepare()  # free again
    again.stop(graceful=False)


def test_a_process_that_only_submits_refuses_to_run_jobs(tmp_path: Path) -> None:
    queue = make_queue(tmp_path)
    with pytest.raises(RuntimeError, match="does not run them"):
        queue._run_review("x")
