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


def _rows_in_database_file(database) -> int:
    """Rows of t in the database file itself, without the WAL (what a checkpoint copied)."""
    reader = sqlite3.connect(f"{database.as_uri()}?immutable=1", uri=True)
    try:
        return reader.execute("SELECT count(*) FROM t").fetchone()[0]
    finally:
        reader.close()


def test_the_engine_leaves_checkpoints_to_the_queues_thread(tmp_path):
    from portal.db import make_engine

    database = tmp_path / "engine.db"
    engine = make_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    memory = make_engine("sqlite://")  # no file, no queue: SQLite's default stays
    with memory.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000
    engine.dispose()


def test_a_commit_leaves_the_wal_and_the_thread_copies_it_into_the_database(tmp_path):
    database = tmp_path / "journal n°1 #à?.db"  # opened by URI: spaces, # and ? escaped
    factory = queued_connection_class(database, timeout=0.5)
    checkpointer = factory.queue.checkpointer
    checkpointer.interval = 0.05
    writer = sqlite3.connect(database, factory=factory, check_same_thread=False)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE t (x INTEGER)")
    writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the table itself in the file
    before = checkpointer.checkpoints
    writer.execute("INSERT INTO t VALUES (1)")
    writer.commit()  # leaves the queue, wakes the thread
    deadline = time.monotonic() + 5
    while _rows_in_database_file(database) == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _rows_in_database_file(database) == 1
    assert checkpointer.checkpoints > before
    writer.close()


def test_the_thread_stops_when_nothing_is_written_and_starts_again_at_the_next_write(connect):
    one = connect()
    checkpointer = one.queue.checkpointer
    checkpointer.interval, checkpointer.idle = 0.02, 0.1
    one.execute("INSERT INTO t VALUES (1)")
    one.commit()
    first = checkpointer._thread
    assert first is not None
    first.join(timeout=5)
    assert not first.is_alive() and checkpointer._thread is None
    one.execute("INSERT INTO t VALUES (2)")
    one.rollback()  # a write transaction that ends without a commit counts too
    assert checkpointer._thread is not None and checkpointer._thread is not first


def test_a_checkpoint_on_a_removed_database_creates_no_file(tmp_path):
    from portal.sqlite_writer_queue import Checkpointer

    missing = tmp_path / "gone.db"
    assert Checkpointer(missing).checkpoint() is None
    assert not missing.exists()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_thread_that_fails_is_replaced_at_the_next_write(connect):
    one = connect()
    checkpointer = one.queue.checkpointer
    checkpointer.interval = 0.02

    def fails():
        raise MemoryError("simulated")

    checkpointer.checkpoint = fails
    one.execute("INSERT INTO t VALUES (1)")
    one.commit()
    failed = checkpointer._thread
    failed.join(timeout=5)
    assert not failed.is_alive() and checkpointer._thread is None
    del checkpointer.checkpoint  # the real one again
    one.execute("INSERT INTO t VALUES (2)")
    one.commit()
    assert checkpointer._thread is not None and checkpointer._thread.is_alive()
