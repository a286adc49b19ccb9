"""How an attempt is stored: one row whose result holds its answers, and its place in the
item analysis's queue; its answers reach the `answers` table, in question order and as the
app writes JSON, when the item analysis catches up, whatever the database."""

from __future__ import annotations

import sqlalchemy as sa
from factories import ANSWERS_ALL_WRONG

from portal.json_provider import column_dumps
from portal.learning.item_stats import catch_up_item_stats
from portal.learning.models import Answer, Attempt, ItemStatsDaily, ItemStatsPending


def answer_rows(conn, attempt_id):
    response_text = sa.cast(Answer.response, sa.Text)
    return conn.execute(
        sa.select(Answer.question_id, Answer.response, response_text, Answer.mark, Answer.max_mark,
                  Answer.correct).where(Answer.attempt_id == attempt_id).order_by(Answer.id)
    ).all()


def test_answers_are_copied_from_the_result_in_question_order_at_catch_up(app, learner):
    answers = {**ANSWERS_ALL_WRONG, "nombre": 0.1 + 0.2}  # a float that must come back exactly
    sent = learner.submit(answers)
    assert sent.status_code == 201
    attempt_id = sent.get_json()["attempt"]
    order = [q["id"] for q in sent.get_json()["questions"]]
    engine = app.extensions["portal.engine"]
    with engine.connect() as conn:
        assert answer_rows(conn, attempt_id) == []  # the submission writes one row…
        assert conn.scalars(sa.select(ItemStatsPending.attempt_id)).all() == [attempt_id]  # …and its queue row
        result = conn.scalar(sa.select(Attempt.result).where(Attempt.id == attempt_id))
    assert [q["id"] for q in result["questions"]] == order
    with engine.begin() as conn:
        assert catch_up_item_stats(conn)
    with engine.connect() as conn:
        rows = answer_rows(conn, attempt_id)
        assert conn.scalars(sa.select(ItemStatsPending.attempt_id)).all() == []
        summed = conn.execute(sa.select(sa.func.sum(ItemStatsDaily.n))).scalar()
    assert [r.question_id for r in rows] == order
    assert summed == len(order)
    by_id = {q["id"]: q for q in result["questions"]}
    for question_id, response, text, mark, max_mark, correct in rows:
        expected = by_id[question_id]
        assert response == expected["response"]
        if engine.dialect.name == "postgresql":  # json keeps its text (SQLite stores a number as REAL)
            assert text == column_dumps(expected["response"])
        assert (mark, max_mark, correct) == (expected["mark"], expected["max_mark"], expected["correct"])
    assert next(r.response for r in rows if r.question_id == "nombre") == 0.1 + 0.2
    with engine.begin() as conn:  # nothing queued: nothing copied twice
        assert not catch_up_item_stats(conn)
    with engine.connect() as conn:
        assert len(answer_rows(conn, attempt_id)) == len(order)


def test_an_attempt_queued_with_its_answers_already_written_is_summed_once(app, learner):
    """Attempts recorded before the answers were copied at catch-up had their rows
    written by the submission, and may still be queued: they are summed, not copied."""
    sent = learner.submit(ANSWERS_ALL_WRONG)
    attempt_id = sent.get_json()["attempt"]
    engine = app.extensions["portal.engine"]
    with engine.begin() as conn:
        result = conn.scalar(sa.select(Attempt.result).where(Attempt.id == attempt_id))
        conn.execute(sa.insert(Answer.__table__), [
            {"attempt_id": attempt_id, "question_id": q["id"], "response": q["response"], "mark": q["mark"],
             "max_mark": q["max_mark"], "correct": q["correct"]} for q in result["questions"]])
    with engine.begin() as conn:
        assert catch_up_item_stats(conn)
    with engine.connect() as conn:
        assert len(answer_rows(conn, attempt_id)) == len(result["questions"])
        assert conn.execute(sa.select(sa.func.sum(ItemStatsDaily.n))).scalar() == len(result["questions"])
