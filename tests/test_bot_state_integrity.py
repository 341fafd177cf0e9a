"""Damaged SQLite files: the ledger stops the server with a reason; the wake-up queue is moved aside."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from bot_support.keys import key_pair

from bot.state import SqliteStore
from bot.state.integrity import StoreUnusable, check_ledger, damage, set_aside_if_damaged

ROOT = Path(__file__).resolve().parents[1]


def test_a_sound_or_absent_file_has_no_damage(tmp_path: Path) -> None:
    SqliteStore(tmp_path / "state.db")
    assert damage(tmp_path / "state.db") is None
    assert damage(tmp_path / "missing.db") is None
    check_ledger(tmp_path / "state.db")


def test_garbage_and_a_truncated_database_are_damage(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database, it is a note\n" * 200)
    assert "not a database" in (damage(garbage) or "")
    sound = tmp_path / "sound.db"
    db = sqlite3.connect(sound)
    db.execute("create table t (x text)")
    db.executemany("insert into t values (?)", [("x" * 500,) for _ in range(2000)])
    db.commit()
    db.close()
    data = sound.read_bytes()
    cut = tmp_path / "cut.db"
    cut.write_bytes(data[: len(data) // 2])
    assert damage(cut) is not None


def test_a_damaged_ledger_is_left_in_place_and_the_message_says_what_to_do(tmp_path: Path) -> None:
    ledger = tmp_path / "state.db"
    ledger.write_bytes(b"\x00garbage" * 1000)
    with pytest.raises(StoreUnusable) as stopped:
        check_ledger(ledger)
    message = str(stopped.value)
    assert str(ledger) in message and "move it aside" in message and "Redeliver" in message
    assert ledger.read_bytes() == b"\x00garbage" * 1000


def test_a_damaged_wake_up_queue_is_moved_aside(tmp_path: Path) -> None:
    queue = tmp_path / "queue.db"
    queue.write_bytes(b"garbage" * 1000)
    moved = set_aside_if_damaged(queue)
    assert moved is not None and moved.exists() and not queue.exists()
    assert moved.name.startswith("queue.db.broken-")
    assert set_aside_if_damaged(tmp_path / "queue.db") is None


def test_serve_on_a_damaged_ledger_stops_with_the_reason_and_no_traceback(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "state.db").write_bytes(b"garbage" * 1000)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLUX_REVIEW_", "REDIS_"))}
    env.update(APP_ID="4242", PRIVATE_KEY=key_pair()[0], WEBHOOK_SECRET="s", DATA_DIR=str(data),
               PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", "1"],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"{data / 'state.db'} is not a usable flux-review ledger" in done.stderr
