"""What a learner's browser receives of a quiz: never what is correct.

The order of questions and choices comes from the attempt token's seed, so a
reload shows the same order and the server knows what was shown.
"""

from __future__ import annotations

import random
from functools import lru_cache
from typing import Any

import markdown

from .quizzes import Quiz

TRUE_FALSE_CHOICES = [{"id": "true", "text": "Vrai"}, {"id": "false", "text": "Faux"}]
TYPE_LABELS = {
    "single": "Une seule réponse",
    "multiple": "Plusieurs réponses possibles",
    "true_false": "Vrai ou faux",
    "ordering": "Remettez dans l'ordre",
    "numeric": "Réponse chiffrée",
}


@lru_cache(maxsize=4096)
def render_markdown(text: str) -> str:
    return markdown.markdown(text, extensions=["tables", "sane_lists"])


def present_quiz(quiz: Quiz, seed: int | None) -> dict[str, Any]:
    """The quiz as shown for `seed`. What does not depend on the seed (rendered prompts,
    choice texts) is prepared once per quiz object, hence once per catalogue generation;
    the dictionaries it holds are shared between responses and never changed."""
    header, questions = quiz.derived.get("presentation") or _prepare(quiz)
    rng = random.Random(seed if seed is not None else 0)
    questions = list(questions)
    if quiz.shuffle:
        rng.shuffle(questions)
    return {**header, "questions": [_shown_question(q, rng, quiz.shuffle) for q in questions]}


def _prepare(quiz: Quiz) -> tuple[dict[str, Any], list[tuple]]:
    header = {
        "id": quiz.id,
        "title": quiz.title,
        "description": quiz.description,
        "pass_mark": quiz.pass_mark,
        "max_attempts": quiz.max_attempts,
        "time_limit": quiz.time_limit,
    }
    prepared = header, [_prepare_question(q) for q in quiz.questions]
    quiz.derived["presentation"] = prepared  # several threads may store equal values: harmless
    return prepared


def _prepare_question(question: dict[str, Any]) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
    """(type, the question without its choices, its choices in file order)."""
    kind = question["type"]
    shown: dict[str, Any] = {"id": question["id"], "type": kind, "prompt": render_markdown(question["prompt"])}
    if kind in {"single", "multiple"}:
        choices = [{"id": c["id"], "text": c["text"]} for c in question["choices"]]
    elif kind == "true_false":
        choices = TRUE_FALSE_CHOICES
    elif kind == "ordering":
        choices = [{"id": c["id"], "text": c["text"]} for c in question["items"]]
    else:
        choices = []
        shown["unit"] = question.get("unit", "")
    return kind, shown, choices


def _shown_question(prepared: tuple, rng: random.Random, shuffle: bool) -> dict[str, Any]:
    kind, shown, choices = prepared
    choices = list(choices)
    if kind in {"single", "multiple"}:
        if shuffle:
            rng.shuffle(choices)
    elif kind == "ordering":
        correct = list(prepared[2])
        rng.shuffle(choices)
        if choices == correct:  # never show the answer as the starting order
            choices.append(choices.pop(0))
    return {**shown, "choices": choices}
