"""SQLite writers wait in a queue that wakes them, instead of polling the database lock.

SQLite lets one write transaction at a time in; a writer that finds the database
locked is left to its busy handler, which sleeps 1, 2, 5, 10… up to 100 ms between
tries. Under many concurrent writers (gunicorn's workers and threads) the lock then
sits idle while they sleep, and some wait a second or more. So each write
transaction first takes a thread lock within the process, then an exclusive `flock`
on `<database file>.writers` between processes: the next writer gets in within a millisecond
of the previous one's commit or rollback (and gives up after the busy timeout), and
the kernel releases the lock of a process that dies. A transaction takes its place in the queue just before its first
INSERT, UPDATE, DELETE or REPLACE (where the sqlite3 module opens it), and leaves it
at commit, rollback or close.

The WAL is copied back into the database file by a thread of each process
(`Checkpointer`), not by the writers. SQLite's automatic checkpoint runs inside the
commit that takes the WAL past 1,000 pages and, with `synchronous=NORMAL`, waits for
the disk twice (the WAL, then the database file) while that writer still holds the
queue, so every other writer waits for the disk too. The engines turn it off
(`PRAGMA wal_autocheckpoint=0`, in `portal.db`), and once a second at most, when the
process has written since the last time, the thread runs a PASSIVE checkpoint, which
neither takes the write lock nor waits for readers.
"""

from __future__ import annotations

import fcntl
import os
import re
import sqlite3
import threading
import time
from pathlib import Path

_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


class Checkpointer:
    """PASSIVE checkpoints of one database file from a thread of this process, at most
    every `interval` seconds and only after a write (`written`). The thread stops after
    `idle` seconds without writes, and starts again at the next one."""

    def __init__(self, database: Path, interval: float = 1.0, idle: float = 30.0) -> None:
        self.database = database
        self.interval, self.idle = interval, idle
        self.checkpoints = 0  # run by this process, for tests and measures
        self._dirty = False
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def written(self) -> None:
        """A write transaction of this process has ended (committed or not)."""
        with self._lock:
            self._dirty = True
            if self._thread is None:
                thread = threading.Thread(target=self._run, daemon=True,
                                          name=f"checkpoint {self.database.name}")
                try:
                    thread.start()
                except RuntimeError:  # the interpreter is exiting: the last close checkpoints
                    return
                self._thread = thread

    def forked(self) -> None:
        """In a child process, just after the fork: the parent's thread is not there."""
        self._lock = threading.Lock()
        self._thread = None

    def _run(self) -> None:
        quiet = 0.0
        try:
            while True:
                time.sleep(self.interval)
                with self._lock:
                    if not self._dirty:
                        quiet += self.interval
                        if quiet >= self.idle:
                            self._thread = None  # under the lock: the next write starts another
                            return
                        continue
                    self._dirty = False
                quiet = 0.0
                self.checkpoint()
        finally:  # after an unexpected error too, a later write starts another thread
            with self._lock:
                if self._thread is threading.current_thread():
                    self._thread = None

    def checkpoint(self) -> tuple[int, int, int] | None:
        """One PASSIVE checkpoint on a connection of its own: (busy, frames in the WAL,
        frames copied), or None when SQLite refused it (it is tried again after the
        next write; meanwhile the WAL only grows)."""
        try:
            # mode=rw: a database file removed in the meantime is not created again.
            uri = f"{Path(os.path.abspath(self.database)).as_uri()}?mode=rw"
            connection = sqlite3.connect(uri, uri=True, isolation_level=None)
        except sqlite3.Error:
            return None
        try:
            connection.execute("PRAGMA synchronous=NORMAL")
            row = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            self.checkpoints += 1
            return tuple(row)
        except sqlite3.Error:
            return None
        finally:
            connection.close()


class WriterQueue:
    """One write transaction at a time on a database file, across threads and processes."""

    def __init__(self, database: Path, timeout: float) -> None:
        self.path = Path(f"{database}.writers")
        self.timeout = timeout
        self.checkpointer = Checkpointer(database)
        self._threads = threading.Lock()
        self._fd: int | None = None
        self._pid = 0

    def acquire(self) -> None:
        # A thread that already holds the queue (a second connection written to before the
        # first one commits) gets SQLite's own answer after its busy timeout.
        if not self._threads.acquire(timeout=self.timeout):
            raise sqlite3.OperationalError("database is locked")
        try:
            self._lock_file()
        except BaseException:
            self._threads.release()
            raise

    def _lock_file(self) -> None:
        """The lock between processes, waited for `timeout` seconds at most (a stuck
        writer must not block the others for ever): tried without blocking, then
        every millisecond or so."""
        fd = self._file()
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise sqlite3.OperationalError("database is locked") from None
                time.sleep(0.001)

    def release(self) -> None:
        try:
            fcntl.flock(self._file(), fcntl.LOCK_UN)
        finally:
            self._threads.release()
        self.checkpointer.written()

    def _file(self) -> int:
        if self._fd is None or self._pid != os.getpid():  # a forked process opens its own
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd


class _QueuedCursor(sqlite3.Cursor):
    def execute(self, sql, parameters=(), /):
        self.connection.before_statement(sql)
        return super().execute(sql, parameters)

    def executemany(self, sql, parameters, /):
        self.connection.before_statement(sql)
        return super().executemany(sql, parameters)


class QueuedConnection(sqlite3.Connection):
    """A connection whose write transactions wait in its class's `queue`."""

    queue: WriterQueue

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.holding = False

    def before_statement(self, sql: str) -> None:
        if not self.holding and _WRITE.match(sql):
            self.queue.acquire()
            self.holding = True

    def cursor(self, factory=_QueuedCursor):
        return super().cursor(factory)

    def execute(self, sql, parameters=(), /):
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql, parameters, /):
        return self.cursor().executemany(sql, parameters)

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._leave()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._leave()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._leave()

    def __del__(self) -> None:  # dropped without close(): SQLite ends its transaction too
        self._leave()

    def _leave(self) -> None:
        if getattr(self, "holding", False):
            self.holding = False
            self.queue.release()


_classes: dict[Path, type[QueuedConnection]] = {}
_classes_lock = threading.Lock()


def _after_fork_in_child() -> None:
    global _classes_lock
    _classes_lock = threading.Lock()
    for connection_class in _classes.values():
        connection_class.queue.checkpointer.forked()


os.register_at_fork(after_in_child=_after_fork_in_child)


def queued_connection_class(database: Path, timeout: float) -> type[sqlite3.Connection]:
    """A `sqlite3.connect(factory=…)` class; every engine of the process on this file
    shares its queue."""
    key = Path(os.path.realpath(database))
    with _classes_lock:
        if key not in _classes:
            _classes[key] = type("QueuedConnection", (QueuedConnection,),
                                 {"queue": WriterQueue(key, timeout)})
        return _classes[key]
