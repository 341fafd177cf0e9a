"""The ledger in Redis: scale-out mode, shared by every web and worker process on any machine.

Transitions are optimistic transactions: WATCH the job and its pull
request's hash, read them, decide (``bot.state.base``), then MULTI/EXEC the
writes; a concurrent change aborts the EXEC and the transition is re-run on
fresh data. That is what makes the pull request lock hold across worker
processes. Delivery ids expire after a month (GitHub never redelivers older
events by itself).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import redis

from bot.state.base import TERMINAL, JobRecord, PullRecord, Store, _Change

DELIVERY_TTL = 30 * 24 * 3600
JOB_TTL = 14 * 24 * 3600  # finished jobs are kept for two weeks for inspection
_MAX_CONFLICTS = 100


class RedisStore(Store):
    """Ledger keys under ``prefix`` in one Redis database."""

    def __init__(self, client: redis.Redis, prefix: str = "flux-review") -> None:
        self.client = client
        self.prefix = prefix

    def _k(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    # -- primitives ----------------------------------------------------------------
    def _insert(self, delivery_id: str, now: float, job: JobRecord | None) -> bool:
        delivery_key = self._k("delivery", delivery_id)
        with self.client.pipeline() as pipe:
            for _ in range(_MAX_CONFLICTS):
                try:
                    pipe.watch(delivery_key)
                    if pipe.exists(delivery_key):
                        pipe.reset()
                        return False
                    pipe.multi()
                    pipe.set(delivery_key, repr(now), ex=DELIVERY_TTL)
                    if job is not None:
                        self._write(pipe, job, None)
                        pipe.hset(self._k("pull", job.key), mapping={"latest": job.id})
                    pipe.execute()
                    return True
                except redis.WatchError:
                    continue
        raise RuntimeError(f"delivery {delivery_id}: too many concurrent writers")

    def _modify(self, job_id: str, change: Callable[[JobRecord | None, PullRecord | None], _Change]) -> Any:
        job_key = self._k("job", job_id)
        with self.client.pipeline() as pipe:
            for _ in range(_MAX_CONFLICTS):
                try:
                    pipe.watch(job_key)
                    fields = _text(pipe.hgetall(job_key))
                    job = JobRecord.from_fields(fields) if fields else None
                    pull = None
                    if job is not None:
                        pull_key = self._k("pull", job.key)
                        pipe.watch(pull_key)
                        pull_fields = _text(pipe.hgetall(pull_key))
                        if pull_fields:
                            pull = PullRecord(job.key, pull_fields.get("latest", ""),
                                              pull_fields.get("running", ""),
                                              float(pull_fields.get("lease_until") or 0))
                    previous_state = job.state if job is not None else None  # ``change`` mutates ``job``
                    verdict = change(job, pull)
                    if verdict.job is None and verdict.pull is None:
                        pipe.reset()
                        return verdict.result
                    pipe.multi()
                    if verdict.job is not None:
                        self._write(pipe, verdict.job, previous_state)
                    if verdict.pull is not None:
                        pipe.hset(self._k("pull", verdict.pull.key), mapping={
                            "latest": verdict.pull.latest, "running": verdict.pull.running,
                            "lease_until": repr(verdict.pull.lease_until),
                        })
                    pipe.execute()
                    return verdict.result
                except redis.WatchError:
                    continue
        raise RuntimeError(f"job {job_id}: too many concurrent writers")

    def _write(self, pipe: redis.client.Pipeline, job: JobRecord, previous_state: str | None) -> None:
        job_key = self._k("job", job.id)
        pipe.hset(job_key, mapping=job.to_fields())
        if previous_state is not None and previous_state != job.state:
            pipe.srem(self._k("state", previous_state), job.id)
        if job.state in TERMINAL:
            pipe.expire(job_key, JOB_TTL)
        else:
            pipe.sadd(self._k("state", job.state), job.id)
        if job.state in TERMINAL or job.due_at is None:
            pipe.zrem(self._k("due"), job.id)
        else:
            pipe.zadd(self._k("due"), {job.id: job.due_at})

    def _due_ids(self, now: float) -> list[str]:
        return [_str(v) for v in self.client.zrangebyscore(self._k("due"), "-inf", now)]

    def _ids_in_state(self, state: str) -> list[str]:
        return sorted(_str(v) for v in self.client.smembers(self._k("state", state)))

    def count(self, state: str) -> int:
        return int(self.client.scard(self._k("state", state)))

    def get(self, job_id: str) -> JobRecord | None:
        fields = _text(self.client.hgetall(self._k("job", job_id)))
        return JobRecord.from_fields(fields) if fields else None

    def record_installation(self, installation_id: int, account: str, action: str,
                            added: list[str], removed: list[str], now: float) -> None:
        key = self._k("installation", str(installation_id))
        repos_key = self._k("installation", str(installation_id), "repositories")
        with self.client.pipeline() as pipe:
            pipe.hset(key, mapping={"account": account, "action": action, "updated_at": repr(now)})
            if added:
                pipe.sadd(repos_key, *added)
            if removed:
                pipe.srem(repos_key, *removed)
            pipe.execute()

    def installation(self, installation_id: int) -> dict[str, Any] | None:
        fields = _text(self.client.hgetall(self._k("installation", str(installation_id))))
        if not fields:
            return None
        repositories = sorted(_str(v) for v in self.client.smembers(
            self._k("installation", str(installation_id), "repositories")))
        return {"account": fields.get("account", ""), "action": fields.get("action", ""),
                "repositories": repositories, "updated_at": float(fields.get("updated_at") or 0)}

    def prune(self, now: float, deliveries_older_than: float, jobs_older_than: float) -> int:
        """Redis expires delivery ids and finished jobs by itself (``DELIVERY_TTL``, ``JOB_TTL``)."""
        return 0

    def ping(self) -> None:
        self.client.ping()

    def close(self) -> None:
        self.client.close()


def _str(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _text(fields: dict[Any, Any]) -> dict[str, str]:
    return {_str(k): _str(v) for k, v in fields.items()}

