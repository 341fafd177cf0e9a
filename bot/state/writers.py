"""One writer at a time to a SQLite file, across the threads and processes of one machine, without polling.

Embedded mode writes the ledger and huey's queue from two processes: the
web worker (deliveries, wake-ups) and the review worker process (job
states, taking wake-ups). SQLite serialises their transactions with its
busy handler, which sleeps and retries (1, 2, 5, 10 ms and longer), so a
delivery arriving while the review process held the write lock waited for
the next retry, well after the lock was free, while every other delivery
waited behind it on the web process's event loop. Here a writer waits on a
lock of the operating system (``flock`` on a file beside the database),
which hands it over the moment it is released. A thread lock in front of
it serialises the threads of one process, which share the file and so the
``flock``.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class WriteLock:
    """The lock writers of ``database`` take before ``BEGIN`` (``database`` + ``-writer`` beside it)."""

    def __init__(self, database: Path) -> None:
        self.path = Path(f"{database}-writer")
        self._threads = threading.Lock()
        self._fd: int | None = None
        self._pid = -1

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold the lock for the duration of the block (one transaction)."""
        with self._threads:
            fd = self._file()
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def _file(self) -> int:
        # A process forked after the file was opened shares its open file, and with it the lock: open anew.
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._pid = os.getpid()
        return self._fd
