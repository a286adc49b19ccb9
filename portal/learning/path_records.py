"""Path starts and certificates, written in the transaction of the step that earns them.

A step is done when its page is read (`read:`, `listen:`) or its quiz is passed.
Doing one can only change the paths that contain it, so `record_step` reads back
the steps of those paths only, in one query, and writes only what changed: the
first step done starts a path, the last one completes it and issues its
certificate. The unique constraints (one enrolment and one certificate per learner
and path) and `lock_learner` keep that true under concurrent requests.
"""

from __future__ import annotations

import secrets
from functools import cache, lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.dialects import postgresql, sqlite

from portal.accounts.models import User, utcnow
from portal.driver_sql import DriverStatement

from .models import Attempt, Certificate, PageRead, PathEnrollment
from .progress import step_states
from .quizzes import Catalog, Path_, page_url

_users, _enrolments, _certificates = User.__table__, PathEnrollment.__table__, Certificate.__table__
_pages, _attempts = PageRead.__table__, Attempt.__table__
_LOCK_LEARNER = sa.select(_users.c.id).where(_users.c.id == sa.bindparam("id")).with_for_update()
_USER = sa.bindparam("user_id")


def lock_learner(session: orm.Session, user_id: int) -> None:
    """One writer at a time per learner, until the transaction ends.

    PostgreSQL: a row lock on the learner, and what the transaction reads afterwards
    includes what the previous holder committed. SQLite needs none: a write
    transaction locks the whole database, and reads after its first write are current.
    """
    if session.get_bind().dialect.name != "sqlite":
        session.execute(_LOCK_LEARNER, {"id": user_id})


def insert_if_absent(session: orm.Session, table: sa.Table, row: dict[str, Any],
                     keys: list[str]) -> bool:
    """INSERT … ON CONFLICT (keys) DO NOTHING; whether a row was inserted. Run on the
    driver's cursor in the session's transaction (`DriverStatement`: the ORM's execute,
    and even Core's, cost more than the insert), so `row` must hold every value that a
    column default would give: none is applied (ValueError otherwise)."""
    connection = session.connection()
    statement = _insert_if_absent(connection.dialect.name, table, tuple(keys), tuple(row))
    return statement.execute(connection, row) is not None


@cache
def _insert_if_absent(dialect: str, table: sa.Table, keys: tuple[str, ...],
                      columns: tuple[str, ...]) -> DriverStatement:
    missing = [c.key for c in table.columns if c.default is not None and c.key not in columns]
    if missing:
        raise ValueError(f"insert_if_absent into {table.name}: no value for {', '.join(missing)}")
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return DriverStatement(
        insert(table).values({c: sa.bindparam(c, type_=table.c[c].type) for c in columns})
        .on_conflict_do_nothing(index_elements=list(keys))
        .returning(*table.primary_key.columns)
    )


def paths_with_step(catalog: Catalog, kind: str, ref: str) -> list[Path_]:
    """The paths with this step: kind "quiz" and a quiz id, or "page" and a site path."""
    if kind == "quiz":
        return [p for p in catalog.paths.values() if ("quiz", ref) in p.steps]
    return [p for p in catalog.paths.values()
            if any(k != "quiz" and page_url(r) == ref for k, r in p.steps)]


