"""The queue: one task API (huey) over two storages, plus the reaper that makes jobs survive crashes.

Embedded mode keeps huey's queue in SQLite under ``DATA_DIR`` and runs the
consumer in the review worker process that ``flux-review serve`` starts
(``bot.consumer``). Scale-out mode (``REDIS_URL``) keeps it in Redis; web
processes only enqueue and ``flux-review worker`` processes consume, on any
machines.

What a job *is* lives in the ledger (``bot.state``), written before the
webhook is answered, with the time it is due: ``FLUX_REVIEW_REVIEW_DELAY``
after its delivery, so a burst of pushes wakes the newest job once. huey
carries wake-ups ("look at job X"). In scale-out mode the web process
enqueues each new job's wake-up, delayed until it is due. In embedded mode
it does not: the reaper of the review worker process reads the ledger every
``FLUX_REVIEW_QUEUE_POLL`` seconds and wakes the jobs that are due, so
answering a delivery costs one commit (the ledger's) instead of two, and
the ledger stays the one place a job is written. huey drops a message as
soon as a worker takes it, so the reaper also closes that gap: it wakes
jobs whose wake-up was lost and jobs whose lease expired because their
process died, and, in embedded mode, every job left running by the
previous process as soon as it starts.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from huey import RedisHuey, SqliteHuey
from huey.api import Huey
from huey.consumer import Consumer
from huey.storage import SqliteStorage

from bot import logs, metrics
from bot.review_request import ReviewRequest
from bot.settings import Settings
from bot.state import FINALIZING, Accepted, Store
from bot.state.writers import WriteLock

log = logging.getLogger(__name__)

REVIEW_TASK = "flux_review.review"
KEEP_DELIVERIES = 30 * 24 * 3600.0  # GitHub redelivers only on request, and not after that long
KEEP_FINISHED_JOBS = 14 * 24 * 3600.0
PRUNE_EVERY = 3600.0
FINALIZE_TASK = "flux_review.finalize"


def worker_identity() -> str:
    """A name unique to this process, shown in job records as their owner."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def build_huey(settings: Settings) -> Huey:
    """huey on SQLite (embedded) or Redis (scale-out). Results are not kept: the ledger holds outcomes."""
    if settings.redis_url:
        return RedisHuey("flux-review", url=settings.redis_url, results=False, blocking=True, read_timeout=1)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("flux-review", filename=str(settings.data_dir / "queue.db"), results=False, timeout=30,
                      storage_class=WakeUpStorage)


class WakeUpStorage(SqliteStorage):
    """huey's SQLite queue with ``synchronous=NORMAL``, as the ledger has, instead of huey's default FULL,
    and its writers of every process queued on one lock (``bot.state.writers``), as the ledger's are.

    In WAL mode FULL syncs the log to disk at every commit: one fsync per
    accepted delivery, taken under SQLite's write lock, so a burst of
    deliveries queued behind it (the wake-up write was most of a webhook's
    time under load). NORMAL survives the process being killed and never
    corrupts the file; a power cut may lose the last wake-ups, which hold no
    job: the job is in the ledger, and the reaper wakes it.
    """

    _writers: WriteLock | None = None  # made at the first write: huey writes its tables from its constructor

    def _create_connection(self):  # type: ignore[no-untyped-def]  # huey's own hook, untyped there
        connection = super()._create_connection()
        connection.execute("pragma synchronous=normal")
        return connection

    @contextlib.contextmanager
    def db(self, commit: bool = False, close: bool = False) -> Iterator[Any]:
        """huey's transaction, entered holding the queue's write lock when it writes.

        The review worker process takes wake-ups (a write) each time it polls
        the queue, while the web process adds them: without the lock a delivery
        met SQLite's busy handler and its sleeps.
        """
        if not commit:
            with super().db(commit=False, close=close) as cursor:
                yield cursor
            return
        if self._writers is None:
            self._writers = WriteLock(Path(self.filename))
        with self._writers.held(), super().db(commit=True, close=close) as cursor:
            yield cursor


