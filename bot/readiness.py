"""``GET /readyz``: whether this process can take work now, answered within a bound whatever hangs.

``/healthz`` says the process is alive. ``/readyz`` says it can do its job:
the state store answers (SQLite under ``DATA_DIR`` in embedded mode, Redis's
PING in scale-out mode) and ``DATA_DIR`` is a directory a file can be
created in (the queue, the ledger and the App's key live there). A load
balancer or Kubernetes then stops sending webhooks to a process that could
only answer them with errors.

The checks run on a prober thread of their own and a request waits at most
``PROBE_TIMEOUT`` for them, so a hung filesystem or a Redis that accepts
connections but never answers makes the answer "not ready", never a hung
request. Requests arriving while a check runs share its result, and a check
that is stuck is not started again, so probes cannot pile up threads. The
same thread counts the waiting jobs for ``/metrics`` (``bot.metrics.QueueDepth``):
one bounded road to the ledger for everything that is asked from outside.
"""

from __future__ import annotations

import logging
import os
import queue
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from bot.settings import Settings
from bot.state import QUEUED, RedisStore, Store

log = logging.getLogger(__name__)

PROBE_TIMEOUT = 2.0  # seconds a /readyz request (or a scrape's queue count) waits for the checks
REDIS_TIMEOUT = 1.0  # seconds to connect to Redis and to get its answer, once, without retries

T = TypeVar("T")


@dataclass(frozen=True)
class Verdict:
    """The answer to ``/readyz``: ready, or not ready with the reason in plain words."""

    ready: bool
    mode: str
    reason: str = ""

    @property
    def status(self) -> int:
        return 200 if self.ready else 503

    def body(self) -> dict[str, str]:
        if self.ready:
            return {"status": "ready", "mode": self.mode}
        return {"status": "not ready", "reason": self.reason, "mode": self.mode}


class Unanswered(Exception):
    """A check did not finish in time; ``step`` names what it was waiting for."""

    def __init__(self, step: str) -> None:
        super().__init__(step)
        self.step = step


class _Task(Generic[T]):
    def __init__(self, work: Callable[[_Task[T]], T]) -> None:
        self.work = work
        self.step = "the check"
        self.done = threading.Event()
        self.value: T | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.value = self.work(self)
        except BaseException as error:  # handed to the waiting request
            self.error = error
        finally:
            self.done.set()


class Prober:
    """One daemon thread running the work handed to it, one task per key at a time; callers wait a bounded time.

    One long-lived thread (rather than one per request) also keeps the SQLite
    store at one connection for all the probes it serves.
    """

    def __init__(self, name: str = "flux-review-prober") -> None:
        self.name = name
        self._tasks: queue.SimpleQueue[_Task[Any]] = queue.SimpleQueue()
        self._pending: dict[str, _Task[Any]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def ask(self, key: str, work: Callable[[_Task[T]], T], timeout: float) -> T:
        """``work``'s result, or ``Unanswered`` after ``timeout`` s; joins a ``key`` task already under way."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._serve, name=self.name, daemon=True)
                self._thread.start()
            task = self._pending.get(key)
            if task is None or task.done.is_set():
                task = _Task(work)
                self._pending[key] = task
                self._tasks.put(task)
        if not task.done.wait(timeout):
            raise Unanswered(task.step)
        if task.error is not None:
            raise task.error
        return task.value  # type: ignore[return-value]

    def _serve(self) -> None:
        while True:
            self._tasks.get().run()


class Readiness:
    """The checks behind ``/readyz`` for one web process, and the bounded queue count for ``/metrics``."""

    def __init__(self, settings: Settings, store: Store, timeout: float = PROBE_TIMEOUT) -> None:
        self.settings = settings
        self.timeout = timeout
        self.mode = "scale-out" if settings.scale_out else "embedded"
        # The app's Redis client waits 30 s and retries; probes get their own that gives up within a second.
        self.store = probe_store(settings.redis_url) if settings.redis_url else store
        self._prober = Prober()
        self._last: Verdict | None = None
        self._last_lock = threading.Lock()

    def check(self) -> Verdict:
        """Ready or not, within ``timeout`` seconds (plus thread scheduling); never raises."""
        try:
            verdict = self._prober.ask("readiness", self._checks, self.timeout)
        except Unanswered as stuck:
            verdict = Verdict(False, self.mode, f"{stuck.step} did not answer within {self.timeout:g} s")
        except Exception as error:
            verdict = Verdict(False, self.mode, f"the readiness check failed ({type(error).__name__})")
        self._log_change(verdict)
        return verdict

    def waiting_jobs(self) -> int:
        """Jobs queued in the ledger (the queue depth); ``Unanswered`` when the ledger takes too long."""
        return self._prober.ask("queue depth", lambda task: self.store.count(QUEUED), self.timeout)

    def _checks(self, task: _Task[Verdict]) -> Verdict:
        task.step = "Redis" if self.settings.scale_out else "the state store"
        problem = self._store_problem()
        if problem is None:
            task.step = "the data directory (DATA_DIR)"
            problem = data_dir_problem(self.settings.data_dir)
        return Verdict(problem is None, self.mode, problem or "")

    def _store_problem(self) -> str | None:
        try:
            self.store.ping()
        except Exception as error:
            # Only the kind of error: a Redis error may name the server, never the URL's password, but say less.
            if self.settings.scale_out:
                return f"Redis did not answer PING ({type(error).__name__})"
            return f"the state store (SQLite in DATA_DIR) did not answer ({type(error).__name__})"
        return None

    def _log_change(self, verdict: Verdict) -> None:
        with self._last_lock:
            previous, self._last = self._last, verdict
        if verdict.ready and previous is not None and not previous.ready:
            log.info("ready again")
        elif not verdict.ready and (previous is None or previous.reason != verdict.reason):
            log.warning("not ready: %s", verdict.reason)


def data_dir_problem(data_dir: Path) -> str | None:
    """Why ``data_dir`` cannot hold the queue and the ledger now, or None: it must be a directory we can write in.

    Permissions alone do not answer that (root ignores them, a full or
    read-only filesystem does not show in them), so a small file is created,
    written and removed.
    """
    try:
        if not data_dir.exists():
            return "DATA_DIR does not exist"
        if not data_dir.is_dir():
            return "DATA_DIR is not a directory"
        handle, name = tempfile.mkstemp(prefix=".readyz-", dir=data_dir)
        try:
            os.write(handle, b"ready\n")
        finally:
            os.close(handle)
            os.unlink(name)
    except OSError as error:
        return f"DATA_DIR is not writable ({error.strerror or type(error).__name__})"
    return None


def probe_store(redis_url: str) -> RedisStore:
    """A ledger client for probes: one attempt, ``REDIS_TIMEOUT`` to connect and to answer."""
    client = redis.Redis.from_url(redis_url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT,
                                  retry=Retry(NoBackoff(), 0), health_check_interval=0)
    return RedisStore(client)
