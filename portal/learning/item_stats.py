"""Daily sums per question for the item analysis, brought up to date when they are read.

A submission only queues its attempt in `item_stats_pending`, in the attempt's own
transaction (`QUEUE_ATTEMPT`; on PostgreSQL, part of the attempt's insert).
`catch_up_item_stats`, which the report calls before reading, adds the answers of
the queued attempts to `item_stats_daily` and `choice_picks_daily` and empties the
queue of exactly those attempts, in one transaction; so the reports sum a few rows
per question and day instead of reading every answer. `rebuild_item_stats`
recomputes both tables in SQL from the answers of every attempt that is not queued:
`pmo-portal restore` and the reports benchmark use it. The day is the UTC date of
`submitted_at`, which is stored in UTC.

Why a queue rather than sums written by each submission: concurrent submissions of a
quiz then waited on the same rows of daily sums until they committed, and on
PostgreSQL the sums were a third of the database's work per submission.

Why the sums stay exact: an attempt and its queue row are committed together, so a
catch-up sees both or neither; it adds and deletes the rows it read in one
transaction, so each attempt is added once, and a rollback adds none. Catch-ups (and
rebuilds) run one at a time: on PostgreSQL under an advisory lock held until the
transaction ends, each statement taken after it sees what the previous one
committed; SQLite has one writer at a time, and the first write of each starts
its transaction. Each attempt is counted by the sums or by the queue, never both.
"""

from __future__ import annotations

import sqlalchemy as sa

from .models import ItemStatsPending

QUEUE_ATTEMPT = sa.insert(ItemStatsPending.__table__)  # {"attempt_id": …}, in the attempt's transaction
# Any number, the same in every process: catch-ups and rebuilds take it on PostgreSQL.
ITEM_STATS_LOCK = 0x504D4F_17E5

_ITEM_COLUMNS = ("quiz_id, question_id, day, n, n_choice_answers, max_mark, "
                 "sum_x, sum_x2, sum_y, sum_y2, sum_xy")
_ADDED = ("n", "n_choice_answers", "sum_x", "sum_x2", "sum_y", "sum_y2", "sum_xy")
_ANY_QUEUED = sa.text("SELECT EXISTS (SELECT 1 FROM item_stats_pending)")


def queued_attempts(conn: sa.Connection) -> int:
    """How many recorded attempts the daily sums have yet to add."""
    return conn.execute(sa.select(sa.func.count()).select_from(ItemStatsPending)).scalar_one()


def catch_up_item_stats(conn: sa.Connection) -> bool:
    """Add the queued attempts to the daily sums and take them off the queue, in the
    caller's transaction (the caller commits); False when none was queued."""
    if not conn.execute(_ANY_QUEUED).scalar():
        return False  # nothing to write: no lock, no write transaction
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": ITEM_STATS_LOCK})
        # One statement: the queue rows deleted are the attempts summed, whatever is
        # queued meanwhile. The GROUP BY reads the whole DELETE before any row is upserted.
        done = "done JOIN attempts t ON t.id = done.attempt_id JOIN answers a ON a.attempt_id = t.id"
        items, picks = _sums_sql("postgresql", done, "TRUE", upsert=True)
        conn.execute(sa.text(
            "WITH done AS (DELETE FROM item_stats_pending RETURNING attempt_id), "
            f"items AS ({items} RETURNING 1) {picks}"
        ))
    else:
        # The first INSERT takes SQLite's write lock: nothing is queued until the commit.
        queued = ("item_stats_pending p JOIN attempts t ON t.id = p.attempt_id "
                  "JOIN answers a ON a.attempt_id = t.id")
        for statement in _sums_sql("sqlite", queued, "1 = 1", upsert=True):
            conn.execute(sa.text(statement))
        conn.execute(sa.text("DELETE FROM item_stats_pending"))
    return True


def rebuild_item_stats(conn: sa.Connection) -> None:
    """Recompute both daily tables from the answers of every attempt that is not queued
    (`catch_up_item_stats` adds those), in SQL, in the caller's transaction."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": ITEM_STATS_LOCK})
    conn.execute(sa.text("DELETE FROM choice_picks_daily"))
    conn.execute(sa.text("DELETE FROM item_stats_daily"))
    answers = "answers a JOIN attempts t ON t.id = a.attempt_id"
    summed = "NOT EXISTS (SELECT 1 FROM item_stats_pending p WHERE p.attempt_id = t.id)"
    for statement in _sums_sql(conn.dialect.name, answers, summed, upsert=False):
        conn.execute(sa.text(statement))


def _sums_sql(dialect: str, source: str, where: str, *, upsert: bool) -> tuple[str, str]:
    """INSERT … SELECT of the sums over `source` (answers `a` of attempts `t`) filtered by
    `where`, per table; with `upsert`, added to the rows already there.

    x is the answer's mark, y the rest of the attempt's score.
    """
    if dialect == "postgresql":
        day = "CAST(t.submitted_at AS DATE)"
        is_list = "json_typeof(a.response) = 'array'"
        # Never given a scalar, whatever order the planner evaluates the WHERE clause in.
        elements = f"json_array_elements_text(CASE WHEN {is_list} THEN a.response ELSE '[]' END) AS choice"
        choice, larger = "choice", "greatest"
    else:
        day = "date(t.submitted_at)"
        is_list = "json_type(a.response) = 'array'"
        elements, choice, larger = "json_each(a.response) AS choice", "choice.value", "max"  # max(a, b): scalar
    y = "(t.score - a.mark)"
    items = (
        f"INSERT INTO item_stats_daily ({_ITEM_COLUMNS}) "
        f"SELECT t.quiz_id, a.question_id, {day}, count(*), "
        f"sum(CASE WHEN {is_list} THEN 1 ELSE 0 END), max(a.max_mark), "
        f"sum(a.mark), sum(a.mark * a.mark), sum({y}), sum({y} * {y}), sum(a.mark * {y}) "
        f"FROM {source} WHERE {where} "
        f"GROUP BY t.quiz_id, a.question_id, {day}"
    )
    picks = (
        "INSERT INTO choice_picks_daily (quiz_id, question_id, day, choice, n) "
        f"SELECT t.quiz_id, a.question_id, {day}, {choice}, count(*) "
        f"FROM {source}, {elements} "
        f"WHERE {where} AND {is_list} AND NOT a.correct "
        f"GROUP BY t.quiz_id, a.question_id, {day}, {choice}"
    )
    if upsert:
        added = ", ".join(f"{c} = item_stats_daily.{c} + excluded.{c}" for c in _ADDED)
        items += (f" ON CONFLICT (quiz_id, question_id, day) DO UPDATE SET {added}, "
                  f"max_mark = {larger}(item_stats_daily.max_mark, excluded.max_mark)")
        picks += (" ON CONFLICT (quiz_id, question_id, choice, day) "
                  "DO UPDATE SET n = choice_picks_daily.n + excluded.n")
    return items, picks
