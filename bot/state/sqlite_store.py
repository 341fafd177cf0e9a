"""The ledger in SQLite under ``DATA_DIR``: embedded mode, one machine, no server to run.

Each thread gets its own connection; transitions run inside ``BEGIN
IMMEDIATE`` so that concurrent workers serialise on the write lock. WAL
journaling keeps readers unblocked. A committed transaction survives the
process being killed.

The threads of one process also take a lock of their own before ``BEGIN
IMMEDIATE``: SQLite's busy handler polls with growing sleeps (up to 100 ms),
so under a burst of webhooks a thread slept long after the write lock was
free; a thread waiting on the process's lock starts the moment it is.
Writers of other processes (embedded mode's review worker process) wait
on a lock of the operating system as well (``bot.state.writers``), for the
same reason; SQLite's timeout stays as the last resort.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bot.state.base import TERMINAL, JobRecord, PullRecord, Store, _Change
from bot.state.writers import WriteLock

_SCHEMA = """
create table if not exists deliveries (id text primary key, received_at real not null);
create table if not exists jobs (
    id text primary key, key text not null, payload text not null, state text not null,
    attempts integer not null, owner text not null, lease_until real not null, check_run_id text not null,
    final_output text not null, outcome text not null, created_at real not null, updated_at real not null,
    due_at text not null
);
create index if not exists jobs_state on jobs (state);
create table if not exists pulls (key text primary key, latest text not null, running text not null,
                                  lease_until real not null);
create table if not exists installations (id integer primary key, account text not null, action text not null,
                                          repositories text not null, updated_at real not null);
