"""Group commit: the writes several threads ask for at once go into one transaction, each caller waiting for its own.

Under a burst of webhooks, every request thread wrote its delivery in a
transaction of its own, one after the other under the store's write lock:
a queue of threads each waiting for the lock, and for Python's interpreter
lock again after it, for a few hundred microseconds of SQLite work each.
Here the first thread to find no commit in progress commits every write
pending at that moment, its own included; the threads that arrived
meanwhile wait for that commit and find theirs done, or lead the next one.
No thread of its own, nothing to start or stop.

What a caller is promised is unchanged: ``submit`` returns only after the
transaction holding its write has committed, and raises the error that
stopped that transaction (then none of the batch was written). Writes are
applied in the order they were submitted, as one thread after another
would have.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

W = TypeVar("W")
R = TypeVar("R")


class _Pending(Generic[W, R]):
    __slots__ = ("done", "error", "result", "write")

    def __init__(self, write: W) -> None:
        self.write = write
        self.done = False
        self.result: R | None = None
        self.error: BaseException | None = None


class GroupCommit(Generic[W, R]):
    """Batches of writes for ``commit``, which applies a batch in one transaction and returns a result per write."""

    def __init__(self, commit: Callable[[Sequence[W]], Sequence[R]]) -> None:
        self._commit = commit
        self._guard = threading.Lock()  # the list of pending writes
        self._leading = threading.Lock()  # held by the thread committing a batch
        self._pending: list[_Pending[W, R]] = []

    def submit(self, write: W) -> R:
        """Commit ``write`` (with whatever else is pending) and return its result once it is durable."""
        mine: _Pending[W, R] = _Pending(write)
        with self._guard:
            self._pending.append(mine)
        with self._leading:
            if not mine.done:
                with self._guard:
                    batch, self._pending = self._pending, []
                self._run(batch)
        if mine.error is not None:
            raise mine.error
        return mine.result  # type: ignore[return-value]  # set for every write of a committed batch

    def _run(self, batch: list[_Pending[W, R]]) -> None:
        try:
            results = self._commit([pending.write for pending in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"a batch of {len(batch)} writes gave {len(results)} results")
        except BaseException as error:  # every caller of the batch learns it was not written
            for pending in batch:
                pending.error, pending.done = error, True
            return
        for pending, result in zip(batch, results, strict=True):
            pending.result, pending.done = result, True
