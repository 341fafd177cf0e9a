"""Memory of reading a hostile archive: a small gzipped tarball of huge repetitive members.

Run by hand: `python bench/archive_bomb.py`. Prints the download size, what was
kept, how many members were skipped, the time and the peak RSS of the process.
RepoSnapshot.from_tar keeps at most ArchiveLimits.max_ratio times the download
(never below min_total_bytes), so the peak stays near that, not near the
archive's inflated size (600 MiB here).
"""

from __future__ import annotations

import io
import resource
import sys
import tarfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from checks.source import RepoSnapshot

MEMBERS = 40
MEMBER_BYTES = 15 * 1024 * 1024


def bomb() -> bytes:
    buffer = io.BytesIO()
    chunk = b"\0" * MEMBER_BYTES
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for index in range(MEMBERS):
            info = tarfile.TarInfo(f"top/f{index}.yaml")
            info.size = len(chunk)
            archive.addfile(info, io.BytesIO(chunk))
    return buffer.getvalue()


def main() -> None:
    data = bomb()
    started = time.perf_counter()
    snapshot = RepoSnapshot.from_tar(data)
    kept = sum(len(snapshot.read(path)) for path in snapshot.paths())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"archive {len(data) / 1e3:.0f} KB inflating to {MEMBERS * MEMBER_BYTES / 2**20:.0f} MiB: kept "
          f"{kept / 2**20:.1f} MiB, skipped {len(snapshot.skipped)} members, {time.perf_counter() - started:.2f} s, "
          f"peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
