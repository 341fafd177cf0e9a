"""``GET /readyz`` over real HTTP: ready, or 503 with the failed check named, within a bound whatever hangs."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
import redis
import requests
from bot_support.inprocess import settings_for
from bot_support.keys import key_pair
from bot_support.process import bot_environment, free_port, serve
from bot_support.waiting import wait_until
from flask import Flask
from werkzeug.serving import make_server

from bot.app import create_app
from bot.readiness import PROBE_TIMEOUT, Prober, Readiness, Unanswered, data_dir_problem
from bot.settings import Settings
from bot.state import SqliteStore

# A request to /readyz must be answered well within this, even when a check hangs.
ANSWER_WITHIN = PROBE_TIMEOUT + 8.0


@contextmanager
def served(app: Flask) -> Iterator[str]:
    """The app on a free 127.0.0.1 port, in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def readyz(url: str) -> tuple[int, dict]:
    answer = requests.get(f"{url}/readyz", timeout=ANSWER_WITHIN)
    return answer.status_code, answer.json()


class ControlledStore(SqliteStore):
    """The SQLite ledger, with a ping the test can make fail or hang."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.failure: Exception | None = None
        self.hang = threading.Event()
        self.release = threading.Event()
        self.pings = 0

    def ping(self) -> None:
        self.pings += 1
        if self.hang.is_set():
            self.release.wait(30)
        if self.failure is not None:
            raise self.failure
        super().ping()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    data = tmp_path / "data"
    data.mkdir()
    return settings_for("http://127.0.0.1:9", data)


def test_ready_when_the_store_answers_and_the_data_directory_is_writable(settings: Settings) -> None:
    with served(create_app(settings)) as url:
        assert readyz(url) == (200, {"status": "ready", "mode": "embedded"})
    assert [p.name for p in settings.data_dir.iterdir() if p.name.startswith(".readyz")] == []  # the probe file went


def test_a_data_directory_replaced_by_a_file_or_gone_is_not_ready(settings: Settings) -> None:
    data, aside = settings.data_dir, settings.data_dir.with_name("aside")
    with served(create_app(settings)) as url:
        assert readyz(url)[0] == 200  # the ledger is open (as in a running server) when the folder goes
        data.rename(aside)
        data.write_text("not a directory\n")
        assert readyz(url) == (503, {"status": "not ready", "reason": "DATA_DIR is not a directory",
                                     "mode": "embedded"})
        data.unlink()
        assert readyz(url)[1]["reason"] == "DATA_DIR does not exist"
        aside.rename(data)
        assert readyz(url)[0] == 200


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a directory whatever its mode")
def test_a_read_only_data_directory_is_not_ready(settings: Settings) -> None:
    with served(create_app(settings)) as url:
        settings.data_dir.chmod(0o500)
        try:
            status, body = readyz(url)
        finally:
            settings.data_dir.chmod(0o700)
        assert (status, body["reason"]) == (503, "DATA_DIR is not writable (Permission denied)")


def test_the_probe_writes_a_file_rather_than_trusting_permissions(tmp_path: Path) -> None:
    assert data_dir_problem(tmp_path) is None
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "file").write_text("x")
    assert data_dir_problem(tmp_path / "file") == "DATA_DIR is not a directory"
    if Path("/proc/self").is_dir():  # a directory nobody can create files in, root included
        assert (data_dir_problem(Path("/proc/self")) or "").startswith("DATA_DIR is not writable (")


def test_a_state_store_that_fails_is_not_ready(settings: Settings) -> None:
    store = ControlledStore(settings.data_dir / "state.db")
    with served(create_app(settings, store=store)) as url:
        store.failure = OSError("disk gone")
        assert readyz(url) == (503, {"status": "not ready", "mode": "embedded",
                                     "reason": "the state store (SQLite in DATA_DIR) did not answer (OSError)"})
        store.failure = None
        assert readyz(url)[0] == 200


def test_a_hanging_state_store_is_answered_in_time_and_not_asked_again_meanwhile(settings: Settings) -> None:
    store = ControlledStore(settings.data_dir / "state.db")
    with served(create_app(settings, store=store)) as url:
        assert readyz(url)[0] == 200
        store.hang.set()
        try:
            first = readyz(url)
            again = readyz(url)
            pings_while_stuck = store.pings
        finally:
            store.hang.clear()
            store.release.set()
        reason = f"the state store did not answer within {PROBE_TIMEOUT:g} s"
        assert first == again == (503, {"status": "not ready", "reason": reason, "mode": "embedded"})
        assert pings_while_stuck == 2  # the second request waited on the stuck check instead of starting another
        wait_until(lambda: readyz(url)[0] == 200, 10, what="readiness once the store answers again")


def test_a_redis_that_accepts_but_never_answers_is_not_ready_within_the_bound(settings: Settings) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # connections complete in the kernel's backlog; nothing ever answers
        url = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
        with served(create_app(replace(settings, redis_url=url))) as base:
            status, body = readyz(base)
    assert (status, body) == (503, {"status": "not ready", "mode": "scale-out",
                                    "reason": "Redis did not answer PING (TimeoutError)"})


def test_nothing_a_check_raises_becomes_a_500(settings: Settings) -> None:
    readiness = Readiness(settings, SqliteStore(settings.data_dir / "state.db"))

    def broken(task: object) -> object:
        raise RuntimeError("unexpected")

    readiness._checks = broken  # type: ignore[method-assign]
    verdict = readiness.check()
    assert (verdict.status, verdict.reason) == (503, "the readiness check failed (RuntimeError)")


def test_the_prober_shares_one_check_between_waiting_callers() -> None:
    prober = Prober("test-prober")
    gate, calls = threading.Event(), []

    def slow(task: object) -> int:
        calls.append(1)
        gate.wait(10)
        return len(calls)

    with pytest.raises(Unanswered):
        prober.ask("k", slow, 0.05)
    answers: list[int] = []
    waiter = threading.Thread(target=lambda: answers.append(prober.ask("k", slow, 10)))
    waiter.start()
    gate.set()
    waiter.join(timeout=15)
    assert answers == [1] and calls == [1]
    assert prober.ask("k", slow, 10) == 2  # once finished, the next question runs the check again


# -- real server processes -----------------------------------------------------------------
APP_ID, SECRET = "8181", b"readiness secret"


def test_a_served_bot_turns_not_ready_when_its_data_directory_is_replaced(tmp_path: Path) -> None:
    data = tmp_path / "data"
    bot = serve(bot_environment(APP_ID, key_pair()[0], SECRET, "http://127.0.0.1:9", data), tmp_path / "bot.log")
    try:
        assert readyz(bot.url) == (200, {"status": "ready", "mode": "embedded"})
        data.rename(tmp_path / "aside")
        data.write_text("a file where the data directory was\n")
        assert readyz(bot.url) == (503, {"status": "not ready", "reason": "DATA_DIR is not a directory",
                                         "mode": "embedded"})
        data.unlink()
        (tmp_path / "aside").rename(data)
        assert readyz(bot.url)[0] == 200
    finally:
        bot.stop()
    assert "not ready: DATA_DIR is not a directory" in bot.log() and "ready again" in bot.log()


@contextmanager
def private_redis(folder: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A redis-server of this test's own (never the shared CI one: it is stopped here)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("no redis-server (apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                "no", "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url, socket_timeout=2)
    try:
        wait_until(lambda: _pings(client), 10, what="redis-server to answer")
        yield url, process
    finally:
        client.close()
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


@pytest.mark.redis
def test_a_served_web_process_turns_not_ready_when_redis_stops(tmp_path: Path) -> None:
    with private_redis(tmp_path) as (url, redis_process):
        env = bot_environment(APP_ID, key_pair()[0], SECRET, "http://127.0.0.1:9", tmp_path / "data", redis_url=url)
        bot = serve(env, tmp_path / "web.log")
        try:
            assert readyz(bot.url) == (200, {"status": "ready", "mode": "scale-out"})
            redis_process.terminate()
            redis_process.wait(timeout=10)
            assert readyz(bot.url) == (503, {"status": "not ready", "mode": "scale-out",
                                             "reason": "Redis did not answer PING (ConnectionError)"})
        finally:
            bot.stop()
