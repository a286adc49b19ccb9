"""How an attempt is stored: its answers as the app writes JSON, in question order, and its
place in the item analysis's queue, whatever the database (PostgreSQL inserts them from one
JSON array in the attempt's own statement)."""

from __future__ import annotations

import sqlalchemy as sa
from factories import ANSWERS_ALL_WRONG

from portal.json_provider import column_dumps
from portal.learning.models import Answer, Attempt, ItemStatsPending


def test_answers_are_stored_in_question_order_as_the_app_writes_them(app, learner):
    answers = {**ANSWERS_ALL_WRONG, "nombre": 0.1 + 0.2}  # a float that must come back exactly
    sent = learner.submit(answers)
    assert sent.status_code == 201
    attempt_id = sent.get_json()["attempt"]
    order = [q["id"] for q in sent.get_json()["questions"]]
    engine = app.extensions["portal.engine"]
    response_text = sa.cast(Answer.response, sa.Text)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(Answer.question_id, Answer.response, response_text, Answer.mark, Answer.max_mark,
                      Answer.correct).where(Answer.attempt_id == attempt_id).order_by(Answer.id)
        ).all()
        queued = conn.scalars(sa.select(ItemStatsPending.attempt_id)).all()
        result = conn.scalar(sa.select(Attempt.result).where(Attempt.id == attempt_id))
    assert [r.question_id for r in rows] == order
    assert queued == [attempt_id]  # one queue row, written with the attempt
    by_id = {q["id"]: q for q in result["questions"]}
    for question_id, response, text, mark, max_mark, correct in rows:
        expected = by_id[question_id]
        assert response == expected["response"]
        if engine.dialect.name == "postgresql":  # json keeps its text (SQLite stores a number as REAL)
            assert text == column_dumps(expected["response"])
        assert (mark, max_mark, correct) == (expected["mark"], expected["max_mark"], expected["correct"])
    assert next(r.response for r in rows if r.question_id == "nombre") == 0.1 + 0.2

