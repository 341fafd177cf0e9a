"""Embedded mode's review worker process: it holds the data folder's lock only as given, yields the CPU,
is started again when it dies, and stops when the web worker process that started it goes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from bot_support.keys import key_pair
from bot_support.process import ROOT, bot_environment
from bot_support.waiting import wait_until

from bot.consumer import LOCK_FD_VARIABLE, METRICS_LINE, NICENESS, ConsumerProcess
from bot.jobs import ensure_data_dir_free, lock_data_dir
from bot.settings import Settings


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = bot_environment("4545", key_pair()[0], b"consumer secret", "http://127.0.0.1:9", tmp_path / "data")
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def test_the_process_is_niced_holds_the_lock_and_is_started_again_when_it_dies(env: dict[str, str]) -> None:
    settings = Settings.from_env()
    consumer = ConsumerProcess(settings, lock_data_dir(settings.data_dir)).start()
    try:
        wait_until(consumer.metrics_url, 30.0, 0.1, "the first process's metrics port")
        first = consumer.pid
        assert first is not None
        expected = min(19, os.getpriority(os.PRIO_PROCESS, 0) + NICENESS)
        assert os.getpriority(os.PRIO_PROCESS, first) == expected
        with pytest.raises(RuntimeError, match="already runs jobs"):
            ensure_data_dir_free(settings.data_dir)
        os.kill(first, signal.SIGKILL)
        wait_until(lambda: consumer.pid not in (None, first) and consumer.metrics_url(), 30.0, 0.1,
                   "a second review worker process")
    finally:
        consumer.stop(15.0)
    consumer.lock_file.close()
    ensure_data_dir_free(settings.data_dir)  # nobody holds it any more


def _child(env: dict[str, str], lock_fd: int | None) -> subprocess.Popen[str]:
    child_env = dict(env)
    if lock_fd is not None:
        child_env[LOCK_FD_VARIABLE] = str(lock_fd)
    return subprocess.Popen([sys.executable, "-m", "bot.consumer"], env=child_env, cwd=ROOT, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            pass_fds=() if lock_fd is None else (lock_fd,))


def test_the_process_stops_when_its_parent_goes(env: dict[str, str]) -> None:
    lock = lock_data_dir(Path(env["DATA_DIR"]))
    child = _child(env, lock.fileno())
    try:
        assert child.stdout is not None and child.stdin is not None
        assert child.stdout.readline().startswith(METRICS_LINE)
        child.stdin.close()  # what the parent's death does to the pipe
        assert child.wait(timeout=30) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        lock.close()


def test_the_process_refuses_to_run_without_the_lock_handed_to_it(env: dict[str, str]) -> None:
    child = _child(env, None)
    _, _ = child.communicate(timeout=30)
    assert child.returncode == 2
