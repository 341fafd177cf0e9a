"""The data directory is the owner's alone: the folder 0700, its files 0600, new files too."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from bot.data_dir import make_private


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_and_an_existing_data_directory_become_owner_only(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        fresh = make_private(tmp_path / "new" / "data")
        assert _mode(fresh) == 0o700
        (fresh / "queue.db").write_text("x")
        assert _mode(fresh / "queue.db") == 0o600  # created under the owner-only umask
        os.umask(0o022)
        existing = tmp_path / "old"
        existing.mkdir(mode=0o755)
        (existing / "state.db").write_text("x")
        (existing / "state.db").chmod(0o644)
        make_private(existing)
        assert _mode(existing) == 0o700 and _mode(existing / "state.db") == 0o600
    finally:
        os.umask(previous)
