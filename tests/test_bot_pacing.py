"""Write pacing: slots one interval apart per installation, locally and shared through Redis."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from bot_support.redis_server import redis_server

from bot.pacing import LocalPacer, RedisPacer


def test_local_slots_are_one_interval_apart_per_key() -> None:
    clock = [10.0]
    pacer = LocalPacer(clock=lambda: clock[0])
    assert [pacer.reserve("1", 1.0) for _ in range(3)] == [0.0, 1.0, 2.0]
    assert pacer.reserve("2", 1.0) == 0.0
    clock[0] += 5
    assert pacer.reserve("1", 1.0) == 0.0


@pytest.fixture(scope="module")
def redis_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[redis.Redis]:
    with redis_server(Path(tmp_path_factory.mktemp("redis")), db=3) as url:
        client = redis.Redis.from_url(url, socket_timeout=5)
        yield client
        client.close()


@pytest.mark.redis
def test_redis_slots_are_shared_by_every_process(redis_client: redis.Redis) -> None:
    one, two = RedisPacer(redis_client), RedisPacer(redis_client)  # two worker processes
    waits = [one.reserve("7", 0.5), two.reserve("7", 0.5), one.reserve("7", 0.5)]
    assert waits[0] == pytest.approx(0.0, abs=0.05)
    assert waits[1] == pytest.approx(0.5, abs=0.05)
    assert waits[2] == pytest.approx(1.0, abs=0.05)
    assert two.reserve("8", 0.5) == pytest.approx(0.0, abs=0.05)
    assert one.reserve("9", 0) == 0.0
