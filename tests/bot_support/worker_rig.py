"""A job runner wired to an in-process simulator and a SQLite ledger; wake-ups are recorded, not queued."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from github_sim import GitHubSim

from bot.github import GitHubApps
from bot.jobs import Queue
from bot.pacing import LocalPacer
from bot.review_request import ReviewRequest
from bot.settings import Settings
from bot.state import SqliteStore
from bot.worker import JobRunner
from bot_support.inprocess import settings_for
from bot_support.keys import key_pair


@dataclass
class RecordingQueue:
    """Stands in for ``bot.jobs.Queue`` in the runner: remembers wake-ups instead of enqueueing them."""

    store: SqliteStore
    settings: Settings
    woken: list[tuple[str, float]] = field(default_factory=list)
    finalizers: list[tuple[str, float]] = field(default_factory=list)
    wakes_from_ledger: bool = False  # submit records a wake-up, as scale-out mode enqueues one

    def wake(self, job_id: str, delay: float = 0.0) -> None:
        self.woken.append((job_id, delay))

    def wake_finalizer(self, job_id: str, delay: float = 0.0) -> None:
        self.finalizers.append((job_id, delay))

    def submit(self, delivery: str, request: ReviewRequest):
        return Queue.submit(self, delivery, request)  # type: ignore[arg-type]

    @property
    def clock(self):
        import time

        return time.time


@dataclass
class Rig:
    sim: GitHubSim
    store: SqliteStore
    queue: RecordingQueue
    runner: JobRunner

    def submit(self, request: ReviewRequest, delivery: str = "d") -> str:
        accepted = self.queue.submit(delivery, request)
        assert accepted.job_id
        return accepted.job_id


def make_rig(tmp_path: Path, **tuning: object) -> Rig:
    sim = GitHubSim("4242", key_pair()[1]).start()
    settings = settings_for(sim.url, tmp_path, **tuning)
    store = SqliteStore(tmp_path / "state.db")
    queue = RecordingQueue(store, settings)
    runner = JobRunner(settings, store, queue, GitHubApps(settings, LocalPacer()), "test-worker")  # type: ignore[arg-type]
    return Rig(sim, store, queue, runner)
