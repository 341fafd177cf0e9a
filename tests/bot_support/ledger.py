"""Accounting for accepted deliveries: the bot's ledger read side by side with the simulator's check runs.

The promise checked: every delivery answered 202 ``queued`` is a job that
ends reviewed (done, its Check Run completed on the head it names) or
coalesced (superseded by a newer job of the same pull request, which is
itself accounted for); nothing stays queued or running, and every Check
Run the bot created is completed and belongs to exactly one job.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import redis
from github_sim import GitHubSim

from bot.state import DONE, FAILED, FINALIZING, QUEUED, RUNNING, SUPERSEDED, JobRecord, RedisStore, SqliteStore, Store

STATES = (QUEUED, RUNNING, FINALIZING, DONE, SUPERSEDED, FAILED)


def open_ledger(data_dir: Path | None = None, redis_url: str | None = None) -> Store:
    """The ledger a bot writes: ``state.db`` under its data directory, or its Redis."""
    if redis_url:
        return RedisStore(redis.Redis.from_url(redis_url, socket_timeout=10))
    assert data_dir is not None
    return SqliteStore(data_dir / "state.db")


def known_jobs(store: Store, accepted: Iterable[str]) -> dict[str, JobRecord]:
    """The accepted jobs and every job the ledger lists by state (Redis lists only the unfinished ones)."""
    ids = set(accepted)
    for state in STATES:
        ids.update(store._ids_in_state(state))
    jobs = {job_id: store.get(job_id) for job_id in sorted(ids)}
    return {job_id: job for job_id, job in jobs.items() if job is not None}


@dataclass
class Accounting:
    accepted: int = 0
    reviewed: int = 0  # ended (done, or failed with its reason shown) with a completed Check Run on its head
    coalesced: int = 0  # superseded by a newer job of its pull request that is accounted for
    refused: int = 0  # ended failed without a Check Run (a clean refusal, when the test expects one)
    pending: list[str] = field(default_factory=list)  # queued, running or finalizing still
    unaccounted: list[str] = field(default_factory=list)  # missing from the ledger, or ended without its run
    runs: int = 0  # Check Runs the bot created on the repositories watched
    runs_not_completed: list[int] = field(default_factory=list)
    runs_without_a_job: list[int] = field(default_factory=list)

    @property
    def settled(self) -> bool:
        return not self.pending

    @property
    def whole(self) -> bool:
        """Nothing lost, nothing left in progress, no Check Run twin."""
        return (self.settled and not self.unaccounted and not self.runs_not_completed
                and not self.runs_without_a_job and self.reviewed + self.coalesced + self.refused == self.accepted)

    def line(self) -> str:
        return (f"{self.accepted} accepted: {self.reviewed} reviewed, {self.coalesced} coalesced into a newer job of "
                f"their pull request, {self.refused} refused, {len(self.pending)} pending, "
                f"{len(self.unaccounted)} unaccounted; {self.runs} check runs, "
                f"{len(self.runs_not_completed)} not completed, {len(self.runs_without_a_job)} without a job")


def account(store: Store, accepted: Iterable[str], sim: GitHubSim, repositories: Iterable[str]) -> Accounting:
    """Where each accepted job stands, and whether the simulator's check runs agree."""
    accepted = list(accepted)
    jobs = known_jobs(store, accepted)
    by_key: dict[str, list[JobRecord]] = {}
    for job in jobs.values():
        by_key.setdefault(job.key, []).append(job)
    watched = {name.lower() for name in repositories}
    runs = {run_id: run for run_id, run in dict(sim.check_runs).items() if run["repository"].lower() in watched}
    result = Accounting(runs=len(runs))
    # A job asked for an older head reviews the head its pull request has when it runs.
    current = {(repo.full_name.lower(), number): pull.head_sha for repo in list(sim.repos.values())
               for number, pull in list(repo.pulls.items())}
    newest: dict[str, JobRecord | None] = {}
    owned: dict[int, str] = {}
    for job in jobs.values():
        if job.check_run_id is not None:
            owned[job.check_run_id] = job.id
    for job_id in accepted:
        result.accepted += 1
        job = jobs.get(job_id)
        if job is None:
            result.unaccounted.append(f"{job_id}: not in the ledger")
        elif job.state in (QUEUED, RUNNING, FINALIZING):
            result.pending.append(f"{job_id}: {job.state}")
        elif job.state in (DONE, FAILED) and _reviewed(job, runs, current):
            result.reviewed += 1
        elif job.state == SUPERSEDED and _newest_reviewed(store, by_key[job.key], runs, newest, current):
            result.coalesced += 1
        elif job.state == FAILED and job.check_run_id is None:
            result.refused += 1
        else:
            result.unaccounted.append(f"{job_id}: {job.state} ({job.outcome}), run {job.check_run_id}")
    result.runs_not_completed = sorted(run_id for run_id, run in runs.items() if run["status"] != "completed")
    result.runs_without_a_job = sorted(run_id for run_id in runs if run_id not in owned)
    return result


def _newest_reviewed(store: Store, jobs: list[JobRecord], runs: dict[int, dict],
                     newest: dict[str, JobRecord | None], current: dict[tuple[str, int], str]) -> bool:
    """Whether the pull request's newest job (the ledger's own record of it, not the clock's) is reviewed."""
    key = jobs[0].key
    if key not in newest:
        newest[key] = next((job for job in jobs if store.is_latest(job.id)), None)
    latest = newest[key]
    return latest is not None and latest.state in (DONE, FAILED) and _reviewed(latest, runs, current)


def _reviewed(job: JobRecord, runs: dict[int, dict], current: dict[tuple[str, int], str]) -> bool:
    run = runs.get(job.check_run_id or -1)
    head = job.payload.get("head_sha")
    now = current.get((str(job.payload.get("repository", "")).lower(), job.payload.get("pull_number")))
    return run is not None and run["status"] == "completed" and (not head or run["head_sha"] in (head, now))


def settle(store: Store, accepted: list[str], sim: GitHubSim, repositories: Iterable[str],
           timeout: float) -> Accounting:
    """Wait (bounded) until no accepted job is pending, then account for them all."""
    repositories = list(repositories)
    deadline = time.monotonic() + timeout
    while True:
        result = account(store, accepted, sim, repositories)
        if (result.settled and not result.runs_not_completed) or time.monotonic() >= deadline:
            return result
        time.sleep(0.25)
