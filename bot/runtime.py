"""Assembling a worker process: GitHub clients, the job runner and the consumer threads.

Shared by ``flux-review serve`` (embedded mode: the review worker process
it starts, ``bot.consumer``) and ``flux-review worker`` (scale-out mode). Write pacing is per
process in embedded mode and shared through Redis in scale-out mode, so
an installation's writes stay a second apart however many workers run.
"""

from __future__ import annotations

import redis

from bot.github import GitHubApps
from bot.jobs import Queue, Workers, worker_identity
from bot.pacing import LocalPacer, Pacer, RedisPacer
from bot.settings import Settings
from bot.worker import JobRunner


def build_workers(queue: Queue, *, threads: int | None = None, settings: Settings | None = None,
                  lock_held: bool = False) -> Workers:
    """Workers bound to a runner for ``queue``; not started yet.

    ``settings`` default to the queue's; setup mode passes the registered App's, since the queue was opened
    before the App had credentials. ``lock_held``: embedded mode's review worker process, given the data
    folder's lock by the web worker (``bot.consumer``).
    """
    settings = settings if settings is not None else queue.settings
    pacer: Pacer
    if settings.redis_url:
        pacer = RedisPacer(redis.Redis.from_url(settings.redis_url, socket_timeout=30))
    else:
        pacer = LocalPacer()
    apps = GitHubApps(settings, pacer)
    runner = JobRunner(settings, queue.store, queue, apps, worker_identity())
    queue.bind(runner.review, runner.finalize)
    return Workers(queue, threads=threads or settings.tuning.workers, embedded=not settings.scale_out,
                   lock_held=lock_held)
