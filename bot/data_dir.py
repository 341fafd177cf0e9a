"""The data directory holds the queue, the ledger and (after setup) the App's private key: owner only.

Files follow the process umask, commonly 0644 and folders 0755, which would
let every local user read queued payloads and, later, the key. The server and
the workers therefore create everything under ``DATA_DIR`` for the owner alone.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

OWNER_ONLY_UMASK = 0o077


def make_private(data_dir: Path) -> Path:
    """Create ``data_dir`` 0700 (tightening an existing one), its files 0600, and new files owner-only."""
    os.umask(OWNER_ONLY_UMASK)
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(OSError):
        data_dir.chmod(0o700)
    for path in data_dir.iterdir():
        if path.is_file() and not path.is_symlink():
            with contextlib.suppress(OSError):
                path.chmod(0o600)
    return data_dir
