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


class WriterQueue:
    """One write transaction at a time on a database file, across threads and processes."""

    def __init__(self, database: Path, timeout: float) -> None:
        self.path = Path(f"{database}.writers")
        self.timeout = timeout
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


class _QueuedConnection(sqlite3.Connection):
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


_classes: dict[Path, type[_QueuedConnection]] = {}
_classes_lock = threading.Lock()


def queued_connection_class(database: Path, timeout: float) -> type[sqlite3.Connection]:
    """A `sqlite3.connect(factory=…)` class; every engine of the process on this file
    shares its queue."""
    key = Path(os.path.realpath(database))
    with _classes_lock:
        if key not in _classes:
            _classes[key] = type("QueuedConnection", (_QueuedConnection,),
                                 {"queue": WriterQueue(key, timeout)})
        return _classes[key]
