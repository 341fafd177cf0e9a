"""Recently downloaded repository archives, kept in memory by commit, so a re-review downloads only what changed.

A commit's archive never changes, so the next push to a pull request can
reuse the merge base's archive (and a recheck both). Entries are keyed by
installation, repository and full commit id (a branch name is never cached:
it moves), and evicted least-recently-used once their compressed bytes pass
the cap (``FLUX_REVIEW_ARCHIVE_CACHE_BYTES``; 0 turns the cache off). The
key includes the installation so that no installation reads another's
repository through the cache.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict

_COMMIT = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")


class ArchiveCache:
    """A thread-safe LRU of archive bytes, bounded by their total size."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[int, str, str], bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    @staticmethod
    def cacheable(ref: str) -> bool:
        """Only full commit ids name content that never changes."""
        return _COMMIT.fullmatch(ref) is not None

    def get(self, installation_id: int, repository: str, ref: str) -> bytes | None:
        key = (installation_id, repository.lower(), ref)
        with self._lock:
            data = self._entries.get(key)
            if data is not None:
                self._entries.move_to_end(key)
            return data

    def put(self, installation_id: int, repository: str, ref: str, data: bytes) -> None:
        if not self.cacheable(ref) or len(data) > self.max_bytes:
            return
        key = (installation_id, repository.lower(), ref)
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= len(old)
            self._entries[key] = data
            self._size += len(data)
            while self._size > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._size -= len(evicted)

    @property
    def size(self) -> int:
        with self._lock:
            return self._size
