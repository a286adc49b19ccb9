"""Database engine, sessions and the declarative base shared by every model.

SQLite (the embedded default) runs in WAL mode with foreign keys on, its writers
queued (`sqlite_writer_queue`); any other SQLAlchemy URL (PostgreSQL for scale-out)
is used as given.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app, g
from sqlalchemy import event, orm

from portal.json_provider import column_dumps, column_loads
from portal.sqlite_writer_queue import QueuedConnection, queued_connection_class

BUSY_SECONDS = 10  # how long a SQLite writer waits for the lock before "database is locked"


class Base(orm.DeclarativeBase):
    """Declarative base; naming convention keeps Alembic constraint names stable."""

    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    if isinstance(dbapi_connection, QueuedConnection):
        # Checkpoints are the queue's thread's (`Checkpointer`), not the committing writer's.
        cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_SECONDS * 1000}")
    cursor.close()


def make_engine(url: str) -> sa.Engine:
    """Create an engine for `url`, preparing SQLite files and pragmas."""
    if url.startswith("sqlite"):
        database = sa.engine.make_url(url).database
        connect_args: dict = {"check_same_thread": False}
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
            connect_args["factory"] = queued_connection_class(Path(database), BUSY_SECONDS)
        engine = sa.create_engine(url, connect_args=connect_args, json_serializer=column_dumps,
                                  json_deserializer=column_loads)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, json_serializer=column_dumps,
                            json_deserializer=column_loads)


def session() -> orm.Session:
    """The request's session, opened on first use and closed at teardown."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["portal.sessionmaker"]()
    return g.db_session


@contextmanager
def session_scope(engine: sa.Engine) -> Iterator[orm.Session]:
    """A session outside a request (CLI, scripts): committed on success."""
    maker = orm.sessionmaker(engine, expire_on_commit=False)
    with maker() as s, s.begin():
        yield s


def _close_session(_exc: BaseException | None) -> None:
    s = g.pop("db_session", None)
    if s is not None:
        s.close()


def init_app(app: Flask, engine: sa.Engine) -> None:
    app.extensions["portal.engine"] = engine
    app.extensions["portal.sessionmaker"] = orm.sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def database_ok(engine: sa.Engine) -> bool:
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return True
    except sa.exc.SQLAlchemyError:
        return False
