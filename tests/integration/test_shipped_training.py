"""The shipped quizzes and paths: no answer leaks, every path can be completed."""

from __future__ import annotations

import json

import pytest
from conftest import BufferedClient, Learner

from portal import create_app
from portal.learning.scoring import expected_answer


@pytest.fixture
def shipped_app(real_build, database_url):
    settings = real_build[0]
    settings.database_url = database_url
    app = create_app(settings)
    app.test_client_class = BufferedClient
    yield app
    app.extensions["portal.engine"].dispose()


def test_shipped_catalogue_has_eight_quizzes_and_three_paths(shipped_app):
    catalog = shipped_app.extensions["portal.quizzes"].current()
    assert len(catalog.quizzes) >= 8
    assert all(len(q.questions) >= 10 for q in catalog.quizzes.values())
    assert {"nouvel-arrivant", "pilotage", "contributeur"} <= set(catalog.paths)
    kinds = {q["type"] for quiz in catalog.quizzes.values() for q in quiz.questions}
    assert kinds == {"single", "multiple", "true_false", "ordering", "numeric"}


def test_no_shipped_quiz_reveals_its_answers_before_submission(shipped_app):
    catalog = shipped_app.extensions["portal.quizzes"].current()
    learner = Learner(shipped_app.test_client())
    learner.register()
    for quiz in catalog.quizzes.values():
        body = learner.open_quiz(quiz.id)
        html = learner.client.get(f"/quiz/{quiz.id}").get_data(as_text=True)
        text = json.dumps(body, ensure_ascii=False)
        for key in ("correct", "feedback", "explanation", "expected", "tolerance", "answer"):
            assert f'"{key}"' not in text, (quiz.id, key)
        for question in quiz.questions:
            assert question["explanation"] not in text and question["explanation"] not in html
            for choice in question.get("choices", []):
                if choice.get("feedback"):
                    assert choice["feedback"] not in html, (quiz.id, question["id"])
            if question["type"] == "numeric":
                qid = question["id"]
                assert f'name="q-{qid}" inputmode="decimal" autocomplete="off" value=""' in html
            if question["type"] == "ordering":
                shown = next(q for q in body["questions"] if q["id"] == question["id"])
                assert [c["id"] for c in shown["choices"]] != expected_answer(question)


def test_nouvel_arrivant_can_be_completed_to_a_certificate(shipped_app):
    catalog = shipped_app.extensions["portal.quizzes"].current()
    path = catalog.paths["nouvel-arrivant"]
    learner = Learner(shipped_app.test_client())
    learner.register()
    csrf = learner.csrf()
    start = learner.client.post("/parcours/nouvel-arrivant/commencer", data={"csrf_token": csrf})
    assert start.status_code == 303
    for kind, ref in path.steps:
        if kind == "quiz":
            quiz = catalog.quizzes[ref]
            answers = {q["id"]: expected_answer(q) for q in quiz.questions}
            assert learner.submit(answers, quiz_id=ref).get_json()["passed"] is True
        else:  # read and listen steps are completed from the page
            url = "/" + ref.removesuffix(".md").removesuffix("index") + ("" if ref.endswith("index.md") else "/")
            assert learner.post_json("/api/me/pages-read", {"page": url}).status_code == 201
    progress = learner.client.get("/api/me/progress").get_json()
    done = next(p for p in progress["paths"] if p["id"] == "nouvel-arrivant")
    assert done["completed"] and done["certificate"]
    assert any(s["kind"] == "listen" and s["done"] for s in done["steps"])
