"""The bot as a real server process (``python -m bot serve``/``worker``), started and stopped by tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import requests

from bot_support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bot_environment(app_id: str, private_key: str, secret: bytes, api_url: str, data_dir: Path,
                    redis_url: str | None = None, **tuning: str) -> dict[str, str]:
    """The environment of a bot process: the App, the simulator, and test-sized timings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLUX_REVIEW_", "GITHUB_", "REDIS_"))}
    env.update({
        "APP_ID": app_id,
        "PRIVATE_KEY": private_key,
        "WEBHOOK_SECRET": secret.decode(),
        "GITHUB_API_URL": api_url,
        "DATA_DIR": str(data_dir),
        "LOG_LEVEL": "info",
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        "FLUX_REVIEW_WORKERS": "2",
        "FLUX_REVIEW_REVIEW_DELAY": "0.5",
        "FLUX_REVIEW_GITHUB_TIMEOUT": "5",
        "FLUX_REVIEW_GITHUB_BACKOFF": "0.05",
        "FLUX_REVIEW_GITHUB_BACKOFF_MAX": "0.2",
        "FLUX_REVIEW_SECONDARY_RATE_WAIT": "0.2",
        "FLUX_REVIEW_GITHUB_MAX_WAIT": "5",
        "FLUX_REVIEW_WRITE_INTERVAL": "0.02",
        "FLUX_REVIEW_JOB_LEASE": "3",
        "FLUX_REVIEW_JOB_RETRY_DELAY": "0.3",
        "FLUX_REVIEW_REQUEUE_AFTER": "5",
        "FLUX_REVIEW_QUEUE_POLL": "0.1",
    })
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update({f"FLUX_REVIEW_{k.upper()}": v for k, v in tuning.items()})
    return env


def setup_environment(github_url: str, api_url: str, data_dir: Path, **tuning: str) -> dict[str, str]:
    """The environment of a bot that has no App yet (setup mode): no credentials, GitHub at ``github_url``."""
    env = bot_environment("", "", b"", api_url, data_dir, **tuning)
    for name in ("APP_ID", "PRIVATE_KEY", "PRIVATE_KEY_PATH", "WEBHOOK_SECRET", "PUBLIC_URL", "WEBHOOK_PROXY_URL"):
        env.pop(name, None)
    env["GITHUB_URL"] = github_url
    return env


class BotProcess:
    """One ``python -m bot ...`` process in its own session (so a kill reaches gunicorn's worker too)."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path, port: int | None = None) -> None:
        self.args = args
        self.env = env
        self.log_path = log_path
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> BotProcess:
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child process
        self.proc = subprocess.Popen([sys.executable, "-m", "bot", *self.args], env=self.env, cwd=ROOT,
                                     stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        if self.port is not None:
            wait_until(self._healthy, START_TIMEOUT, 0.1, f"the bot on port {self.port}")
        return self

    def _healthy(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"the bot exited with {self.proc.returncode}:\n{self.log()}")
        try:
            return requests.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def kill(self) -> None:
        """SIGKILL the whole process group: nothing gets to clean up."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=STOP_TIMEOUT)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not stop in time."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-8000:]
        except OSError:
            return ""


def serve(env: dict[str, str], log_path: Path) -> BotProcess:
    port = free_port()
    return BotProcess(["serve", "--host", "127.0.0.1", "--port", str(port)], env, log_path, port).start()


def worker(env: dict[str, str], log_path: Path) -> BotProcess:
    return BotProcess(["worker"], env, log_path).start()
