"""Checking the embedded mode's SQLite files before the server starts, so a damaged one stops it with a reason.

``state.db`` is the ledger: every queued and running review. A garbage or
truncated file must never be replaced silently (that would lose those
reviews without a word), so the server stops and says which file, what
SQLite found, and what the operator can do. ``queue.db`` only holds
wake-ups, which the ledger repairs (``bot.jobs``): a damaged one is moved
aside and the server starts.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

log = logging.getLogger(__name__)


class StoreUnusable(RuntimeError):
    """The ledger file cannot be used; the message says what to do."""


def damage(path: Path) -> str | None:
    """What SQLite finds wrong with ``path`` (read-only, a quick check), or None when it is sound or absent."""
    if not path.exists():
        return None
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error as error:
        return str(error)
    try:
        rows = db.execute("pragma quick_check").fetchall()
    except sqlite3.Error as error:
        return str(error)
    finally:
        db.close()
    problems = [str(row[0]) for row in rows if row and row[0] != "ok"]
    return "; ".join(problems[:3]) or None


def check_ledger(path: Path) -> None:
    """Raise ``StoreUnusable`` when the ledger is damaged."""
    problem = damage(path)
    if problem is None:
        return
    raise StoreUnusable(
        f"{path} is not a usable flux-review ledger (SQLite: {problem}). It holds the queued and running "
        f"reviews, so it is left as it is. Keep a copy, move it aside (mv {path} {path}.broken) and start "
        "again: the reviews it held are lost, and GitHub's Redeliver (the App's advanced settings) sends their "
        "webhooks again.")


def set_aside_if_damaged(path: Path) -> Path | None:
    """Move a damaged wake-up queue aside (the ledger re-queues its jobs); returns where it went."""
    problem = damage(path)
    if problem is None:
        return None
    target = path.with_name(f"{path.name}.broken-{int(time.time())}")
    path.rename(target)
    for suffix in ("-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            companion.rename(target.with_name(target.name + suffix))
    log.warning("%s was damaged (SQLite: %s) and is moved to %s; its wake-ups are rebuilt from the ledger",
                path, problem, target)
    return target
