"""Daily sums per question for the item analysis, kept as attempts are recorded.

`record_item_stats` adds one attempt to `item_stats_daily` and `choice_picks_daily`
in the caller's transaction (an upsert per table), so the reports sum a few rows
per question and day instead of reading every answer. `rebuild_item_stats`
recomputes both tables from the answers in SQL: migration 0003's backfill,
`pmo-portal restore` and the reports benchmark use it. The day is the UTC date of
`submitted_at`, which is stored in UTC.
"""

from __future__ import annotations

import functools
from collections import Counter

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.dialects import postgresql, sqlite

from .models import Attempt, ChoicePicksDaily, ItemStatsDaily

SUMS = ["n", "n_choice_answers", "sum_x", "sum_x2", "sum_y", "sum_y2", "sum_xy"]


def record_item_stats(session: orm.Session, attempt: Attempt) -> None:
    """Add an attempt's answers to the daily sums (call before committing the attempt)."""
    day = attempt.submitted_at.date()
    items: dict[str, dict] = {}
    picks: Counter[tuple[str, str]] = Counter()
    for answer in attempt.answers:
        x = answer.mark
        y = attempt.score - x
        listed = isinstance(answer.response, list)
        row = items.setdefault(answer.question_id, {
            "quiz_id": attempt.quiz_id, "question_id": answer.question_id, "day": day,
            "max_mark": answer.max_mark, **dict.fromkeys(SUMS, 0),
        })
        row["max_mark"] = max(row["max_mark"], answer.max_mark)
        for key, value in zip(SUMS, (1, int(listed), x, x * x, y, y * y, x * y), strict=True):
            row[key] += value
        if listed and not answer.correct:
            picks.update((answer.question_id, str(choice)) for choice in answer.response)
    # Rows in key order: concurrent submissions lock them in the same order (no deadlock).
    item_rows = [items[q] for q in sorted(items)]
    pick_rows = [{"quiz_id": attempt.quiz_id, "question_id": q, "day": day, "choice": c, "n": n}
                 for (q, c), n in sorted(picks.items())]
    _add(session, ItemStatsDaily.__table__, item_rows)
    _add(session, ChoicePicksDaily.__table__, pick_rows)


def _add(session: orm.Session, table: sa.Table, rows: list[dict]) -> None:
    if rows:
        session.execute(_upsert(session.get_bind().dialect.name, table), rows)


@functools.cache
def _upsert(dialect: str, table: sa.Table) -> sa.Insert:
    """INSERT … ON CONFLICT DO UPDATE adding the counts and sums (built once: it is per attempt)."""
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
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
