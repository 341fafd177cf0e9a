"""Assembling a worker process: the pacer for the mode, the runner bound to the queue."""

from __future__ import annotations

from pathlib import Path

from bot_support.inprocess import settings_for

from bot.jobs import Queue
from bot.runtime import build_workers
from bot.state import SqliteStore


def test_embedded_workers_are_bound_and_not_started(tmp_path: Path) -> None:
    settings = settings_for("http://127.0.0.1:9", tmp_path)
    queue = Queue(settings, SqliteStore(tmp_path / "state.db"))
    workers = build_workers(queue, threads=3)
    assert workers.embedded and workers.threads == 3 and workers.consumer is None
    assert queue._review is not None and queue._finalize is not None