def record_step(session: orm.Session, user: User, catalog: Catalog,
                paths: list[Path_]) -> list[str]:
    """Start and complete `paths`, those with the step just written (`paths_with_step`).

    Call it in the step's transaction, after its write, under `lock_learner` taken
    before any other write (so that learners' locks always come first); the caller
    commits. Returns the ids of the paths certified now.
    """
    pages, passed, enrolled, certified = _path_rows(session, user.id, paths)
    now = utcnow()
    issued = []
    for path in paths:
        done = [s.done for s in step_states(catalog, path, pages, passed)]
        if any(done) and path.id not in enrolled:  # a first step done starts the path
            insert_if_absent(session, PathEnrollment.__table__,
                             {"user_id": user.id, "path_id": path.id, "started_at": now},
                             ["user_id", "path_id"])
        if not all(done):
            continue
        if not enrolled.get(path.id):
            session.execute(
                sa.update(PathEnrollment)
                .where(PathEnrollment.user_id == user.id, PathEnrollment.path_id == path.id,
                       PathEnrollment.completed_at.is_(None))
                .values(completed_at=now)
            )
        if path.id not in certified and insert_if_absent(
            session, Certificate.__table__,
            {"code": new_certificate_code(), "user_id": user.id, "path_id": path.id,
             "learner_name": user.name, "path_title": path.title, "issued_at": now},
            ["user_id", "path_id"],
        ):
            issued.append(path.id)
    return issued


def _path_rows(session: orm.Session, user_id: int, paths: list[Path_]
               ) -> tuple[set[str], set[str], dict[str, bool], set[str]]:
    """The learner's pages read and quizzes passed among these paths' steps, their
    enrolments (path → completed) and certificates: one query."""
    ids = tuple(sorted(p.id for p in paths))
    pages = tuple(sorted({page_url(ref) for p in paths for kind, ref in p.steps if kind != "quiz"}))
    quizzes = tuple(sorted({ref for p in paths for kind, ref in p.steps if kind == "quiz"}))
    statement = _path_rows_statement(len(ids), len(pages), len(quizzes))
    params = {"user_id": user_id, **_numbered("id", ids), **_numbered("page", pages),
              **_numbered("quiz", quizzes)}
    read: set[str] = set()
    passed: set[str] = set()
    enrolled: dict[str, bool] = {}
    certified: set[str] = set()
    for what, value in statement.rows(session.connection(), params):
        if what == "page":
            read.add(value)
        elif what == "quiz":
            passed.add(value)
        elif what == "certified":
            certified.add(value)
        else:
            enrolled[value] = what == "completed"
    return read, passed, enrolled, certified


def _numbered(prefix: str, values: tuple[str, ...]) -> dict[str, str]:
    return {f"{prefix}_{i}": value for i, value in enumerate(values)}


@lru_cache(maxsize=64)
def _path_rows_statement(ids: int, pages: int, quizzes: int) -> DriverStatement:
    """A learner's rows about some paths, as (what, value), for `ids` paths whose steps
    hold `pages` pages and `quizzes` quizzes: one parameter per value (`id_0`, `page_0`,
    `quiz_0`…), so that the statement is compiled once per shape and run on the driver's
    cursor (with expanding IN lists, SQLAlchemy builds its text again at every call,
    which cost more than the query)."""

    def each(prefix: str, count: int) -> list[sa.BindParameter]:
        return [sa.bindparam(f"{prefix}_{i}") for i in range(count)]

    def label(text: str) -> sa.ColumnElement:
        return sa.literal_column(f"'{text}'")

    path_ids = each("id", ids)
    parts = [
        sa.select(sa.case((_enrolments.c.completed_at.is_(None), label("started")), else_=label("completed")),
                  _enrolments.c.path_id)
        .where(_enrolments.c.user_id == _USER, _enrolments.c.path_id.in_(path_ids)),
        sa.select(label("certified"), _certificates.c.path_id)
        .where(_certificates.c.user_id == _USER, _certificates.c.path_id.in_(path_ids)),
    ]
    if pages:
        parts.append(sa.select(label("page"), _pages.c.page)
                     .where(_pages.c.user_id == _USER, _pages.c.page.in_(each("page", pages))))
    if quizzes:
        parts.append(sa.select(label("quiz"), _attempts.c.quiz_id)
                     .where(_attempts.c.user_id == _USER, _attempts.c.passed,
                            _attempts.c.quiz_id.in_(each("quiz", quizzes)))
                     .group_by(_attempts.c.quiz_id))
    return DriverStatement(sa.union_all(*parts))


def new_certificate_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))
