"""What a learner does in the browser: sign up, mark pages read, answer quizzes.

Right answers come from the quiz files themselves (`expected_answer`), so the
journeys follow the shipped content as it changes.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import yaml
from playwright.sync_api import Page, expect

from portal.config import PROJECT_ROOT
from portal.learning.quizzes import page_url
from portal.learning.scoring import expected_answer

PASSWORD = "Un-mot-de-passe-solide"
PASSED = "Réussi"
FAILED = "Non réussi"


def new_email(who: str) -> str:
    """An address no other test of the session uses (they share one database)."""
    return f"{who}-{uuid.uuid4().hex[:8]}@exemple.fr"


def load_quiz(quiz_id: str) -> dict[str, Any]:
    return yaml.safe_load((PROJECT_ROOT / "quizzes" / f"{quiz_id}.yml").read_text(encoding="utf-8"))


def path_steps(path_id: str) -> list[tuple[str, str, str]]:
    """(kind, reference, URL) of each step of a training path, in order."""
    data = yaml.safe_load((PROJECT_ROOT / "quizzes" / "paths" / f"{path_id}.yml").read_text(encoding="utf-8"))
    steps = []
    for step in data["steps"]:
        (kind, ref), = step.items()
        steps.append((kind, ref, f"/quiz/{ref}" if kind == "quiz" else page_url(ref)))
    return steps


# -- answers ---------------------------------------------------------------------------------
def wrong_answer(question: dict[str, Any]) -> Any:
    """An answer that scores nothing (or next to nothing, for an ordering)."""
    kind = question["type"]
    expected = expected_answer(question)
    if kind == "numeric":
        return expected + 10 * float(question.get("tolerance", 0)) + 1000
    if kind == "true_false":
        return ["false" if expected == ["true"] else "true"]
    if kind == "ordering":
        return list(reversed(expected))
    return [next(c["id"] for c in question["choices"] if not c.get("correct"))]


def french_number(value: float) -> str:
    """As a French learner types it: 27000 → « 27 000 », 121.6 → « 121,6 »."""
    if float(value).is_integer():
        value = int(value)
    return f"{value:,}".replace(",", " ").replace(".", ",")


def planned_answers(quiz_id: str, right: bool) -> dict[str, Any]:
    quiz = load_quiz(quiz_id)
    return {q["id"]: (expected_answer(q) if right else wrong_answer(q)) for q in quiz["questions"]}


# -- actions ---------------------------------------------------------------------------------
def register(page: Page, name: str, email: str) -> None:
    """Fill in and send the sign-up form of the page (/register)."""
    form = page.locator("form.portal-form")  # not the header's search form
    form.get_by_label("Nom et prénom").fill(name)
    form.get_by_label("Adresse e-mail").fill(email)
    form.get_by_label("Mot de passe").fill(PASSWORD)
    form.get_by_role("button", name="Créer mon compte").click()
    expect(page.locator("form.portal-form")).to_have_count(0)


def mark_read(page: Page) -> None:
    """« Marquer comme lu » under the page's title (or nothing to do: already « ✔ Lu »)."""
    button = page.locator(".portal-reading button")
    expect(button).to_be_visible()
    if button.inner_text().strip() == "Marquer comme lu":
        button.click()
    expect(button).to_have_text("✔ Lu")


def answer_quiz(page: Page, quiz_id: str, right: bool) -> None:
    """Fill in the quiz form shown (/quiz/<id>) with the mouse and send it."""
    quiz = load_quiz(quiz_id)
    form = page.locator("form.portal-quiz")
    answers = planned_answers(quiz_id, right)
    for question in quiz["questions"]:
        name, answer = f"q-{question['id']}", answers[question["id"]]
        if question["type"] == "ordering":
            for position, item in enumerate(answer, start=1):
                form.locator(f'select[name="{name}-{item}"]').select_option(str(position))
        elif question["type"] == "numeric":
            form.locator(f'input[name="{name}"]').fill(french_number(answer))
        else:
            for choice in answer:
                form.locator(f'input[name="{name}"][value="{choice}"]').check()
    form.get_by_role("button", name="Valider mes réponses").click()


def expect_result(page: Page, quiz_id: str, verdict: str) -> None:
    """On the result page of an attempt at `quiz_id`, with this verdict."""
    expect(page).to_have_url(re.compile(rf"/quiz/{re.escape(quiz_id)}/resultats/[^/?#]+$"))
    expect(page.locator(".portal-page [role=status] strong")).to_have_text(verdict)