class Queue:
    """Submitting work (web side) and running it (worker side) over one huey instance.

    Both sides register the same task names; a worker process ``bind``s the
    functions that do the work.
    """

    def __init__(self, settings: Settings, store: Store, huey: Huey | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.store = store
        self.huey = huey if huey is not None else build_huey(settings)
        self.clock = clock
        self._next_prune = 0.0
        self._review: Callable[[str], None] | None = None
        self._finalize: Callable[[str], None] | None = None
        self._review_task = self.huey.task(name=REVIEW_TASK)(self._run_review)
        self._finalize_task = self.huey.task(name=FINALIZE_TASK)(self._run_finalize)
        # Embedded mode: a new job's first wake-up comes from the reaper reading the ledger (module docstring).
        self.wakes_from_ledger = not settings.redis_url

    # -- web side ------------------------------------------------------------------
    def submit(self, delivery: str, request: ReviewRequest) -> Accepted:
        """Persist a review job (with its delivery id), due after the debounce delay.

        Scale-out mode also enqueues its wake-up for then, and lets the reaper
        look at it ``requeue_after`` later in case that wake-up is lost;
        embedded mode's reaper wakes it when it is due.
        """
        now = self.clock()
        delay = self.settings.tuning.review_delay
        requeue_after = 0.0 if self.wakes_from_ledger else self.settings.tuning.requeue_after
        accepted = self.store.accept(delivery, now, key=request.key, payload=request.to_payload(),
                                     wake_at=now + delay, requeue_after=requeue_after)
        if accepted.job_id is not None:
            metrics.JOBS_QUEUED.labels(request.reason or "unknown").inc()
            if not self.wakes_from_ledger:
                self.wake(accepted.job_id, delay)
        return accepted

    def wake(self, job_id: str, delay: float = 0.0) -> None:
        """Ask a worker to look at a job. A lost wake-up is repaired by the reaper, so failures only log."""
        try:
            if delay > 0:
                self._review_task.schedule(args=(job_id,), delay=delay)
            else:
                self._review_task(job_id)
        except Exception:
            log.exception("job %s: could not enqueue its wake-up; the reaper will wake it", job_id)

    def wake_finalizer(self, job_id: str, delay: float = 0.0) -> None:
        """Ask a worker to complete a job's Check Run with the output parked in the ledger."""
        try:
            if delay > 0:
                self._finalize_task.schedule(args=(job_id,), delay=delay)
            else:
                self._finalize_task(job_id)
        except Exception:
            log.exception("job %s: could not enqueue its finalization; the reaper will retry it", job_id)

    # -- worker side ---------------------------------------------------------------
    def bind(self, review: Callable[[str], None], finalize: Callable[[str], None]) -> None:
        """Set the functions that run a review job and a finalization in this process."""
        self._review, self._finalize = review, finalize

    def _run_review(self, job_id: str) -> None:
        if self._review is None:
            raise RuntimeError("this process submits jobs but does not run them")
        self._review(job_id)

    def _run_finalize(self, job_id: str) -> None:
        if self._finalize is None:
            raise RuntimeError("this process submits jobs but does not run them")
        self._finalize(job_id)

    def reap(self) -> int:
        """Wake every job that needs it (see the module docstring); returns how many."""
        grace = max(self.settings.tuning.job_lease, 1.0)
        now = self.clock()
        if now >= self._next_prune:
            self._next_prune = now + PRUNE_EVERY
            pruned = self.store.prune(now, KEEP_DELIVERIES, KEEP_FINISHED_JOBS)
            if pruned:
                log.info("forgot %d old delivery ids and finished jobs", pruned)
        due = self.store.take_due(now, grace)
        for job in due:
            with logs.scope(job=job.id):
                # Embedded mode: every new job passes here once (its first wake-up); otherwise a lost one.
                log.info("job %s (%s): due, waking it (state %s)", job.id, job.key, job.state)
                if job.state == FINALIZING:
                    self.wake_finalizer(job.id)
                else:
                    self.wake(job.id)
        return len(due)


class _QuietConsumer(Consumer):
    """huey's consumer without its signal handlers: the process that embeds it owns the signals."""

    def _set_signal_handlers(self) -> None:
        pass


class Workers:
    """Consumer threads and the reaper thread of one process.

    ``embedded`` takes an exclusive lock on ``DATA_DIR`` (two embedded
    servers on one data folder would each think the other's jobs orphaned)
    and then treats every job still marked running as left by a dead
    process, so it is resumed at once. ``lock_held``: the process was handed
    the lock by the one that took it (``bot.consumer``) and does not take it.
    """

    def __init__(self, queue: Queue, *, threads: int, embedded: bool, lock_held: bool = False) -> None:
        self.queue = queue
        self.threads = threads
        self.embedded = embedded
        self.lock_held = lock_held
        tuning = queue.settings.tuning
        # Embedded mode's reaper wakes every new job: it reads the ledger as often as huey's consumer polls.
        self.reap_interval = tuning.queue_poll if queue.wakes_from_ledger else max(0.2, min(tuning.job_lease / 4, 10.0))
        self._stop = threading.Event()
        self._reaper: threading.Thread | None = None
        self._lock_file: IO[str] | None = None
        self.consumer: Consumer | None = None

    def prepare(self) -> None:
        """Take the data-folder lock and recover orphans (embedded mode), before any thread starts."""
        if self.embedded:
            if not self.lock_held:
                self._lock_file = lock_data_dir(self.queue.settings.data_dir)
            orphans = self.queue.store.expire_leases(self.queue.clock())
            if orphans:
                log.warning("resuming %d job(s) left running by a previous process", len(orphans))

    def make_consumer(self, quiet: bool) -> Consumer:
        tuning = self.queue.settings.tuning
        consumer_class = _QuietConsumer if quiet else Consumer
        return consumer_class(
            self.queue.huey, workers=self.threads, periodic=False, worker_type="thread",
            initial_delay=min(0.1, tuning.queue_poll), backoff=1.5, max_delay=tuning.queue_poll,
            scheduler_interval=1, check_worker_health=True, health_check_interval=5,
            graceful_signal="TERM", shutdown_timeout=max(5.0, tuning.job_lease / 2),
        )

    def start(self) -> None:
        """Run the consumer threads in the background (embedded mode)."""
        self.prepare()
        self.start_reaper()
        self.consumer = self.make_consumer(quiet=True)
        self.consumer.start()
        threading.Thread(target=self._supervise, name="flux-review-supervisor", daemon=True).start()

    def run_forever(self) -> None:
        """Run the consumer in the foreground with its signal handling (``flux-review worker``)."""
        self.prepare()
        self.start_reaper()
        self.consumer = self.make_consumer(quiet=False)
        try:
            self.consumer.run()
        finally:
            self._stop.set()

    def start_reaper(self) -> None:
        self.queue.reap()
        self._reaper = threading.Thread(target=self._reap_loop, name="flux-review-reaper", daemon=True)
        self._reaper.start()

    def stop(self, graceful: bool = True) -> None:
        self._stop.set()
        if self.consumer is not None:
            self.consumer.stop(graceful=graceful)
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def _reap_loop(self) -> None:
        while not self._stop.wait(self.reap_interval):
            try:
                self.queue.reap()
            except Exception:
                log.exception("reaper: could not read the job ledger; retrying")

    def _supervise(self) -> None:
        """Restart consumer threads that died (huey's own loop does this only in ``run``)."""
        while not self._stop.wait(5.0):
            if self.consumer is not None:
                try:
                    self.consumer.check_worker_health()
                except Exception:
                    log.exception("could not check the worker threads")


def ensure_data_dir_free(data_dir: Path) -> None:
    """Fail early, with the reason, when another embedded server already runs jobs from ``data_dir``."""
    lock_data_dir(data_dir).close()


def lock_data_dir(data_dir: Path, wait: float = 0.0, clock: Callable[[], float] = time.monotonic) -> IO[str]:
    """The data folder's lock, held as long as the returned file is open (in this process or a child given it).

    ``wait``: seconds to keep trying, for a web worker process started again
    while the review worker process of the one before it finishes its reviews.
    ``RuntimeError`` when another process still holds it.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    handle = open(data_dir / "consumer.lock", "w")  # noqa: SIM115 - held for the process's life
    deadline = clock() + wait
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except OSError:
            if clock() < deadline:
                time.sleep(0.1)
                continue
        handle.close()
        raise RuntimeError(
            f"another flux-review process already runs jobs from {data_dir}; "
            "use one `flux-review serve` per DATA_DIR, or REDIS_URL for several processes"
        ) from None
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle
