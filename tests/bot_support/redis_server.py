"""A Redis server for the scale-out tests: CI's (FLUX_REVIEW_TEST_REDIS_URL), else our own, else a skip."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

from bot_support.process import free_port
from bot_support.waiting import wait_until

ENV = "FLUX_REVIEW_TEST_REDIS_URL"


@contextmanager
def redis_server(folder: Path, db: int) -> Iterator[str]:
    """A Redis URL on database ``db``, flushed first; skips the test when no Redis can be had."""
    url = os.environ.get(ENV)
    process = None
    if not url:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip(f"no Redis: set {ENV} or install redis-server (apt-get install redis-server)")
        port = free_port()
        process = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"redis://127.0.0.1:{port}/0"
    base = url.rsplit("/", 1)[0] if url.rsplit("/", 1)[-1].isdigit() else url.rstrip("/")
    url = f"{base}/{db}"
    client = redis.Redis.from_url(url, socket_timeout=5)
    try:
        wait_until(lambda: _pings(client), 10, 0.05, "redis-server to answer")
        client.flushdb()
        yield url
    finally:
        client.close()
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
