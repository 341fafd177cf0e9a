"""Embedded mode's review workers in a child process of the web server (``python -m bot.consumer``).

Why a process: as threads of the web process, the reviews (huey's
consumer handling wake-ups, the GitHub client, signing the App's tokens)
took the interpreter lock from the event loop answering webhooks, a fifth
of its time under a burst, and a delivery waited behind them for each
turn. In a process of their own they share neither the lock nor, at a
lower CPU priority (``NICENESS``), the core: an acknowledgement comes first.

Still one command, SQLite, no Redis, and exactly one consumer per data
folder: the web worker process takes ``DATA_DIR``'s lock and hands its open
file to the child, so the lock is held while either of them lives; the
child never opens it again. The web worker supervises the child (started
again a second after it dies; the jobs it was running resume at once, as
after any crash) and stops it on SIGTERM. The child stops by itself when
the web worker goes (its standard input, a pipe from the parent, ends).

Its metrics (jobs, GitHub requests) are served on a port of 127.0.0.1 that
the child picks and names on its standard output; the web process's
``/metrics`` adds them to its own (``bot.metrics.page``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
from typing import IO

from bot.settings import Settings

log = logging.getLogger(__name__)

NICENESS = 10  # the reviews yield the CPU to the web process's acknowledgements
RESTART_DELAY = 1.0
LOCK_FD_VARIABLE = "FLUX_REVIEW_CONSUMER_LOCK_FD"
METRICS_LINE = "metrics-port "


class ConsumerProcess:
    """The child process running the queue's consumer: started, supervised and stopped by the web worker."""

    def __init__(self, settings: Settings, lock_file: IO[str]) -> None:
        self.settings = settings
        self.lock_file = lock_file
        self.metrics_port: int | None = None
        self._process: subprocess.Popen[str] | None = None
        self._stopping = threading.Event()
        self._guard = threading.Lock()
        self._supervisor: threading.Thread | None = None

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None else None

    def start(self) -> ConsumerProcess:
        """Start the child and the thread that starts it again when it dies."""
        self._spawn()
        self._supervisor = threading.Thread(target=self._supervise, name="flux-review-consumer-supervisor",
                                            daemon=True)
        self._supervisor.start()
        return self

    def metrics_url(self) -> str | None:
        """Where the child serves its metrics now (None until it said, or while it restarts)."""
        port = self.metrics_port
        return f"http://127.0.0.1:{port}/metrics" if port is not None else None

    def stop(self, timeout: float) -> None:
        """SIGTERM the child (it finishes the reviews in hand), SIGKILL it after ``timeout`` seconds."""
        self._stopping.set()
        with self._guard:
            process = self._process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("the review worker process did not stop within %.0f s; killing it", timeout)
            process.kill()
            process.wait()

    def _spawn(self) -> None:
        fd = self.lock_file.fileno()
        # The settings come from the same environment as the web process's; the data folder is the one locked.
        env = {**os.environ, "DATA_DIR": str(self.settings.data_dir), LOCK_FD_VARIABLE: str(fd)}
        with self._guard:
            self.metrics_port = None
            self._process = subprocess.Popen(
                [sys.executable, "-m", "bot.consumer"], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                text=True, pass_fds=(fd,))
            process = self._process
        log.info("embedded mode: review worker process %d started", process.pid)
        threading.Thread(target=self._read_announcements, args=(process,), name="flux-review-consumer-output",
                         daemon=True).start()

    def _read_announcements(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith(METRICS_LINE) and process is self._process:
                with contextlib.suppress(ValueError):
                    self.metrics_port = int(line[len(METRICS_LINE):])

    def _supervise(self) -> None:
        while not self._stopping.is_set():
            process = self._process
            assert process is not None
            code = process.wait()
            if self._stopping.is_set():
                return
            log.error("the review worker process %d exited with %s; starting another in %.0f s "
                      "(its jobs resume)", process.pid, code, RESTART_DELAY)
            if self._stopping.wait(RESTART_DELAY):
                return
            self._spawn()


def _watch_parent(stop: threading.Event) -> None:
    """Stop once standard input ends: the web worker process that started this one is gone."""
    sys.stdin.read()
    stop.set()


def main() -> int:
    """The child: recover the jobs a previous consumer left running, consume until SIGTERM or the parent goes,
    then finish the reviews in hand (as embedded mode's threads did when the web worker stopped)."""
    from prometheus_client import start_http_server

    from bot import logs
    from bot.jobs import Queue
    from bot.runtime import build_workers
    from bot.state import open_store

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    os.nice(NICENESS)
    settings = Settings.from_env()
    logs.configure(settings.log_level, settings.log_format)
    if LOCK_FD_VARIABLE not in os.environ:
        print("flux-review: bot.consumer is started by `flux-review serve`, which holds the data folder's lock",
              file=sys.stderr)
        return 2
    server, _ = start_http_server(0, addr="127.0.0.1")
    print(f"{METRICS_LINE}{server.server_port}", flush=True)
    threading.Thread(target=_watch_parent, args=(stop,), name="flux-review-parent-watch", daemon=True).start()
    workers = build_workers(Queue(settings, open_store(settings)), settings=settings, lock_held=True)
    workers.start()
    log.info("embedded mode: %d worker thread(s) in process %d, data in %s", workers.threads, os.getpid(),
             settings.data_dir)
    while not stop.wait(1.0):
        pass
    workers.stop(graceful=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
