"""Scoring a quiz attempt: plain functions, no database, no Flask.

`validate_answers` refuses an unusable submission as a whole (nothing is then
recorded); `grade_attempt` marks each question out of 1 and the quiz in percent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .quizzes import Quiz, reference_url

TRUE_FALSE_IDS = ("true", "false")


class AnswerError(ValueError):
    """A submission that cannot be scored; the message is for the learner."""


@dataclass
class QuestionResult:
    id: str
    correct: bool
    mark: float
    max_mark: float
    response: Any
    expected: Any
    explanation: str
    reference: str
    feedback: list[str] = field(default_factory=list)


@dataclass
class AttemptResult:
    score: float
    max_score: float
    percent: float
    passed: bool
    questions: list[QuestionResult]

    def sections_to_review(self) -> list[str]:
        seen: list[str] = []
        for q in self.questions:
            if not q.correct and q.reference not in seen:
                seen.append(q.reference)
        return seen


def option_ids(question: dict[str, Any]) -> list[str]:
    if question["type"] == "true_false":
        return list(TRUE_FALSE_IDS)
    return [o["id"] for o in question.get("choices") or question.get("items") or []]


@dataclass(frozen=True, slots=True)
class _Key:
    """What grading needs of one question, derived once per quiz (`answer_key`)."""

    question: dict[str, Any]
    allowed: frozenset[str]  # option ids (the quiz check refuses a duplicate)
    expected: Any
    reference: str  # the page's URL
    feedback: tuple[tuple[str, str], ...]  # (choice id, what a learner who chose it reads)


def _key(question: dict[str, Any]) -> _Key:
    feedback = ()
    if question["type"] in {"single", "multiple"}:
        feedback = tuple((c["id"], c["feedback"]) for c in question["choices"] if c.get("feedback"))
    return _Key(question, frozenset(option_ids(question)), expected_answer(question),
                reference_url(question["reference"]), feedback)


def answer_key(quiz: Quiz) -> dict[str, _Key]:
    """Question id → its key, in question order: derived from the quiz's data once, and
    kept with the quiz (`Quiz.derived`), as each submission needs it."""
    keys = quiz.derived.get("grading")
    if keys is None:
        keys = quiz.derived["grading"] = {q["id"]: _key(q) for q in quiz.questions}
    return keys


def _normalize(key: _Key, raw: Any) -> Any:
    question = key.question
    qid, kind = question["id"], question["type"]
    if kind == "numeric":
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
            raise AnswerError(f"question « {qid} » : un nombre est attendu")
        return float(raw)
    if kind == "true_false" and isinstance(raw, bool):
        raw = ["true" if raw else "false"]
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise AnswerError(f"question « {qid} » : une liste d'identifiants de choix est attendue")
    if len(set(raw)) != len(raw):
        raise AnswerError(f"question « {qid} » : un même choix figure deux fois")
    unknown = [x for x in raw if x not in key.allowed]
    if unknown:
        raise AnswerError(f"question « {qid} » : choix inconnu « {unknown[0][:40]} »")
    if kind in {"single", "true_false"} and len(raw) != 1:
        raise AnswerError(f"question « {qid} » : un seul choix est attendu")
    if kind == "ordering" and len(raw) != len(key.allowed):
        raise AnswerError(f"question « {qid} » : classez tous les éléments, une fois chacun")
    return raw


def validate_answers(quiz: Quiz, answers: Any) -> dict[str, Any]:
    """Normalised answers for every question, or AnswerError."""
    if not isinstance(answers, dict):
        raise AnswerError("« answers » doit associer chaque question à sa réponse")
    keys = answer_key(quiz)
    unknown = [k for k in answers if str(k) not in keys]
    if unknown:
        raise AnswerError(f"question inconnue « {str(unknown[0])[:40]} »")
    missing = [qid for qid in keys if qid not in answers]
    if missing:
        raise AnswerError(
            f"{len(missing)} question(s) sans réponse : {', '.join(missing[:5])}"
        )
    return {qid: _normalize(key, answers[qid]) for qid, key in keys.items()}


def expected_answer(question: dict[str, Any]) -> Any:
    kind = question["type"]
    if kind == "numeric":
        return question["answer"]
    if kind == "true_false":
        return ["true" if question["answer"] else "false"]
    if kind == "ordering":
        return [item["id"] for item in question["items"]]
    return [c["id"] for c in question["choices"] if c.get("correct")]


def grade_question(question: dict[str, Any], response: Any, partial_credit: bool) -> float:
    """The mark, between 0 and 1."""
    return _mark(question, expected_answer(question), response, partial_credit)


def _mark(question: dict[str, Any], expected: Any, response: Any, partial_credit: bool) -> float:
    kind = question["type"]
    if kind == "numeric":
        tolerance = float(question.get("tolerance", 0))
        return 1.0 if abs(response - float(expected)) <= tolerance + 1e-9 else 0.0
    if kind in {"single", "true_false"}:
        return 1.0 if response == expected else 0.0
    if kind == "multiple":
        if not partial_credit:
            return 1.0 if set(response) == set(expected) else 0.0
        right = len(set(response) & set(expected))
        wrong = len(set(response) - set(expected))
        return max(0.0, (right - wrong) / len(expected))
    # ordering
    if not partial_credit:
        return 1.0 if response == expected else 0.0
    in_place = sum(1 for got, want in zip(response, expected, strict=True) if got == want)
    return in_place / len(expected)


def grade_attempt(quiz: Quiz, answers: Any) -> AttemptResult:
    """Score a submission; raises AnswerError when it cannot be scored."""
    normalized = validate_answers(quiz, answers)
    results = []
    for qid, key in answer_key(quiz).items():
        response = normalized[qid]
        mark = round(_mark(key.question, key.expected, response, quiz.partial_credit), 4)
        expected = key.expected
        results.append(
            QuestionResult(
                id=qid,
                correct=mark >= 1.0,
                mark=mark,
                max_mark=1.0,
                response=response,
                # A list of its own per result: the key's is shared by every submission.
                expected=list(expected) if isinstance(expected, list) else expected,
                explanation=key.question["explanation"],
                reference=key.reference,
                feedback=[text for choice, text in key.feedback if choice in response],
            )
        )
    score = round(sum(r.mark for r in results), 4)
    max_score = float(len(results))
    percent = round(100 * score / max_score, 2)
    return AttemptResult(score, max_score, percent, percent >= quiz.pass_mark, results)
