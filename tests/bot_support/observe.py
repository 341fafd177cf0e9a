"""Watching a bot process from outside while a test attacks it: peak memory and ``/healthz`` latency.

Peak memory is the kernel's own figure, ``VmHWM`` in ``/proc/<pid>/status``
(the resident set's high-water mark), read for the bot process and every
process below it (gunicorn's worker, the analysis fork server and its
short-lived children, which are sampled while they live).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

PROC = Path("/proc")
SAMPLE_EVERY = 0.05
WATCH_AT_MOST = 900.0  # no watcher outlives a test by long, whatever the test does
GIB = 1024**3


def _parent(pid: int) -> int | None:
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses; the last ")" ends it.
    return int(stat.rsplit(")", 1)[1].split()[1])


def process_tree(root: int) -> list[int]:
    """``root`` and every process below it, alive now."""
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            parent = _parent(int(entry.name))
            if parent is not None:
                children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo and len(found) < 10_000:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def peak_rss(pid: int) -> int | None:
    """The process's resident high-water mark in bytes (``VmHWM``), None once it is gone."""
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


@dataclass
class MemoryWatch:
    """Samples the peak resident memory of a process tree in a thread until ``stop()``."""

    roots: list[int]
    peaks: dict[int, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> MemoryWatch:
        self._sample()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        deadline = time.monotonic() + WATCH_AT_MOST
        while not self._stop.wait(SAMPLE_EVERY) and time.monotonic() < deadline:
            self._sample()

    def _sample(self) -> None:
        for root in self.roots:
            for pid in process_tree(root):
                rss = peak_rss(pid)
                if rss is not None:
                    self.peaks[pid] = max(rss, self.peaks.get(pid, 0))

    def stop(self) -> int:
        """Stop sampling; the largest peak of one process seen, in bytes."""
        self._sample()
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        return self.peak

    @property
    def peak(self) -> int:
        return max(self.peaks.values(), default=0)

    def __enter__(self) -> MemoryWatch:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class HealthWatch:
    """Asks ``url/healthz`` again and again from a thread; keeps the worst answer time and every failure."""

    url: str
    every: float = 0.1
    timeout: float = 5.0
    worst: float = 0.0
    answers: int = 0
    failures: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> HealthWatch:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        deadline = time.monotonic() + WATCH_AT_MOST
        while not self._stop.is_set() and time.monotonic() < deadline:
            started = time.monotonic()
            try:
                status = requests.get(f"{self.url}/healthz", timeout=self.timeout).status_code
                if status != 200:
                    self.failures.append(f"HTTP {status}")
            except requests.RequestException as error:
                self.failures.append(type(error).__name__)
            self.worst = max(self.worst, time.monotonic() - started)
            self.answers += 1
            self._stop.wait(self.every)

    def stop(self) -> float:
        """Stop asking; the worst answer time in seconds."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout + 5)
        return self.worst

    def __enter__(self) -> HealthWatch:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