"""
_COLUMNS = ("id", "key", "payload", "state", "attempts", "owner", "lease_until", "check_run_id", "final_output",
            "outcome", "created_at", "updated_at", "due_at")


class SqliteStore(Store):
    """Ledger tables in one SQLite file."""

    def __init__(self, path: Path, timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._timeout = timeout
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._guard = threading.Lock()
        self._writing = WriteLock(self.path)
        self._db().executescript(_SCHEMA)

    # -- connections ---------------------------------------------------------------
    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False)
            db.execute("pragma journal_mode=wal")
            db.execute("pragma synchronous=normal")
            self._local.db = db
            with self._guard:
                self._connections.append(db)
        return db

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._db()
        with self._writing.held():
            db.execute("begin immediate")
            try:
                yield db
            except BaseException:
                db.execute("rollback")
                raise
            db.execute("commit")

    # -- primitives ----------------------------------------------------------------
    def _insert(self, delivery_id: str, now: float, job: JobRecord | None) -> bool:
        with self._transaction() as db:
            # One statement both checks and records the id: every statement inside the write lock gives up the
            # interpreter lock and may wait for it again while the other request threads wait for the write lock.
            taken = db.execute("insert into deliveries (id, received_at) values (?, ?) on conflict(id) do nothing",
                               (delivery_id, now)).rowcount
            if not taken:
                return False
            if job is not None:
                self._write_job(db, job)
                db.execute(
                    "insert into pulls (key, latest, running, lease_until) values (?, ?, '', 0) "
                    "on conflict(key) do update set latest = excluded.latest",
                    (job.key, job.id),
                )
            return True

    def _modify(self, job_id: str, change: Callable[[JobRecord | None, PullRecord | None], _Change]) -> Any:
        with self._transaction() as db:
            job = self._read_job(db, job_id)
            pull = None
            if job is not None:
                row = db.execute("select key, latest, running, lease_until from pulls where key = ?",
                                 (job.key,)).fetchone()
                pull = PullRecord(*row) if row else None
            verdict = change(job, pull)
            if verdict.job is not None:
                self._write_job(db, verdict.job)
            if verdict.pull is not None:
                db.execute(
                    "insert into pulls (key, latest, running, lease_until) values (?, ?, ?, ?) "
                    "on conflict(key) do update set latest = excluded.latest, running = excluded.running, "
                    "lease_until = excluded.lease_until",
                    (verdict.pull.key, verdict.pull.latest, verdict.pull.running, verdict.pull.lease_until),
                )
            return verdict.result

    def _due_ids(self, now: float) -> list[str]:
        placeholders = ",".join("?" * len(TERMINAL))
        rows = self._db().execute(
            f"select id, due_at from jobs where state not in ({placeholders}) and due_at != ''",
            tuple(TERMINAL),
        ).fetchall()
        return [job_id for job_id, due in rows if float(due) <= now]

    def take_due(self, now: float, grace: float) -> list[JobRecord]:
        """As ``Store.take_due``, in one transaction however many jobs are due.

        In embedded mode the reaper takes every new job once it is due, a few
        hundred at a time during a burst: one turn of the write lock for all of
        them, rather than one each between the web process's writes.
        """
        if not self._due_ids(now):
            return []  # nothing due: the write lock is not taken
        taken: list[JobRecord] = []
        with self._transaction() as db:
            for job_id in self._due_ids(now):
                job = self._read_job(db, job_id)
                if job is None or job.state in TERMINAL or job.due_at is None or job.due_at > now:
                    continue
                job.due_at = now + grace
                db.execute("update jobs set due_at = ? where id = ?", (job.to_fields()["due_at"], job.id))
                taken.append(job)
        return taken

    def _ids_in_state(self, state: str) -> list[str]:
        return [row[0] for row in self._db().execute("select id from jobs where state = ?", (state,))]

    def count(self, state: str) -> int:
        return int(self._db().execute("select count(*) from jobs where state = ?", (state,)).fetchone()[0])

    def get(self, job_id: str) -> JobRecord | None:
        return self._read_job(self._db(), job_id)

    def record_installation(self, installation_id: int, account: str, action: str,
                            added: list[str], removed: list[str], now: float) -> None:
        with self._transaction() as db:
            row = db.execute("select repositories from installations where id = ?", (installation_id,)).fetchone()
            repositories = set(json.loads(row[0])) if row else set()
            repositories = (repositories | set(added)) - set(removed)
            db.execute(
                "insert into installations (id, account, action, repositories, updated_at) values (?, ?, ?, ?, ?) "
                "on conflict(id) do update set account = excluded.account, action = excluded.action, "
                "repositories = excluded.repositories, updated_at = excluded.updated_at",
                (installation_id, account, action, json.dumps(sorted(repositories)), now),
            )

    def installation(self, installation_id: int) -> dict[str, Any] | None:
        row = self._db().execute(
            "select account, action, repositories, updated_at from installations where id = ?", (installation_id,)
        ).fetchone()
        if row is None:
            return None
        return {"account": row[0], "action": row[1], "repositories": json.loads(row[2]), "updated_at": row[3]}

    def prune(self, now: float, deliveries_older_than: float, jobs_older_than: float) -> int:
        placeholders = ",".join("?" * len(TERMINAL))
        with self._transaction() as db:
            gone = db.execute("delete from deliveries where received_at < ?",
                              (now - deliveries_older_than,)).rowcount
            gone += db.execute(f"delete from jobs where state in ({placeholders}) and updated_at < ?",
                               (*TERMINAL, now - jobs_older_than)).rowcount
            db.execute("delete from pulls where latest not in (select id from jobs)")
        return gone

    def ping(self) -> None:
        self._db().execute("select 1").fetchone()

    def close(self) -> None:
        with self._guard:
            for db in self._connections:
                db.close()
            self._connections.clear()
        self._local = threading.local()

    # -- rows ----------------------------------------------------------------------
    @staticmethod
    def _read_job(db: sqlite3.Connection, job_id: str) -> JobRecord | None:
        row = db.execute(f"select {', '.join(_COLUMNS)} from jobs where id = ?", (job_id,)).fetchone()
        if row is None:
            return None
        return JobRecord.from_fields({name: str(value) for name, value in zip(_COLUMNS, row, strict=True)})

    @staticmethod
    def _write_job(db: sqlite3.Connection, job: JobRecord) -> None:
        fields = job.to_fields()
        db.execute(
            f"insert or replace into jobs ({', '.join(_COLUMNS)}) values ({', '.join('?' * len(_COLUMNS))})",
            tuple(fields[name] for name in _COLUMNS),
        )
