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


def present_question(question: dict[str, Any], rng: random.Random, shuffle: bool) -> dict[str, Any]:
    kind = question["type"]
    shown: dict[str, Any] = {
        "id": question["id"],
        "type": kind,
        "prompt": render_markdown(question["prompt"]),
    }
    if kind in {"single", "multiple"}:
        choices = [{"id": c["id"], "text": c["text"]} for c in question["choices"]]
        if shuffle:
            rng.shuffle(choices)
        shown["choices"] = choices
    elif kind == "true_false":
        shown["choices"] = [dict(c) for c in TRUE_FALSE_CHOICES]
    elif kind == "ordering":
        items = [{"id": c["id"], "text": c["text"]} for c in question["items"]]
        correct = [i["id"] for i in items]
        rng.shuffle(items)
        if [i["id"] for i in items] == correct:  # never show the answer as the starting order
            items.append(items.pop(0))
        shown["choices"] = items
    else:
        shown["choices"] = []
        shown["unit"] = question.get("unit", "")
    return shown


def present_quiz(quiz: Quiz, seed: int | None) -> dict[str, Any]:
    rng = random.Random(seed if seed is not None else 0)
    questions = list(quiz.questions)
    if quiz.shuffle:
        rng.shuffle(questions)
    return {
        "id": quiz.id,
        "title": quiz.title,
        "description": quiz.description,
        "pass_mark": quiz.pass_mark,
        "max_attempts": quiz.max_attempts,
        "time_limit": quiz.time_limit,
        "questions": [present_question(q, rng, quiz.shuffle) for q in questions],
    }
