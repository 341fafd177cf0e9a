"""Job records, pull-request locks and delivery ids: the rules, independent of where they are stored.

huey moves wake-ups ("run job X now") between processes; this ledger is
what makes the work durable and orderly:

- a job record is written, with its webhook's delivery id, before GitHub
  gets its 202; a delivery id seen before creates nothing;
- every job belongs to a *key* (one pull request); the key remembers its
  newest job, so an older job that wakes up is superseded without running
  (coalescing), and the job that runs holds the key's lease, so two reviews
  of one pull request never run at once, in any process;
- a running job holds a lease it renews while alive; a job whose process
  was killed loses its lease, and the reaper wakes it again (it runs after
  a restart, reusing the Check Run it had created);
- a job whose Check Run could not be completed is parked as *finalizing*
  with the output to post, and retried until it is posted.

Storages implement a handful of primitives (``_insert``, ``_modify``, ...)
atomically; every decision is made here, once, for both storages.
"""

from __future__ import annotations

import json
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

QUEUED = "queued"
RUNNING = "running"
FINALIZING = "finalizing"
DONE = "done"
SUPERSEDED = "superseded"
FAILED = "failed"
TERMINAL = frozenset({DONE, SUPERSEDED, FAILED})

R = TypeVar("R")


@dataclass
class JobRecord:
    """One unit of work and where it stands. ``due_at``: when the reaper should look at it again."""

    id: str
    key: str
    payload: dict[str, Any]
    state: str = QUEUED
    attempts: int = 0
    owner: str = ""
    lease_until: float = 0.0
    check_run_id: int | None = None
    final_output: dict[str, Any] | None = None
    outcome: str = ""
    created_at: float = 0.0
    updated_at: float = 0.0
    due_at: float | None = None

    def to_fields(self) -> dict[str, str]:
        """Flat text fields (a Redis hash, SQLite columns)."""
        return {
            "id": self.id,
            "key": self.key,
            "payload": json.dumps(self.payload, sort_keys=True),
            "state": self.state,
            "attempts": str(self.attempts),
            "owner": self.owner,
            "lease_until": repr(self.lease_until),
            "check_run_id": "" if self.check_run_id is None else str(self.check_run_id),
            "final_output": "" if self.final_output is None else json.dumps(self.final_output, sort_keys=True),
            "outcome": self.outcome,
            "created_at": repr(self.created_at),
            "updated_at": repr(self.updated_at),
            "due_at": "" if self.due_at is None else repr(self.due_at),
        }

    @classmethod
    def from_fields(cls, fields: dict[str, str]) -> JobRecord:
        return cls(
            id=fields["id"],
            key=fields["key"],
            payload=json.loads(fields["payload"]),
            state=fields["state"],
            attempts=int(fields["attempts"]),
            owner=fields.get("owner", ""),
            lease_until=float(fields.get("lease_until") or 0),
            check_run_id=int(fields["check_run_id"]) if fields.get("check_run_id") else None,
            final_output=json.loads(fields["final_output"]) if fields.get("final_output") else None,
            outcome=fields.get("outcome", ""),
            created_at=float(fields.get("created_at") or 0),
            updated_at=float(fields.get("updated_at") or 0),
            due_at=float(fields["due_at"]) if fields.get("due_at") else None,
        )


@dataclass
class PullRecord:
    """A coalescing key's newest job and the job holding its lock (until ``lease_until``)."""

    key: str
    latest: str = ""
    running: str = ""
    lease_until: float = 0.0


@dataclass(frozen=True)
class Accepted:
    """The answer to a delivery: seen before (``duplicate``) or taken, with the job it created."""

    duplicate: bool
    job_id: str | None = None


@dataclass(frozen=True)
class Claim:
    """What a worker may do with a job it was woken for.

    ``run``: it holds the job and the pull request's lock. ``superseded``: a
    newer job exists (a Check Run it had created must be closed).
    ``busy``: another job of the pull request runs; try again later.
    ``exhausted``: too many attempts were interrupted; close it as failed.
    ``gone``: nothing to do (finished, or running elsewhere).
    """

    outcome: str
    job: JobRecord | None = None


@dataclass(frozen=True)
class Finished:
    """After a job ends: the key's newest job, when it still waits (wake it now)."""

    next_job: str | None = None


