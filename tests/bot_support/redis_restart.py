"""A Redis of the test's own that can be stopped and started again on its port, keeping its data (append-only file).

A production Redis keeps the queue across a restart (persistence on); this
one does too, with every write synced, so a restart loses nothing the bot
was told was written. Never CI's shared Redis: this one is stopped.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import redis

from bot_support.process import free_port
from bot_support.waiting import wait_until


class RestartableRedis:
    def __init__(self, folder: Path, fsync: str = "always") -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("no redis-server (apt-get install redis-server)")
        self.binary = binary
        self.folder = folder
        self.fsync = fsync  # "always" for the restart test; "everysec" (Redis's default) for measuring load
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RestartableRedis:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
             "--appendfsync", self.fsync, "--dir", str(self.folder)], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url, socket_timeout=2)
        try:
            wait_until(lambda: _loaded(client), 15, 0.05, "redis-server to answer with its data loaded")
        finally:
            client.close()
        return self

    def stop(self) -> None:
        """SIGTERM, as an orchestrator stops it; SIGKILL if it will not go."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def _loaded(client: redis.Redis) -> bool:
    try:
        return bool(client.ping()) and not int(client.info("persistence").get("loading", 0))
    except redis.RedisError:
        return False
