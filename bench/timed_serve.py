"""``python -m bot`` with a timer around each webhook, for the load test: where a delivery's time goes on the server.

The load generator's latency includes its own cost (its threads, the
simulator in its process, loopback) and the wait for the server (its event
loop, or one of its threads). This launcher runs the same server and writes,
per delivery, the seconds the receiver spent on it once its body was read
(``WebhookReceiver.receive_body``: the checks, the routing and the writes;
the server's event loop runs nothing else meanwhile), and within them in the
ledger's write (``SqliteStore._insert`` or ``RedisStore._insert``) and in huey's wake-up write
(``Queue.wake``), one line each to the file named by ``FLUX_REVIEW_BENCH_TIMING``:

    <path> <start unix seconds> <app seconds> <ledger seconds> <wake-up seconds>

and one line per collection of Python's cyclic garbage collector in the
worker process (a pause of every thread), ``gc:<generation> <start> <seconds> 0 0``.

``FLUX_REVIEW_BENCH_WEB_THREADS`` sets the threads of the Flask routes (``bot.server.WEB_THREADS``) and
``FLUX_REVIEW_BENCH_SWITCH_INTERVAL`` Python's thread switch interval, for experiments.
Used by ``bench/load.py --server-timing``; not part of the App.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from bot import jobs, server, webhooks
from bot.__main__ import main
from bot.state import redis_store, sqlite_store

_local = threading.local()
_lock = threading.Lock()
_collections: list[str] = []  # lines about garbage collections, not yet written


def _timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` adding its seconds to this thread's ``name`` counter."""
    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            setattr(_local, name, getattr(_local, name, 0.0) + time.perf_counter() - started)
    return wrapper


def _timed_receiver(receive: Callable[..., Any], out: Any) -> Callable[..., Any]:
    """``WebhookReceiver.receive_body`` writing one line per delivery (and the collections seen since)."""
    @wraps(receive)
    def timed(self: webhooks.WebhookReceiver, environ: dict[str, Any], body: bytes | None) -> Any:
        _local.ledger = _local.wake = 0.0
        wall, started = time.time(), time.perf_counter()
        try:
            return receive(self, environ, body)
        finally:
            seconds = time.perf_counter() - started
            with _lock:
                out.write(f"/webhook {wall:.6f} {seconds:.6f} {_local.ledger:.6f} {_local.wake:.6f}\n")
                while _collections:
                    out.write(_collections.pop(0))
    return timed


def _watch_collections() -> None:
    """Write each garbage collection's generation and pause: the collector stops every thread while it runs.

    The callback only appends to a list (a collection may start in a thread
    that holds the file's lock); the lines are written after the next request's.
    """
    started: list[tuple[float, float]] = []

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append((time.time(), time.perf_counter()))
        elif started:
            wall, begun = started.pop()
            _collections.append(f"gc:{info['generation']} {wall:.6f} {time.perf_counter() - begun:.6f} 0 0\n")

    gc.callbacks.append(callback)


def install(path: str) -> None:
    """Wrap the ledger's insert, huey's wake-up and the receiver, and watch the collector in gunicorn's worker."""
    out = open(path, "a", buffering=1)  # noqa: SIM115 - open for the process's life, a line per request
    for store in (sqlite_store.SqliteStore, redis_store.RedisStore):
        store._insert = _timed("ledger", store._insert)
    jobs.Queue.wake = _timed("wake", jobs.Queue.wake)
    webhooks.WebhookReceiver.receive_body = _timed_receiver(webhooks.WebhookReceiver.receive_body, out)
    load = server.Server.load

    def timed_load(self: server.Server) -> Any:
        app = load(self)
        _watch_collections()
        return app

    server.Server.load = timed_load
    if os.environ.get("FLUX_REVIEW_BENCH_SWITCH_INTERVAL"):
        sys.setswitchinterval(float(os.environ["FLUX_REVIEW_BENCH_SWITCH_INTERVAL"]))
    if os.environ.get("FLUX_REVIEW_BENCH_WEB_THREADS"):
        server.WEB_THREADS = int(os.environ["FLUX_REVIEW_BENCH_WEB_THREADS"])


if __name__ == "__main__":
    install(os.environ["FLUX_REVIEW_BENCH_TIMING"])
    sys.exit(main(sys.argv[1:]))
