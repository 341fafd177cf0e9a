"""The ledger in Redis: scale-out mode, shared by every web and worker process on any machine.

Transitions are optimistic transactions: WATCH the job and its pull
request's hash, read them, decide (``bot.state.base``), then MULTI/EXEC the
writes; a concurrent change aborts the EXEC and the transition is re-run on
fresh data. That is what makes the pull request lock hold across worker
processes. Delivery ids expire after a month (GitHub never redelivers older
events by itself).

Taking a delivery is one round trip: a Lua script (``_ACCEPT``) sets the
delivery id if it is new and, in the same step, writes its job, the job's
state and due time and its pull request's newest job. Redis runs a script
atomically, so this is the WATCH/MULTI transaction above without its
three round trips and the retries of a conflict.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import redis

from bot.state.base import TERMINAL, JobRecord, PullRecord, Store, _Change

DELIVERY_TTL = 30 * 24 * 3600
JOB_TTL = 14 * 24 * 3600  # finished jobs are kept for two weeks for inspection
_MAX_CONFLICTS = 100

# KEYS: the delivery id's key, then (with a job) the job's hash, its pull request's hash, the set of its state
# and the sorted set of due times. ARGV: the time received, the delivery id's lifetime, then (with a job) its id,
# its due time ("" for none), "1" when its state is terminal, a finished job's lifetime, and its fields as name,
# value pairs. The same writes as ``_write`` for a job without a previous state.
_ACCEPT = """
if not redis.call('set', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then
  return 0
end
if #KEYS > 1 then
  local job = ARGV[3]
  redis.call('hset', KEYS[2], unpack(ARGV, 7))
  if ARGV[5] == '1' then
    redis.call('expire', KEYS[2], ARGV[6])
  else
    redis.call('sadd', KEYS[4], job)
  end
  if ARGV[5] == '1' or ARGV[4] == '' then
    redis.call('zrem', KEYS[5], job)
  else
    redis.call('zadd', KEYS[5], ARGV[4], job)
  end
  redis.call('hset', KEYS[3], 'latest', job)
end
return 1
"""


class RedisStore(Store):
    """Ledger keys under ``prefix`` in one Redis database."""

    def __init__(self, client: redis.Redis, prefix: str = "flux-review") -> None:
        self.client = client
        self.prefix = prefix
        self._accept = client.register_script(_ACCEPT)

    def _k(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    # -- primitives ----------------------------------------------------------------
    def _insert(self, delivery_id: str, now: float, job: JobRecord | None) -> bool:
        keys = [self._k("delivery", delivery_id)]
        args: list[str | int] = [repr(now), DELIVERY_TTL]
        if job is not None:
            keys += [self._k("job", job.id), self._k("pull", job.key), self._k("state", job.state), self._k("due")]
            terminal = job.state in TERMINAL
            args += [job.id, "" if job.due_at is None else repr(job.due_at), "1" if terminal else "0", JOB_TTL]
            args += [part for name, value in job.to_fields().items() for part in (name, value)]
        return bool(self._accept(keys=keys, args=args))

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

