"""Spacing of write requests per installation, so that GitHub's secondary limits never trip.

GitHub asks integrators to make content-creating requests serially and at
least a second apart per installation. A pacer hands out time slots: each
write reserves the next free slot of its installation and waits until then.
The local pacer serves one process (embedded mode); the Redis pacer shares
slots between every worker process of a scale-out deployment, using the
Redis server's clock so machines with skewed clocks still agree.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

import redis


class Pacer(Protocol):
    def reserve(self, key: str, interval: float) -> float:
        """Reserve the next slot for ``key``; return the seconds to wait before using it."""
        ...


class LocalPacer:
    """Slots kept in memory, for the single process of embedded mode."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def reserve(self, key: str, interval: float) -> float:
        with self._lock:
            now = self._clock()
            slot = max(now, self._next.get(key, now))
            self._next[key] = slot + interval
            return slot - now


# Atomic in Redis: read the key's next free slot, take it, push it by the interval.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(now, nxt)
local interval = tonumber(ARGV[1])
redis.call('SET', KEYS[1], tostring(slot + interval), 'PX', math.ceil((slot - now + interval) * 1000) + 1000)
return tostring(slot - now)
"""


class RedisPacer:
    """Slots kept in Redis, shared by every process of a scale-out deployment."""

    def __init__(self, client: redis.Redis, prefix: str = "flux-review") -> None:
        self._prefix = prefix
        self._script = client.register_script(_RESERVE)

    def reserve(self, key: str, interval: float) -> float:
        if interval <= 0:
            return 0.0
        wait = self._script(keys=[f"{self._prefix}:pace:{key}"], args=[repr(float(interval))])
        return max(0.0, float(wait))