@dataclass
class _Change:
    """A transition's verdict: what to write back, and what to answer."""

    result: Any
    job: JobRecord | None = None
    pull: PullRecord | None = None
    extra: list[tuple[JobRecord, PullRecord | None]] = field(default_factory=list)


class Store(ABC):
    """The ledger. Times are epoch seconds passed in by the caller (tests control the clock)."""

    # -- primitives each storage implements atomically ------------------------
    @abstractmethod
    def _insert(self, delivery_id: str, now: float, job: JobRecord | None) -> bool:
        """Record a delivery id and, if new, the job and its key's ``latest``. False when seen before."""

    @abstractmethod
    def _modify(self, job_id: str, change: Callable[[JobRecord | None, PullRecord | None], _Change]) -> Any:
        """Load a job and its key's record, apply ``change``, write what it returns, atomically."""

    @abstractmethod
    def _due_ids(self, now: float) -> list[str]:
        """Ids of non-terminal jobs whose ``due_at`` has passed."""

    @abstractmethod
    def _ids_in_state(self, state: str) -> list[str]:
        """Ids of jobs in one state."""

    @abstractmethod
    def record_installation(self, installation_id: int, account: str, action: str,
                            added: list[str], removed: list[str], now: float) -> None:
        """Remember an installation event (repositories as full names)."""

    @abstractmethod
    def installation(self, installation_id: int) -> dict[str, Any] | None:
        """What was recorded of an installation: account, last action, repositories."""

    @abstractmethod
    def get(self, job_id: str) -> JobRecord | None:
        """A job record, or None."""

    @abstractmethod
    def prune(self, now: float, deliveries_older_than: float, jobs_older_than: float) -> int:
        """Forget old delivery ids and finished jobs; returns how many records went."""

    @abstractmethod
    def ping(self) -> None:
        """Raise if the storage cannot be reached (health checks)."""

    @abstractmethod
    def close(self) -> None:
        """Release connections."""

    # -- operations -------------------------------------------------------------
    def accept(self, delivery_id: str, now: float, key: str | None = None,
               payload: dict[str, Any] | None = None, wake_at: float | None = None,
               requeue_after: float = 600.0) -> Accepted:
        """Take a delivery: remember its id and persist its job (if any) in one step."""
        job = None
        if key is not None:
            due = (wake_at if wake_at is not None else now) + requeue_after
            job = JobRecord(id=uuid.uuid4().hex, key=key, payload=dict(payload or {}), created_at=now,
                            updated_at=now, due_at=due)
        if not self._insert(delivery_id, now, job):
            return Accepted(duplicate=True)
        return Accepted(duplicate=False, job_id=job.id if job else None)

    def claim(self, job_id: str, owner: str, now: float, lease: float, max_attempts: int) -> Claim:
        """Try to start a job: see ``Claim`` for the outcomes."""

        def change(job: JobRecord | None, pull: PullRecord | None) -> _Change:
            if job is None or job.state in TERMINAL or job.state == FINALIZING:
                return _Change(Claim("gone", job))
            if job.state == RUNNING and job.lease_until > now:
                return _Change(Claim("gone", job))  # a duplicate wake-up: it runs elsewhere
            pull = pull or PullRecord(job.key, latest=job.id)
            if pull.latest and pull.latest != job.id:
                job.state, job.outcome, job.updated_at = SUPERSEDED, "superseded", now
                job.due_at = None
                if pull.running == job.id:
                    pull.running, pull.lease_until = "", 0.0
                return _Change(Claim("superseded", job), job, pull)
            if pull.running and pull.running != job.id and pull.lease_until > now:
                return _Change(Claim("busy", job))
            if job.attempts >= max_attempts:
                job.owner, job.updated_at = owner, now
                pull.running, pull.lease_until = "", 0.0
                return _Change(Claim("exhausted", job), job, pull)
            job.state, job.owner, job.attempts = RUNNING, owner, job.attempts + 1
            job.lease_until = job.due_at = now + lease
            job.updated_at = now
            pull.running, pull.lease_until = job.id, now + lease
            return _Change(Claim("run", job), job, pull)

        return self._modify(job_id, change)

    def heartbeat(self, job_id: str, owner: str, now: float, lease: float) -> bool:
        """Renew a running job's lease; False when the job is no longer ours (stop working on it)."""

        def change(job: JobRecord | None, pull: PullRecord | None) -> _Change:
            if job is None or job.state != RUNNING or job.owner != owner:
                return _Change(False)
            job.lease_until = job.due_at = now + lease
            if pull is not None and pull.running == job.id:
                pull.lease_until = now + lease
            return _Change(True, job, pull)

        return self._modify(job_id, change)

    def is_latest(self, job_id: str) -> bool:
        """Whether no newer job exists for the job's pull request."""
        return self._modify(job_id, lambda job, pull: _Change(
            job is not None and (pull is None or not pull.latest or pull.latest == job.id)))

    def set_check_run(self, job_id: str, check_run_id: int) -> None:
        """Remember the Check Run a job created, so a rerun or a finalizer reuses it."""

        def change(job: JobRecord | None, pull: PullRecord | None) -> _Change:
            if job is None:
                return _Change(None)
            job.check_run_id = check_run_id
            return _Change(None, job)

        self._modify(job_id, change)

    def finish(self, job_id: str, owner: str, now: float, state: str = DONE, outcome: str = "") -> Finished:
        """End a job (done, superseded or failed) and release its pull request's lock."""

        def change(job: JobRecord | None, pull: PullRecord | None) -> _Change:
            if job is None:
                return _Change(Finished())
            job.state, job.outcome, job.updated_at, job.due_at = state, outcome or state, now, None
            job.final_output = None
            job.lease_until = 0.0
            next_job = None
            if pull is not None:
                if pull.running == job.id:
                    pull.running, pull.lease_until = "", 0.0
                if pull.latest and pull.latest != job.id:
                    next_job = pull.latest
            return _Change(Finished(next_job), job, pull)

        return self._modify(job_id, change)

    def retry_later(self, job_id: str, owner: str, now: float, wake_at: float, requeue_after: float) -> None:
        """Put a running job back in the queue (a transient failure), releasing the lock meanwhile."""

        def change(job: JobRecord | None, pull: PullRecord | None) -> _Change:
            if job is None or job.state != RUNNING or job.owner != owner:
                return _Change(None)
            job.state, job.owner, job.lease_until, job.updated_at = QUEUED, "", 0.0, now
            job.due_at = wake_at + requeue_after
            if pull is not None and pull.running == job.id:
                pull.running, pull.lease_until = "", 0.0
            return _Change(None, job, pull)

        self._modify(job_id, change)

    def finalize_later(self, job_id: str, now: float, output: dict[str, Any], wake_at: float) -> None:
        """Park a job whose Check Run still has to be completed with ``output``; its lock is released."""

        def change(job: JobRecord | None, pull: PullRecord | None) -> _Change:
            if job is None:
                return _Change(None)
            job.state, job.final_output, job.updated_at, job.due_at = FINALIZING, output, now, wake_at
            job.lease_until = 0.0
            if pull is not None and pull.running == job.id:
                pull.running, pull.lease_until = "", 0.0
            return _Change(None, job, pull)

        self._modify(job_id, change)

    def take_due(self, now: float, grace: float) -> list[JobRecord]:
        """Jobs the reaper must wake (lost wake-ups, expired leases, pending finalizations).

        Each returned job's ``due_at`` is pushed ``grace`` ahead, so concurrent
        reapers and slow restarts do not wake it over and over.
        """
        taken: list[JobRecord] = []
        for job_id in self._due_ids(now):

            def change(job: JobRecord | None, pull: PullRecord | None) -> _Change:
                if job is None or job.state in TERMINAL or job.due_at is None or job.due_at > now:
                    return _Change(None)
                job.due_at = now + grace
                return _Change(job, job)

            job = self._modify(job_id, change)
            if job is not None:
                taken.append(job)
        return taken

    def count(self, state: str) -> int:
        """How many jobs are in one state (``QUEUED``: the queue depth); storages answer it without reading jobs."""
        return len(self._ids_in_state(state))

    def expire_leases(self, now: float) -> list[str]:
        """Treat every running job as orphaned (embedded mode at start: no other consumer can exist)."""
        expired = []
        for job_id in self._ids_in_state(RUNNING):

            def change(job: JobRecord | None, pull: PullRecord | None) -> _Change:
                if job is None or job.state != RUNNING:
                    return _Change(False)
                job.lease_until, job.due_at = 0.0, now
                if pull is not None and pull.running == job.id:
                    pull.lease_until = 0.0
                return _Change(True, job, pull)

            if self._modify(job_id, change):
                expired.append(job_id)
        return expired
