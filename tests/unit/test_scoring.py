"""Scoring every question type, with and without partial credit."""

from __future__ import annotations

import pytest
import yaml
from factories import ANSWERS_ALL_RIGHT, ANSWERS_ALL_WRONG, FIXTURES

from portal.learning.quizzes import Quiz
from portal.learning.scoring import AnswerError, grade_attempt, grade_question


def load(name="essentiel", **overrides) -> Quiz:
    data = yaml.safe_load((FIXTURES / "quizzes" / f"{name}.yml").read_text())
    data.update(overrides)
    return Quiz(data)


def question(quiz: Quiz, qid: str) -> dict:
    found = quiz.question(qid)
    assert found is not None
    return found


def test_all_right_scores_full_marks_and_passes():
    result = grade_attempt(load(), ANSWERS_ALL_RIGHT)
    assert (result.score, result.max_score, result.percent, result.passed) == (5.0, 5.0, 100.0, True)
    assert all(q.correct for q in result.questions)
    assert result.sections_to_review() == []


def test_all_wrong_fails_and_lists_sections_to_review_once():
    result = grade_attempt(load(), ANSWERS_ALL_WRONG)
    assert result.score == 0 and not result.passed
    assert result.sections_to_review() == ["/guides/guide/#etapes", "/guides/guide/#pieges"]


@pytest.mark.parametrize(
    ("qid", "response", "partial", "mark"),
    [
        ("unique", ["a"], True, 1.0),
        ("unique", ["b"], True, 0.0),
        ("plusieurs", ["a", "b"], False, 1.0),
        ("plusieurs", ["a"], False, 0.0),
        ("plusieurs", ["a"], True, 0.5),
        ("plusieurs", ["a", "c"], True, 0.0),
        ("plusieurs", ["a", "b", "c"], True, 0.5),
        ("plusieurs", [], True, 0.0),
        ("vrai-faux", ["true"], False, 1.0),
        ("vrai-faux", ["false"], False, 0.0),
        ("ordre", ["a", "b", "c"], False, 1.0),
        ("ordre", ["a", "c", "b"], False, 0.0),
        ("ordre", ["a", "c", "b"], True, 1 / 3),
        ("ordre", ["c", "a", "b"], True, 0.0),
        ("nombre", 0.8, False, 1.0),
        ("nombre", 0.804, False, 1.0),
        ("nombre", 0.81, False, 0.0),
    ],
)
def test_each_question_type(qid, response, partial, mark):
    quiz = load()
    assert grade_question(question(quiz, qid), response, partial) == pytest.approx(mark)


def test_partial_credit_changes_the_percent():
    answers = dict(ANSWERS_ALL_RIGHT, plusieurs=["a"])
    assert grade_attempt(load(partial_credit=True), answers).percent == 90.0
    assert grade_attempt(load(partial_credit=False), answers).percent == 80.0


def test_feedback_of_chosen_choices_is_returned():
    result = grade_attempt(load(), dict(ANSWERS_ALL_RIGHT, unique=["b"]))
    unique = next(q for q in result.questions if q.id == "unique")
    assert unique.feedback == ["Non : relisez les étapes."]
    assert unique.expected == ["a"]


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ("pas un dictionnaire", "« answers » doit associer"),
        ({**ANSWERS_ALL_RIGHT, "inconnue": ["a"]}, "question inconnue « inconnue »"),
        ({k: v for k, v in ANSWERS_ALL_RIGHT.items() if k != "nombre"}, "1 question(s) sans réponse : nombre"),
        ({**ANSWERS_ALL_RIGHT, "nombre": "0,8"}, "question « nombre » : un nombre est attendu"),
        ({**ANSWERS_ALL_RIGHT, "nombre": True}, "question « nombre » : un nombre est attendu"),
        ({**ANSWERS_ALL_RIGHT, "unique": ["a", "b"]}, "question « unique » : un seul choix est attendu"),
        ({**ANSWERS_ALL_RIGHT, "plusieurs": ["a", "a"]}, "un même choix figure deux fois"),
        ({**ANSWERS_ALL_RIGHT, "unique": ["z"]}, "choix inconnu « z »"),
        ({**ANSWERS_ALL_RIGHT, "unique": [1]}, "une liste d'identifiants de choix est attendue"),
        ({**ANSWERS_ALL_RIGHT, "ordre": ["a", "b"]}, "classez tous les éléments"),
    ],
)
def test_unusable_submissions_are_refused_whole(answers, message):
    with pytest.raises(AnswerError) as refused:
        grade_attempt(load(), answers)
    assert message in str(refused.value)

