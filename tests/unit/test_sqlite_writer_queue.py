"""SQLite writers wait their turn in `sqlite_writer_queue`, and always leave it."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from portal.sqlite_writer_queue import queued_connection_class


@pytest.fixture
def connect(tmp_path):
    database = tmp_path / "queue.db"
    factory = queued_connection_class(database, timeout=0.5)
    opened = []

    def open_one() -> sqlite3.Connection:
        conn = sqlite3.connect(database, factory=factory, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout=5000")
        opened.append(conn)
        return conn

    first = open_one()
    first.execute("CREATE TABLE t (x INTEGER)")
    yield open_one
    for conn in opened:
        conn.close()


def test_a_writer_waits_until_the_previous_one_commits(connect):
    one, two = connect(), connect()
    one.execute("INSERT INTO t VALUES (1)")
    done = threading.Event()

    def second_writer():
        two.execute("INSERT INTO t VALUES (2)")
        two.commit()
        done.set()

    thread = threading.Thread(target=second_writer)
    thread.start()
    time.sleep(0.2)
    assert not done.is_set()
    one.commit()
    thread.join(timeout=5)
    assert done.is_set()
    assert one.execute("SELECT count(*) FROM t").fetchone() == (2,)


@pytest.mark.parametrize("leave", ["commit", "rollback", "close"])
def test_a_writer_leaves_the_queue_when_its_transaction_ends(connect, leave):
    one, two = connect(), connect()
    one.execute("INSERT INTO t VALUES (1)")
    getattr(one, leave)()
    finished = threading.Event()
    thread = threading.Thread(target=lambda: (two.execute("INSERT INTO t VALUES (2)"),
                                              two.commit(), finished.set()))
    thread.start()
    thread.join(timeout=5)
    assert finished.is_set()


def test_reading_does_not_wait_for_the_writer(connect):
    one, two = connect(), connect()
    one.execute("INSERT INTO t VALUES (1)")
    assert two.execute("SELECT count(*) FROM t").fetchone() == (0,)
    one.commit()


def test_a_thread_writing_on_a_second_connection_gets_database_is_locked(connect):
    one, two = connect(), connect()
    one.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        two.execute("INSERT INTO t VALUES (2)")  # same thread: it would wait for itself
    one.commit()
    two.execute("INSERT INTO t VALUES (3)")
    two.commit()
