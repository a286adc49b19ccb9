"""Daily sums per question for the item analysis, kept as attempts are recorded.

`record_item_stats` adds one attempt to `item_stats_daily` and `choice_picks_daily`
in the caller's transaction (an upsert per table, reading the attempt's answers
back), so the reports sum a few rows
per question and day instead of reading every answer. `rebuild_item_stats`
recomputes both tables from the answers in SQL: migration 0003's backfill,
`pmo-portal restore` and the reports benchmark use it. The day is the UTC date of
`submitted_at`, which is stored in UTC.
"""

from __future__ import annotations

import functools

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.dialects import postgresql, sqlite

from .models import Answer, Attempt, ChoicePicksDaily, ItemStatsDaily


def record_item_stats(session: orm.Session, attempt: Attempt) -> None:
    """Add an attempt's answers to the daily sums: call after inserting its answers and
    before committing. Two statements that read the answers back in SQL, whatever the
    number of questions (sending the sums as rows costs more in Python than the rows
    cost the database)."""
    params = {"attempt_id": attempt.id, "quiz_id": attempt.quiz_id, "score": attempt.score,
              "day": attempt.submitted_at.date()}
    for statement in _record_statements(session.get_bind().dialect.name):
        session.execute(statement, params)


@functools.cache
def _record_statements(dialect: str) -> tuple[sa.Insert, ...]:
    """INSERT … SELECT over one attempt's answers … ON CONFLICT DO UPDATE, per table;
    on PostgreSQL, one statement (the first insert as a data-modifying WITH), which
    saves a round trip.

    x is the answer's mark, y the rest of the attempt's score. Rows come in key order,
    so concurrent submissions lock them in the same order (no deadlock).
    """
    answers = Answer.__table__
    quiz_id = sa.bindparam("quiz_id", type_=sa.String)
    day = sa.bindparam("day", type_=sa.Date)
    x = answers.c.mark
    y = sa.bindparam("score", type_=sa.Float) - x
    if dialect == "postgresql":
        listed = sa.func.json_typeof(answers.c.response) == "array"
        # Never given a scalar, whatever order the planner evaluates the WHERE clause in.
        source = sa.case((listed, answers.c.response), else_=sa.cast(sa.literal("[]"), sa.JSON))
        choices = sa.func.json_array_elements_text(source).table_valued("value").alias("choice")
    else:
        listed = sa.func.json_type(answers.c.response) == "array"
        choices = sa.func.json_each(answers.c.response).table_valued("value").alias("choice")
    this_attempt = answers.c.attempt_id == sa.bindparam("attempt_id")
    item_sums = (
        sa.select(quiz_id, answers.c.question_id, day, sa.literal(1), sa.case((listed, 1), else_=0),
                  answers.c.max_mark, x, x * x, y, y * y, x * y)
        .where(this_attempt)
        .order_by(answers.c.question_id)
    )
    choice_counts = (
        sa.select(quiz_id, answers.c.question_id, day, choices.c.value, sa.func.count())
        .select_from(answers)
        .join(choices, sa.true())
        .where(this_attempt, sa.not_(answers.c.correct), listed)
        .group_by(answers.c.question_id, choices.c.value)
        .order_by(answers.c.question_id, choices.c.value)
    )
    item_columns = ["quiz_id", "question_id", "day", "n", "n_choice_answers", "max_mark",
                    "sum_x", "sum_x2", "sum_y", "sum_y2", "sum_xy"]
    pick_columns = ["quiz_id", "question_id", "day", "choice", "n"]
    items = _upsert(dialect, ItemStatsDaily.__table__, tuple(item_columns), item_sums)
    picks = _upsert(dialect, ChoicePicksDaily.__table__, tuple(pick_columns), choice_counts)
    if dialect == "postgresql":
        # Both tables in one statement. PostgreSQL completes an unread WITH insert after
        # the main one: every submission locks choice rows, then item rows, each in key
        # order, so concurrent ones still take their locks in the same order.
        return (picks.add_cte(items.returning(sa.literal(1)).cte("item_sums")),)
    return items, picks


def _upsert(dialect: str, table: sa.Table, columns: tuple[str, ...], rows: sa.Select) -> sa.Insert:
    """INSERT … SELECT … ON CONFLICT DO UPDATE adding the counts and sums."""
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    statement = statement.from_select(list(columns), rows)
    added = [c.name for c in table.columns if not c.primary_key and c.name != "max_mark"]
    changes = {c: table.c[c] + statement.excluded[c] for c in added}
    if "max_mark" in table.c:
        larger = sa.func.greatest if dialect == "postgresql" else sa.func.max  # SQLite's max(a, b) is scalar
        changes["max_mark"] = larger(table.c.max_mark, statement.excluded.max_mark)
    key = [c.name for c in table.primary_key.columns]
    return statement.on_conflict_do_update(index_elements=key, set_=changes)


def rebuild_item_stats(conn: sa.Connection) -> None:
    """Recompute both daily tables from every answer, in SQL (both dialects).

    Migration 0003 calls this for its backfill: a later migration that changes these
    tables must freeze a copy of today's statements in 0003 first.
    """
    if conn.dialect.name == "postgresql":
        day = "CAST(t.submitted_at AS DATE)"
        is_list = "json_typeof(a.response) = 'array'"
        # Never given a scalar, whatever order the planner evaluates the WHERE clause in.
        elements = f"json_array_elements_text(CASE WHEN {is_list} THEN a.response ELSE '[]' END) AS choice"
        choice = "choice"
    else:
        day = "date(t.submitted_at)"
        is_list = "json_type(a.response) = 'array'"
        elements, choice = "json_each(a.response) AS choice", "choice.value"
    conn.execute(sa.text("DELETE FROM choice_picks_daily"))
    conn.execute(sa.text("DELETE FROM item_stats_daily"))
    y = "(t.score - a.mark)"
    conn.execute(sa.text(
        "INSERT INTO item_stats_daily (quiz_id, question_id, day, n, n_choice_answers, max_mark, "
        "sum_x, sum_x2, sum_y, sum_y2, sum_xy) "
        f"SELECT t.quiz_id, a.question_id, {day}, count(*), "
        f"sum(CASE WHEN {is_list} THEN 1 ELSE 0 END), max(a.max_mark), "
        f"sum(a.mark), sum(a.mark * a.mark), sum({y}), sum({y} * {y}), sum(a.mark * {y}) "
        "FROM answers a JOIN attempts t ON t.id = a.attempt_id "
        f"GROUP BY t.quiz_id, a.question_id, {day}"
    ))
    conn.execute(sa.text(
        "INSERT INTO choice_picks_daily (quiz_id, question_id, day, choice, n) "
        f"SELECT t.quiz_id, a.question_id, {day}, {choice}, count(*) "
        f"FROM answers a JOIN attempts t ON t.id = a.attempt_id, {elements} "
        f"WHERE {is_list} AND NOT a.correct "
        f"GROUP BY t.quiz_id, a.question_id, {day}, {choice}"
    ))
