"""What a learner is shown of a quiz (`presentation`): the order a seed gives never
changes, and what is prepared once belongs to one quiz object."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml
from factories import FIXTURES

from portal.config import PROJECT_ROOT
from portal.learning.presentation import present_quiz, render_markdown
from portal.learning.quizzes import Quiz

QUIZ_FILES = sorted((FIXTURES / "quizzes").glob("*.yml")) + sorted((PROJECT_ROOT / "quizzes").glob("*.yml"))


def load(path: Path, **overrides) -> Quiz:
    return Quiz({**yaml.safe_load(path.read_text(encoding="utf-8")), **overrides})


def shown_before_the_cache(quiz: Quiz, seed: int | None) -> dict:
    """`present_quiz` as it was written before its preparation was cached: tokens issued
    then carry seeds that must keep giving the order the learner saw."""
    rng = random.Random(seed if seed is not None else 0)
    questions = list(quiz.questions)
    if quiz.shuffle:
        rng.shuffle(questions)
    shown = []
    for question in questions:
        kind = question["type"]
        item = {"id": question["id"], "type": kind, "prompt": render_markdown(question["prompt"])}
        if kind in {"single", "multiple"}:
            choices = [{"id": c["id"], "text": c["text"]} for c in question["choices"]]
            if quiz.shuffle:
                rng.shuffle(choices)
            item["choices"] = choices
        elif kind == "true_false":
            item["choices"] = [{"id": "true", "text": "Vrai"}, {"id": "false", "text": "Faux"}]
        elif kind == "ordering":
            items = [{"id": c["id"], "text": c["text"]} for c in question["items"]]
            correct = [i["id"] for i in items]
            rng.shuffle(items)
            if [i["id"] for i in items] == correct:
                items.append(items.pop(0))
            item["choices"] = items
        else:
            item["choices"] = []
            item["unit"] = question.get("unit", "")
        shown.append(item)
    return {"id": quiz.id, "title": quiz.title, "description": quiz.description,
            "pass_mark": quiz.pass_mark, "max_attempts": quiz.max_attempts,
            "time_limit": quiz.time_limit, "questions": shown}


@pytest.mark.parametrize("path", QUIZ_FILES, ids=lambda p: p.stem)
@pytest.mark.parametrize("shuffle", [True, False])
def test_a_seed_shows_the_order_it_always_showed(path, shuffle):
    quiz = load(path, shuffle=shuffle)
    for seed in [None, 0, 1, 2**31 - 1, *random.Random(8).sample(range(2**31), 60)]:
        assert present_quiz(quiz, seed) == shown_before_the_cache(quiz, seed), seed


def test_responses_do_not_share_their_lists():
    quiz = load(FIXTURES / "quizzes" / "essentiel.yml")
    first = present_quiz(quiz, 5)
    first["questions"][0]["choices"].reverse()
    first["questions"].clear()
    assert present_quiz(quiz, 5) == shown_before_the_cache(quiz, 5)


def test_what_is_prepared_belongs_to_one_quiz_object():
    """A new build loads new quiz objects: a quiz edited under the same id shows its new text."""
    path = FIXTURES / "quizzes" / "essentiel.yml"
    before = load(path)
    present_quiz(before, 1)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["questions"][0]["prompt"] = "Quelle est la **nouvelle** formulation ?"
    after = Quiz(data)
    prompts = {q["id"]: q["prompt"] for q in present_quiz(after, 1)["questions"]}
    assert prompts["unique"] == "<p>Quelle est la <strong>nouvelle</strong> formulation ?</p>"
    assert {q["id"]: q["prompt"] for q in present_quiz(before, 1)["questions"]}["unique"] != prompts["unique"]
