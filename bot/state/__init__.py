"""The bot's durable state: job records, pull-request locks, delivery ids, installations.

``open_store`` picks the storage from the settings: SQLite under ``DATA_DIR``
(embedded mode) or Redis (``REDIS_URL`` set, scale-out mode).
"""

from __future__ import annotations

import sqlite3

import redis

from bot.settings import Settings
from bot.state.base import (
    DONE,
    FAILED,
    FINALIZING,
    QUEUED,
    RUNNING,
    SUPERSEDED,
    Accepted,
    Claim,
    Finished,
    JobRecord,
    PullRecord,
    Store,
)
from bot.state.redis_store import RedisStore
from bot.state.sqlite_store import SqliteStore

__all__ = [
    "DONE",
    "FAILED",
    "FINALIZING",
    "QUEUED",
    "RUNNING",
    "STORE_ERRORS",
    "SUPERSEDED",
    "Accepted",
    "Claim",
    "Finished",
    "JobRecord",
    "PullRecord",
    "RedisStore",
    "SqliteStore",
    "Store",
    "open_store",
]

# What a store raises when it cannot read or write (disk full, file damaged, Redis away).
STORE_ERRORS: tuple[type[BaseException], ...] = (sqlite3.Error, redis.exceptions.RedisError, OSError)


def open_store(settings: Settings) -> Store:
    """The ledger for this deployment's mode."""
    if settings.redis_url:
        return RedisStore(redis.Redis.from_url(settings.redis_url, socket_timeout=30, health_check_interval=30))
    return SqliteStore(settings.data_dir / "state.db")
