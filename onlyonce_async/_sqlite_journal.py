"""
`SQLiteJournal`: the embedded share journal, one SQLite file shared by the processes of one host.

Why the standard library's ``sqlite3`` through ``anyio.to_thread``: it runs on asyncio and trio
alike, needs no dependency, and each call is short (one small transaction), so a worker thread
per call costs microseconds next to a network round trip. The async wrappers read (aiosqlite,
asqlite) are asyncio-only or keep a thread of their own per connection for the same effect.
Concurrent calls share one transaction and one trip to the thread (`GroupCommit`).

Outcomes are written behind: `SQLiteJournal.succeeded` and `SQLiteJournal.failed` return
at once and are committed with the next transaction (the next claim, a renewal, the end of
the run), so a share costs one transaction, its claim. A process killed before that commit
leaves the entry in flight, and the next run looks it up (one ``GET``) — never a resend. The
in-flight claim itself is always committed before the share is sent.

Durability: the file is in WAL mode with ``synchronous=NORMAL``: a committed transaction
survives the process being killed (SIGKILL, OOM), which is what a bulk job meets; an operating
system crash or power loss may lose the last commits, and then the sweep of the sender's
requests on the rerun (``skip_existing``, on by default) still finds every share the server
created. Several processes may use one file at once (SQLite's locks, ``busy_timeout``); it
must be on a local disk, not NFS. A run's duplicate detection is a temporary table (on disk,
gone with the connection), so nothing of it is left behind, even by a killed process.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import anyio.to_thread

from ._group_commit import GroupCommit, Operation
from ._journal import Claim, ClaimState, JobKey, JournalError, OpenedInContext

__all__ = ["SQLiteJournal"]

_T = TypeVar("_T")

#: Identifies a share journal in its ``onlyonce_journal`` table.
_FORMAT = "onlyonce-share-journal/1"
_IN_FLIGHT, _SUCCEEDED, _FAILED = 0, 1, 2

_SCHEMA = """
CREATE TABLE onlyonce_journal (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE shares (
    sender BLOB NOT NULL,
    card BLOB NOT NULL,
    recipient BLOB NOT NULL,
    state INTEGER NOT NULL,
    owner TEXT,
    lease_until REAL NOT NULL DEFAULT 0,
    request_id BLOB,
    error TEXT,
    PRIMARY KEY (sender, card, recipient)
) WITHOUT ROWID;
"""


_SEEN = """
CREATE TEMP TABLE IF NOT EXISTS seen (
    run TEXT NOT NULL,
    recipient BLOB NOT NULL,
    PRIMARY KEY (run, recipient)
) WITHOUT ROWID
"""


def _nothing(connection: sqlite3.Connection) -> None:
    """An empty operation, to commit what waits."""


class SQLiteJournal(OpenedInContext):
    """
    A `ShareJournal` in one SQLite file (created if missing), for the processes of one host.

    Use it as an async context manager, or let ``share_many`` open it; `open` and `aclose`
    pair up, and the file is closed when the last opener closes it.

    Args:
        path: The journal file.
        lease: Seconds a worker's claim holds unless renewed (it is renewed every third of
            it while the share is in progress); a dead worker's claims are taken over after it.
        busy_timeout: Seconds to wait for another process's transaction before failing.
        clock: Wall-clock seconds for leases (every process on the file must agree).

    Raises:
        JournalError: From `open`: the file cannot be created or written, is not an SQLite
            database, or is an SQLite database that is not a share journal.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        lease: float = 60.0,
        busy_timeout: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not lease > 0:
            raise ValueError(f"lease must be positive seconds, not {lease!r}")
        self._path = os.fspath(path)
        self._lease = float(lease)
        self._busy_timeout = busy_timeout
        self._clock = clock
        self._connection: sqlite3.Connection | None = None
        self._opened = 0
        self._lock = threading.Lock()
        self._batches = GroupCommit(self._transaction)

    def __repr__(self) -> str:
        return f"SQLiteJournal({self._path!r})"

    @property
    def lease(self) -> float:
        """Seconds a claim holds unless renewed."""
        return self._lease

    @property
    def path(self) -> str:
        """The journal file."""
        return self._path

    async def open(self) -> None:
        """
        Open the file, creating the journal in it if it is new.

        Raises:
            JournalError: It cannot be used as a share journal.
        """
        if self._connection is None:
            self._connection = await anyio.to_thread.run_sync(self._connect)
        self._opened += 1

    async def aclose(self) -> None:
        """Close the file once every `open` has its `aclose`."""
        self._opened = max(0, self._opened - 1)
        connection = self._connection
        if self._opened == 0 and connection is not None:
            with anyio.CancelScope(shield=True):
                try:
                    if self._batches.pending:
                        await self._run(_nothing)  # commits what was written behind
                finally:
                    self._connection = None
                    await anyio.to_thread.run_sync(self._close, connection)

    def _close(self, connection: sqlite3.Connection) -> None:
        with self._lock:
            connection.close()

    def _connect(self) -> sqlite3.Connection:
        try:
            connection = sqlite3.connect(
                self._path,
                timeout=self._busy_timeout,
                isolation_level=None,
                check_same_thread=False,
            )
        except sqlite3.Error as exc:
            raise JournalError(f"cannot open the share journal {self._path!r}: {exc}") from exc
        try:
            # Refuse a foreign database before changing anything in it (WAL mode included).
            self._check_or_create(connection, create=False)
            self._wal(connection)
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("BEGIN IMMEDIATE")
            try:
                self._check_or_create(connection)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
            # A run's duplicate detection lives in a temporary table, on disk (so memory stays
            # flat) and gone with the connection, even when the process is killed.
            connection.execute("PRAGMA temp_store=FILE")
            connection.execute(_SEEN)
        except sqlite3.Error as exc:
            connection.close()
            raise JournalError(f"cannot use {self._path!r} as a share journal: {exc}") from exc
        except BaseException:
            connection.close()
            raise
        return connection

    def _wal(self, connection: sqlite3.Connection) -> None:
        # Switching a new file to WAL needs it to itself, and SQLite answers "database is
        # locked" at once, without its busy handler, while another process opens it too.
        deadline = time.monotonic() + self._busy_timeout
        while True:
            try:
                (mode,) = connection.execute("PRAGMA journal_mode").fetchone()
                if str(mode).lower() != "wal":
                    connection.execute("PRAGMA journal_mode=WAL")
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.005)
            else:
                return

    def _check_or_create(self, connection: sqlite3.Connection, *, create: bool = True) -> None:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        if not tables:
            if not create:
                return
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    connection.execute(statement)
            connection.execute("INSERT INTO onlyonce_journal VALUES ('format', ?)", (_FORMAT,))
            return
        row = None
        if "onlyonce_journal" in tables:
            row = connection.execute(
                "SELECT value FROM onlyonce_journal WHERE key = 'format'"
            ).fetchone()
        if row is None or row[0] != _FORMAT:
            raise JournalError(
                f"{self._path!r} is an SQLite database but not a share journal "
                f"(expected format {_FORMAT!r}); pass a new file"
            )

    async def _run(self, function: Callable[..., _T], *args: Any) -> _T:
        if self._connection is None:
            raise JournalError(f"the share journal {self._path!r} is not open")
        return await self._batches.run(function, *args)

    def _transaction(self, batch: list[Operation]) -> list[Any]:
        with self._lock:
            return self._commit(batch)

    def _commit(self, batch: list[Operation]) -> list[Any]:
        connection = self._connection
        if connection is None:
            raise JournalError(f"the share journal {self._path!r} is closed")
        try:
            connection.execute("BEGIN IMMEDIATE")
            try:
                results = [op.function(connection, *op.args) for op in batch]
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        except sqlite3.Error as exc:
            raise JournalError(f"share journal {self._path!r}: {exc}") from exc
        return results

    async def claim(
        self, job: JobKey, recipient: uuid.UUID, run: str, *, first_sight: bool
    ) -> Claim:
        """See `ShareJournal.claim`."""
        return await self._run(self._claim, job, recipient, run, self._lease, first_sight)

    def _claim(
        self,
        connection: sqlite3.Connection,
        job: JobKey,
        recipient: uuid.UUID,
        run: str,
        lease: float,
        first_sight: bool,
    ) -> Claim:
        key = (job.sender_id.bytes, job.card_id.bytes, recipient.bytes)
        if first_sight:
            cursor = connection.execute(
                "INSERT OR IGNORE INTO seen VALUES (?, ?)", (run, recipient.bytes)
            )
            if cursor.rowcount == 0:
                return Claim(ClaimState.DUPLICATE)
        now = self._clock()
        inserted = connection.execute(
            "INSERT OR IGNORE INTO shares (sender, card, recipient, state, owner, lease_until)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (*key, _IN_FLIGHT, run, now + lease),
        )
        if inserted.rowcount == 1:  # the common case of a first run: one statement
            return Claim(ClaimState.NEW)
        state, owner, lease_until, request_id = connection.execute(
            "SELECT state, owner, lease_until, request_id FROM shares"
            " WHERE sender = ? AND card = ? AND recipient = ?",
            key,
        ).fetchone()
        if state == _SUCCEEDED:
            found = None if request_id is None else uuid.UUID(bytes=request_id)
            return Claim(ClaimState.SUCCEEDED, found)
        if state == _IN_FLIGHT and owner is not None and owner != run and lease_until > now:
            return Claim(ClaimState.BUSY)
        connection.execute(
            "UPDATE shares SET state = ?, owner = ?, lease_until = ?, error = NULL"
            " WHERE sender = ? AND card = ? AND recipient = ?",
            (_IN_FLIGHT, run, now + lease, *key),
        )
        return Claim(ClaimState.NEW if state == _FAILED else ClaimState.RESUMED)

    async def renew(self, job: JobKey, recipients: Iterable[uuid.UUID], run: str) -> set[uuid.UUID]:
        """See `ShareJournal.renew`."""
        return await self._run(self._renew, job, list(recipients), run, self._lease)

    def _renew(
        self,
        connection: sqlite3.Connection,
        job: JobKey,
        recipients: list[uuid.UUID],
        run: str,
        lease: float,
    ) -> set[uuid.UUID]:
        until = self._clock() + lease
        lost: set[uuid.UUID] = set()
        for recipient in recipients:
            cursor = connection.execute(
                "UPDATE shares SET lease_until = ? WHERE sender = ? AND card = ?"
                " AND recipient = ? AND state = ? AND owner = ?",
                (until, job.sender_id.bytes, job.card_id.bytes, recipient.bytes, _IN_FLIGHT, run),
            )
            if cursor.rowcount == 0:
                lost.add(recipient)
        return lost

    async def succeeded(self, job: JobKey, recipient: uuid.UUID, request_id: uuid.UUID) -> None:
        """See `ShareJournal.succeeded` (written behind: with the next transaction)."""
        self._later(self._add_existing, job, [(recipient, request_id)])

    async def failed(self, job: JobKey, recipient: uuid.UUID, run: str, error: str) -> None:
        """See `ShareJournal.failed` (written behind: with the next transaction)."""
        self._later(self._failed, job, recipient, run, error)

    def _later(self, function: Callable[..., Any], *args: Any) -> None:
        if self._connection is None:
            raise JournalError(f"the share journal {self._path!r} is not open")
        self._batches.later(function, *args)

    @staticmethod
    def _failed(
        connection: sqlite3.Connection, job: JobKey, recipient: uuid.UUID, run: str, error: str
    ) -> None:
        # Only over our own claim: a success recorded meanwhile (the sweep, a worker that
        # took the claim over) must never turn into "failed", which the next run resends.
        connection.execute(
            "UPDATE shares SET state = ?, owner = NULL, lease_until = 0, error = ?"
            " WHERE sender = ? AND card = ? AND recipient = ? AND state = ? AND owner = ?",
            (
                _FAILED,
                error[:500],
                job.sender_id.bytes,
                job.card_id.bytes,
                recipient.bytes,
                _IN_FLIGHT,
                run,
            ),
        )

    async def release(self, job: JobKey, recipients: Iterable[uuid.UUID], run: str) -> None:
        """See `ShareJournal.release`."""
        await self._run(self._release, job, list(recipients), run)

    @staticmethod
    def _release(
        connection: sqlite3.Connection, job: JobKey, recipients: list[uuid.UUID], run: str
    ) -> None:
        connection.executemany(
            "UPDATE shares SET owner = NULL, lease_until = 0"
            " WHERE sender = ? AND card = ? AND recipient = ? AND state = ? AND owner = ?",
            [
                (job.sender_id.bytes, job.card_id.bytes, r.bytes, _IN_FLIGHT, run)
                for r in recipients
            ],
        )

    async def add_existing(
        self, job: JobKey, shared: Iterable[tuple[uuid.UUID, uuid.UUID]]
    ) -> None:
        """See `ShareJournal.add_existing`."""
        await self._run(self._add_existing, job, list(shared))

    @staticmethod
    def _add_existing(
        connection: sqlite3.Connection,
        job: JobKey,
        shared: list[tuple[uuid.UUID, uuid.UUID]],
    ) -> None:
        connection.executemany(
            "INSERT INTO shares (sender, card, recipient, state, request_id)"
            " VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (sender, card, recipient) DO UPDATE SET state = excluded.state,"
            " owner = NULL, lease_until = 0, request_id = excluded.request_id, error = NULL",
            [
                (job.sender_id.bytes, job.card_id.bytes, r.bytes, _SUCCEEDED, q.bytes)
                for r, q in shared
            ],
        )

    async def end_run(self, run: str) -> None:
        """See `ShareJournal.end_run`."""
        await self._run(self._end_run, run)

    @staticmethod
    def _end_run(connection: sqlite3.Connection, run: str) -> None:
        connection.execute("DELETE FROM seen WHERE run = ?", (run,))
