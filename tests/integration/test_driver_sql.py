"""`DriverStatement` sends what `Connection.execute` would: the same SQL, the same values
converted by SQLAlchemy's own bind processors, in the connection's transaction; on a
real SQLite file and on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from portal.accounts.models import User
from portal.db import make_engine
from portal.driver_sql import DriverStatement
from portal.learning.models import Attempt

_attempts = Attempt.__table__
WHEN = dt.datetime(2026, 11, 26, 7, 1, 2, 345678)


def _row(number: int, token: str, user_id: int) -> dict:
    return {"id": f"{number:032x}", "token": token, "user_id": user_id, "quiz_id": "essentiel",
            "quiz_hash": "h" * 64, "started_at": WHEN, "submitted_at": WHEN + dt.timedelta(seconds=90),
            "score": 10.5, "max_score": 12.0, "percent": 87.5, "passed": True,
            "result": {"questions": [{"id": "q1", "response": ["a", "é"], "mark": 1.0}], "note": None}}


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(sa.insert(User.__table__).values(
            email="lea@example.com", name="Léa Martin", password_hash="x", role="learner",
            created_at=WHEN))
    yield engine
    engine.dispose()


def test_same_rows_as_core_execute_and_returning_rows(engine):
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    statement = (insert(_attempts).on_conflict_do_nothing(index_elements=["token"])
                 .returning(_attempts.c.id))
    driver = DriverStatement(statement)
    with engine.begin() as conn:
        user_id = conn.scalar(sa.select(User.id))
        by_core = conn.execute(statement, _row(1, "jeton-1", user_id)).first()
        by_driver = driver.execute(conn, _row(2, "jeton-2", user_id))
        replayed = driver.execute(conn, _row(3, "jeton-2", user_id))
    assert tuple(by_core) == (f"{1:032x}",)
    assert tuple(by_driver) == (f"{2:032x}",)
    assert replayed is None  # ON CONFLICT DO NOTHING: no row, as with Core
    with engine.connect() as conn:
        typed = conn.execute(sa.select(_attempts).order_by(_attempts.c.id)).all()
        raw = conn.execute(sa.text(
            "SELECT token, CAST(started_at AS TEXT), CAST(submitted_at AS TEXT), "
            "CAST(passed AS TEXT), CAST(result AS TEXT) FROM attempts ORDER BY id")).all()
    assert len(typed) == 2
    core_row, driver_row = (r._asdict() for r in typed)
    assert {k: v for k, v in driver_row.items() if k not in ("id", "token")} == \
        {k: v for k, v in core_row.items() if k not in ("id", "token")}
    assert driver_row["started_at"] == WHEN and driver_row["result"]["questions"][0]["response"] == ["a", "é"]
    # The text in the database is the same too (dates, booleans, JSON as SQLAlchemy writes them).
    assert raw[0][1:] == raw[1][1:]


def test_runs_in_the_connections_transaction(engine):
    driver = DriverStatement(sa.insert(_attempts))
    with engine.connect() as conn:
        user_id = conn.scalar(sa.select(User.id))
        assert driver.execute(conn, _row(1, "jeton-1", user_id)) is None  # no RETURNING, no row
        conn.rollback()
        assert conn.scalar(sa.select(sa.func.count()).select_from(_attempts)) == 0
        driver.execute(conn, _row(1, "jeton-1", user_id))
        conn.commit()
    with engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(_attempts)) == 1


def test_rows_gives_every_row_in_the_connections_transaction(engine):
    insert = DriverStatement(sa.insert(_attempts))
    by_quiz = DriverStatement(sa.select(_attempts.c.token, _attempts.c.score)
                              .where(_attempts.c.quiz_id == sa.bindparam("quiz_id"))
                              .order_by(_attempts.c.token))
    with engine.connect() as conn:
        user_id = conn.scalar(sa.select(User.id))
        assert by_quiz.rows(conn, {"quiz_id": "essentiel"}) == []
        for number in (1, 2, 3):
            insert.execute(conn, _row(number, f"jeton-{number}", user_id))
        # Not committed: the rows are those of the connection's own transaction.
        assert [tuple(r) for r in by_quiz.rows(conn, {"quiz_id": "essentiel"})] == [
            ("jeton-1", 10.5), ("jeton-2", 10.5), ("jeton-3", 10.5)]
        assert by_quiz.rows(conn, {"quiz_id": "autre"}) == []
        assert insert.rows(conn, _row(4, "jeton-4", user_id)) == []  # no result set
        conn.rollback()
        assert by_quiz.rows(conn, {"quiz_id": "essentiel"}) == []


def test_a_missing_parameter_is_an_error_not_a_null(engine):
    driver = DriverStatement(sa.insert(_attempts))
    row = _row(1, "jeton-1", 1)
    del row["passed"]
    with engine.connect() as conn, pytest.raises(KeyError, match="passed"):
        driver.execute(conn, row)


def test_expanding_parameters_are_refused(engine):
    driver = DriverStatement(sa.select(_attempts.c.id).where(_attempts.c.quiz_id.in_(["a", "b"])))
    with engine.connect() as conn, pytest.raises(ValueError, match="expanding"):
        driver.execute(conn, {})


def test_insert_if_absent_wants_the_values_column_defaults_would_give(engine):
    from sqlalchemy import orm

    from portal.learning.models import PathEnrollment
    from portal.learning.path_records import insert_if_absent

    with orm.Session(engine) as session:
        user_id = session.scalar(sa.select(User.id))
        with pytest.raises(ValueError, match="started_at"):
            insert_if_absent(session, PathEnrollment.__table__, {"user_id": user_id, "path_id": "p"},
                             ["user_id", "path_id"])
        row = {"user_id": user_id, "path_id": "p", "started_at": WHEN}
        assert insert_if_absent(session, PathEnrollment.__table__, row, ["user_id", "path_id"])
        assert not insert_if_absent(session, PathEnrollment.__table__, row, ["user_id", "path_id"])
        session.commit()
        assert session.scalar(sa.select(PathEnrollment.started_at)) == WHEN
