"""Daily sums per question for the item analysis, and the `answers` table they are
summed from, brought up to date when they are read.

A submission writes its attempt, whose `result` holds every answer with its mark,
and queues it in `item_stats_pending`, in the attempt's own transaction
(`QUEUE_ATTEMPT`; on PostgreSQL, part of the attempt's insert). `catch_up_item_stats`,
which the reports and the xAPI export call before reading, copies the answers of
the queued attempts from their `result` into `answers` (one row per answer, in
question order), adds them to `item_stats_daily` and `choice_picks_daily`, and
empties the queue of exactly those attempts, in one transaction; so the reports sum
a few rows per question and day instead of reading every answer. `rebuild_item_stats`
recomputes both tables in SQL from the answers of every attempt that is not queued,
after copying those of any attempt that has none (a restored backup's attempts that
were still queued): `pmo-portal restore` and the reports benchmark use it. The day
is the UTC date of `submitted_at`, which is stored in UTC.

Why a queue rather than sums written by each submission: concurrent submissions of a
quiz then waited on the same rows of daily sums until they committed, and on
PostgreSQL the sums were a third of the database's work per submission. Why the
answers are copied here rather than by the submission: their twelve rows or so and
the index entries were a quarter of a submission's writes on SQLite and a third of
PostgreSQL's work per submission, for tables that only the reports read.

Why the sums stay exact: an attempt and its queue row are committed together, so a
catch-up sees both or neither; it copies, adds and deletes the rows it read in one
transaction, so each attempt is added once, and a rollback adds none. An attempt
queued before its answers were copied at catch-up (recorded by an earlier version)
already has its rows: they are summed, not copied again. Catch-ups (and rebuilds)
run one at a time: on PostgreSQL under an advisory lock held until the transaction
ends, and in one statement, so the queue rows deleted are the attempts copied and
summed; SQLite has one writer at a time, and the first write of each starts its
transaction. Each attempt is counted by the sums or by the queue, never both.
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
    """Copy the answers of the queued attempts, add them to the daily sums and take
    the attempts off the queue, in the caller's transaction (the caller commits);
    False when none was queued."""
    if not conn.execute(_ANY_QUEUED).scalar():
        return False  # nothing to write: no lock, no write transaction
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": ITEM_STATS_LOCK})
        # One statement: the queue rows deleted are the attempts copied and summed, whatever
        # is queued meanwhile. Its answers come from the rows it copies (RETURNING: the
        # statement's own inserts are not visible to its reads) and from those already
        # there. The GROUP BY reads all of them before any row is upserted.
        copied = _copy_sql("postgresql", "done", returning=True)
        source = ("(SELECT * FROM copied UNION ALL SELECT a.attempt_id, a.question_id, a.response, a.mark, "
                  "a.max_mark, a.correct FROM answers a JOIN done ON done.attempt_id = a.attempt_id) a "
                  "JOIN attempts t ON t.id = a.attempt_id")
        items, picks = _sums_sql("postgresql", source, "TRUE", upsert=True)
        conn.execute(sa.text(
            "WITH done AS (DELETE FROM item_stats_pending RETURNING attempt_id), "
            f"copied AS ({copied}), items AS ({items} RETURNING 1) {picks}"
        ))
    else:
        # The first INSERT takes SQLite's write lock: nothing is queued until the commit.
        conn.execute(sa.text(_copy_sql("sqlite", "item_stats_pending")))
        queued = ("item_stats_pending p JOIN attempts t ON t.id = p.attempt_id "
                  "JOIN answers a ON a.attempt_id = t.id")
        for statement in _sums_sql("sqlite", queued, "1 = 1", upsert=True):
            conn.execute(sa.text(statement))
        conn.execute(sa.text("DELETE FROM item_stats_pending"))
    return True


def rebuild_item_stats(conn: sa.Connection) -> None:
    """Recompute both daily tables from the answers of every attempt that is not queued
    (`catch_up_item_stats` adds those), in SQL, in the caller's transaction; the
    answers of such an attempt that has none are first copied from its result."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": ITEM_STATS_LOCK})
    unqueued = ("(SELECT t.id AS attempt_id FROM attempts t "
                "WHERE NOT EXISTS (SELECT 1 FROM item_stats_pending p WHERE p.attempt_id = t.id))")
    conn.execute(sa.text(_copy_sql(conn.dialect.name, unqueued)))
    conn.execute(sa.text("DELETE FROM choice_picks_daily"))
    conn.execute(sa.text("DELETE FROM item_stats_daily"))
    answers = "answers a JOIN attempts t ON t.id = a.attempt_id"
    summed = "NOT EXISTS (SELECT 1 FROM item_stats_pending p WHERE p.attempt_id = t.id)"
    for statement in _sums_sql(conn.dialect.name, answers, summed, upsert=False):
        conn.execute(sa.text(statement))


def _copy_sql(dialect: str, attempts: str, *, returning: bool = False) -> str:
    """INSERT … SELECT of the answers of `attempts` (a table or subquery with an
    `attempt_id` column) from their `result`, one row per question in question order,
    attempts in the order they were submitted; attempts that already have answers
    are left out."""
    if dialect == "postgresql":
        elements = "json_array_elements(t.result -> 'questions') WITH ORDINALITY AS e(value, n)"
        columns = ("e.value ->> 'id', e.value -> 'response', (e.value ->> 'mark')::float8, "
                   "(e.value ->> 'max_mark')::float8, (e.value ->> 'correct')::boolean")
        order = "e.n"
    else:
        # `->` gives the response as JSON text, as the app writes it.
        elements = "json_each(t.result, '$.questions') AS e"
        columns = ("e.value ->> '$.id', e.value -> '$.response', e.value ->> '$.mark', "
                   "e.value ->> '$.max_mark', e.value ->> '$.correct'")
        order = "e.key"
    sql = (
        "INSERT INTO answers (attempt_id, question_id, response, mark, max_mark, correct) "
        f"SELECT t.id, {columns} "
        f"FROM {attempts} q JOIN attempts t ON t.id = q.attempt_id, {elements} "
        "WHERE NOT EXISTS (SELECT 1 FROM answers o WHERE o.attempt_id = t.id) "
        f"ORDER BY t.submitted_at, t.id, {order}"
    )
    if returning:
        sql += " RETURNING attempt_id, question_id, response, mark, max_mark, correct"
    return sql


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
