"""Accounts, quizzes, paths and certificates through the app, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from conftest import Learner
from factories import ANSWERS_ALL_RIGHT, ANSWERS_ALL_WRONG, caught_up, count, user_id_of

from portal import cookie_session
from portal.learning.tokens import signer_for

SECRET_KEYS = ("correct", "feedback", "explanation", "answer", "expected", "tolerance")



# -- accounts --------------------------------------------------------------------------------
def test_me_is_anonymous_with_a_csrf_token(client):
    body = client.get("/api/me").get_json()
    assert body["user"] is None and len(body["csrf_token"]) > 20


def test_register_signs_in_and_me_tells_who(learner):
    body = learner.client.get("/api/me").get_json()
    assert body["user"] == {"email": "lea@example.com", "name": "Léa Martin", "role": "learner", "team": None}


def test_session_cookie_is_httponly_and_samesite(app):
    person = Learner(app.test_client())
    response = person.register()
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_post_without_csrf_token_is_refused(client):
    response = client.post("/login", data={"email": "a@b.fr", "password": "x"})
    assert response.status_code == 400
    assert "Jeton de sécurité (CSRF)" in response.get_data(as_text=True)
    api = client.post("/api/me/pages-read", json={"page": "/"})
    assert api.status_code == 400 and "CSRF" in api.get_json()["error"]


def test_wrong_password_is_refused_in_french(app, learner):
    other = Learner(app.test_client())
    response = other.login(password="pas-le-bon-mot-de-passe")
    assert response.status_code == 401
    assert "Adresse e-mail ou mot de passe incorrect." in response.get_data(as_text=True)
    assert other.login().status_code == 302


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"password": "court"}, "au moins 10 caractères"),
        ({"password": "lea-1234567890"}, "ne doit pas reprendre votre adresse"),
        ({"email": "pas-une-adresse"}, "Adresse e-mail invalide."),
        ({"name": ""}, "Indiquez votre nom"),
    ],
)
def test_registration_is_refused_with_a_reason(app, fields, message):
    person = Learner(app.test_client())
    data = {"email": "lea@example.com", "name": "Léa", "password": "un-mot-de-passe-long",
            "csrf_token": person.csrf(), **fields}
    response = person.client.post("/register", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count(app, "users") == 0


def test_duplicate_registration_is_refused(app, learner):
    again = Learner(app.test_client())
    response = again.register()
    assert response.status_code == 400
    assert "Un compte existe déjà" in response.get_data(as_text=True)


def test_registration_limited_to_allowed_domains(app):
    app.config["PORTAL"].allowed_email_domains = ["groupe.fr"]
    person = Learner(app.test_client())
    response = person.register()
    assert response.status_code == 400
    assert "réservées aux adresses des domaines : groupe.fr" in response.get_data(as_text=True)
    assert Learner(app.test_client(), email="lea@groupe.fr").register().status_code == 302


def test_header_sign_on_is_trusted_only_from_proxies(app):
    settings = app.config["PORTAL"]
    settings.auth = "header"
    settings.trusted_proxies = ["10.0.0.1"]
    client = app.test_client()
    trusted = client.get("/api/me", headers={"X-Forwarded-User": "paul.durand@groupe.fr",
                                             "X-Forwarded-Team": "Finance"},
                         environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert trusted.get_json()["user"]["email"] == "paul.durand@groupe.fr"
    assert trusted.get_json()["user"]["team"] == "Finance"
    spoofed = app.test_client().get("/api/me", headers={"X-Forwarded-User": "pmo@groupe.fr"},
                                    environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert spoofed.get_json()["user"] is None
    assert count(app, "users") == 1


# -- quizzes -----------------------------------------------------------------------------------
def test_quiz_list(client):
    quizzes = {q["id"]: q for q in client.get("/api/quizzes").get_json()}
    assert quizzes["essentiel"] == {"id": "essentiel", "title": "L'essentiel du guide",
                                    "description": "Un quiz de test qui couvre chaque type de question.",
                                    "questions": 5, "pass_mark": 80}


def test_quiz_never_reveals_what_is_correct(learner):
    body = learner.open_quiz()
    text = json.dumps(body)
    for key in SECRET_KEYS:
        assert f'"{key}"' not in text
    assert "Exactement." not in text and "La bonne réponse est la bonne." not in text
    ordering = next(q for q in body["questions"] if q["id"] == "ordre")
    assert [c["id"] for c in ordering["choices"]] != ["a", "b", "c"]
    html = learner.client.get("/quiz/essentiel").get_data(as_text=True)
    assert "Exactement." not in html and "La bonne réponse est la bonne." not in html
    assert 'name="token"' in html


def test_a_new_build_shows_the_edited_quiz_without_restart(app, learner):
    before = {q["id"]: q["prompt"] for q in learner.open_quiz()["questions"]}
    assert before["unique"] == "<p>Quelle est la bonne réponse ?</p>"
    settings = app.config["PORTAL"]
    path = settings.quizzes_dir / "essentiel.yml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "Quelle est la bonne réponse ?", "Quelle est la réponse juste ?"), encoding="utf-8")
    from portal.build.pipeline import build

    build(settings)
    after = {q["id"]: q["prompt"] for q in learner.open_quiz()["questions"]}
    assert after["unique"] == "<p>Quelle est la réponse juste ?</p>"
    html = learner.client.get("/quiz/essentiel").get_data(as_text=True)
    assert "Quelle est la réponse juste ?" in html and "Quelle est la bonne réponse ?" not in html


def test_unknown_quiz_is_404(client):
    assert client.get("/api/quizzes/inexistant").status_code == 404
    assert client.get("/api/quizzes/inexistant").get_json()["error"].startswith("Quiz introuvable")
    assert client.get("/quiz/inexistant").status_code == 404


def test_anonymous_cannot_submit(client):
    response = client.post("/api/quizzes/essentiel/attempts", json={},
                           headers={"X-CSRFToken": client.get("/api/me").get_json()["csrf_token"]})
    assert response.status_code == 401
    assert response.get_json() == {"error": "Authentification requise."}


def test_failed_attempt_lists_sections_to_review(learner):
    response = learner.submit(ANSWERS_ALL_WRONG)
    assert response.status_code == 201
    body = response.get_json()
    assert body["passed"] is False and body["percent"] == 0
    assert body["sections_to_review"] == ["/guides/guide/#etapes", "/guides/guide/#pieges"]
    unique = next(q for q in body["questions"] if q["id"] == "unique")
    assert unique["correct"] is False and unique["expected"] == ["a"]
    assert unique["reference"] == "/guides/guide/#etapes"
    assert unique["explanation"] == "La bonne réponse est la bonne."


def test_same_token_twice_is_recorded_once(app, learner):
    token = learner.open_quiz()["token"]
    first = learner.submit(ANSWERS_ALL_RIGHT, token=token)
    again = learner.submit(ANSWERS_ALL_WRONG, token=token)
    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json() == first.get_json()
    caught_up(app)
    assert count(app, "attempts") == 1 and count(app, "answers") == 5


def test_token_of_another_learner_is_refused(app, learner):
    token = learner.open_quiz()["token"]
    other = Learner(app.test_client(), email="marc@example.com", name="Marc")
    other.register()
    response = other.submit(ANSWERS_ALL_RIGHT, token=token)
    assert response.status_code == 403
    assert count(app, "attempts") == 0


def test_token_of_another_quiz_is_refused(app, learner):
    token = learner.open_quiz("limite")["token"]
    assert learner.submit(ANSWERS_ALL_RIGHT, token=token).status_code == 403


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ("pas du json", 400, "Corps JSON attendu"),
        ({"token": None, "answers": ANSWERS_ALL_RIGHT}, 400, "Jeton de tentative manquant"),
        ({"token": "inconnu", "answers": ANSWERS_ALL_RIGHT}, 400, "Jeton de tentative inconnu"),
        ({"answers": {**ANSWERS_ALL_RIGHT, "fantome": ["a"]}}, 400, "question inconnue « fantome »"),
        ({"answers": {"unique": ["a"]}}, 400, "4 question(s) sans réponse"),
        ({"answers": {**ANSWERS_ALL_RIGHT, "nombre": "beaucoup"}}, 400, "un nombre est attendu"),
        ({"answers": {**ANSWERS_ALL_RIGHT, "plusieurs": ["a", "a"]}}, 400, "un même choix figure deux fois"),
        ({"answers": [1, 2]}, 400, "« answers » doit associer"),
    ],
)
def test_bad_submissions_are_refused_and_record_nothing(app, learner, body, status, message):
    csrf = learner.csrf()
    if isinstance(body, dict) and "token" not in body:
        body = {"token": learner.open_quiz()["token"], **body}
    kwargs = {"json": body} if isinstance(body, dict) else {"data": body, "content_type": "text/plain"}
    response = learner.client.post("/api/quizzes/essentiel/attempts", headers={"X-CSRFToken": csrf}, **kwargs)
    assert response.status_code == status
    assert message in response.get_json()["error"]
    assert count(app, "attempts") == 0 and count(app, "answers") == 0


def test_one_megabyte_body_is_413(app, learner):
    token = learner.open_quiz()["token"]
    response = learner.post_json("/api/quizzes/essentiel/attempts",
                                 {"token": token, "answers": {"x": "y" * 1_000_000}})
    assert response.status_code == 413
    assert response.get_json()["error"] == "Requête trop volumineuse."
    assert count(app, "attempts") == 0


def test_submission_after_the_time_limit_is_refused(app, learner):
    # The time limit counts from the issue time the token carries, under its signature.
    user_id = user_id_of(app, learner.email)
    six_minutes_ago = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=6)
    token = signer_for(app.secret_key).sign(user_id, "limite", issued_at=six_minutes_ago).token
    response = learner.submit({"seule": ["true"]}, quiz_id="limite", token=token)
    assert response.status_code == 409
    assert response.get_json()["error"].startswith("Temps écoulé")
    assert count(app, "attempts") == 0


def test_attempt_limit(app, learner):
    assert learner.submit({"seule": ["false"]}, quiz_id="limite").status_code == 201
    assert learner.submit({"seule": ["false"]}, quiz_id="limite").status_code == 201
    body = learner.open_quiz("limite")
    assert body["token"] is None and "Nombre maximal de tentatives atteint" in body["error"]
    assert count(app, "attempts") == 2


def test_attempt_records_content_hash_and_answers(app, learner):
    learner.submit(ANSWERS_ALL_RIGHT)
    caught_up(app)  # the answers reach their table when the item analysis catches up
    quiz = app.extensions["portal.quizzes"].current().quizzes["essentiel"]
    with app.extensions["portal.engine"].connect() as conn:
        stored = conn.execute(sa.text("SELECT quiz_hash FROM attempts")).scalar_one()
        responses = dict(conn.execute(sa.text("SELECT question_id, response FROM answers")).all())
    assert stored == quiz.hash and len(stored) == 64
    assert {k: json.loads(v) if isinstance(v, str) else v for k, v in responses.items()}["ordre"] == ["a", "b", "c"]


def test_results_page_is_visible_only_to_its_learner(app, learner):
    attempt = learner.submit(ANSWERS_ALL_WRONG).get_json()["attempt"]
    page = learner.client.get(f"/quiz/essentiel/resultats/{attempt}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Sections à revoir" in html
    assert '<a href="/guides/guide/#etapes">Guide › Étapes</a>' in html
    other = Learner(app.test_client(), email="marc@example.com", name="Marc")
    other.register()
    assert other.client.get(f"/quiz/essentiel/resultats/{attempt}").status_code == 404


# -- the same quiz as an HTML form, without JavaScript ------------------------------------------
def test_quiz_form_works_without_javascript(app, learner):
    html = learner.client.get("/quiz/essentiel").get_data(as_text=True)
    token = html.split('name="token" value="')[1].split('"')[0]
    csrf = html.split('name="csrf_token" value="')[1].split('"')[0]
    form = {"csrf_token": csrf, "token": token, "q-unique": "a", "q-plusieurs-shown": "1",
            "q-plusieurs": ["a", "b"], "q-vrai-faux": "true", "q-ordre-a": "1", "q-ordre-b": "2",
            "q-ordre-c": "3", "q-nombre": "0,8"}
    response = learner.client.post("/quiz/essentiel", data=form)
    assert response.status_code == 303
    result = learner.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Réussi" in result and "5 / 5" in result


def test_quiz_form_with_missing_answers_says_so(app, learner):
    html = learner.client.get("/quiz/essentiel").get_data(as_text=True)
    token = html.split('name="token" value="')[1].split('"')[0]
    response = learner.client.post("/quiz/essentiel", data={"csrf_token": learner.csrf(), "token": token,
                                                             "q-unique": "a"})
    assert response.status_code == 400
    assert "question(s) sans réponse" in response.get_data(as_text=True)
    assert count(app, "attempts") == 0


# -- paths, progress, certificates ------------------------------------------------------------
def test_path_to_certificate(app, learner):
    progress = learner.client.get("/api/me/progress").get_json()
    path = next(p for p in progress["paths"] if p["id"] == "decouverte")
    assert path["percent"] == 0 and path["certificate"] is None
    assert [s["kind"] for s in path["steps"]] == ["read", "quiz"]

    assert learner.post_json("/api/me/pages-read", {"page": "/guides/guide/"}).status_code == 201
    assert learner.post_json("/api/me/pages-read", {"page": "/guides/guide/"}).status_code == 200
    assert count(app, "path_enrollments") == 1  # a first step done starts the path
    learner.submit(ANSWERS_ALL_WRONG)
    progress = learner.client.get("/api/me/progress").get_json()
    path = next(p for p in progress["paths"] if p["id"] == "decouverte")
    assert path["percent"] == 50 and not path["completed"]
    assert progress["quizzes"]["essentiel"] == {"attempts": 1, "best_percent": 0.0, "passed": False}

    learner.submit(ANSWERS_ALL_RIGHT)
    progress = learner.client.get("/api/me/progress").get_json()
    path = next(p for p in progress["paths"] if p["id"] == "decouverte")
    assert path["completed"] and path["percent"] == 100
    code = path["certificate"]
    assert code and len(code) == 19
    assert progress["pages_read"] == ["/guides/guide/"]

    public = app.test_client().get(f"/certificats/{code}").get_data(as_text=True)
    assert "Certificat vérifié" in public and "Léa Martin" in public and "Parcours découverte" in public
    pdf = app.test_client().get(f"/certificats/{code}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert app.test_client().get("/certificats/AAAA-BBBB-CCCC-DDDD").status_code == 404
    page = learner.client.get("/progression").get_data(as_text=True)
    assert "Parcours terminé" in page and code in page


def test_unknown_page_cannot_be_marked_read(learner):
    response = learner.post_json("/api/me/pages-read", {"page": "/nulle/part/"})
    assert response.status_code == 404
    assert learner.post_json("/api/me/pages-read", {"pas": "de page"}).status_code == 400


def test_progress_requires_sign_in(client):
    assert client.get("/api/me/progress").status_code == 401
    response = client.get("/progression")
    assert response.status_code == 302 and "/login?next=/progression" in response.headers["Location"]


def test_sessions_expire_and_are_renewed_at_sign_in(app, learner):
    learner.client.post("/logout", data={"csrf_token": learner.csrf()})
    before = learner.client.get_cookie("portail_session")
    response = learner.login()
    cookie = response.headers["Set-Cookie"]
    assert "Expires=" in cookie
    after = learner.client.get_cookie("portail_session")
    assert before is None or after.value != before.value


def test_session_cookie_is_not_signed_again_on_every_response(learner):
    learner.client.get("/api/me")  # the CSRF token is stored in the session once
    response = learner.client.get("/api/me")
    assert response.get_json()["user"] is not None
    assert "Set-Cookie" not in response.headers


def test_session_cookie_is_signed_again_once_old_so_that_it_slides(learner, monkeypatch):
    learner.client.get("/api/me")
    monkeypatch.setattr(cookie_session, "REFRESH", dt.timedelta(0))
    response = learner.client.get("/api/me")
    assert "Expires=" in response.headers["Set-Cookie"]
    assert learner.client.get("/api/me").get_json()["user"] is not None


def test_cookies_are_secure_when_served_over_https(built_settings, database_url):
    from conftest import BufferedClient

    from portal import create_app

    built_settings.database_url = database_url
    built_settings.secure_cookies = True
    secure = create_app(built_settings)
    secure.test_client_class = BufferedClient
    person = Learner(secure.test_client())
    response = person.register()
    assert "Secure" in response.headers["Set-Cookie"]
    assert "Strict-Transport-Security" in response.headers
    secure.extensions["portal.engine"].dispose()


@pytest.mark.parametrize("kind", ["json", "form", "multipart"])
def test_the_csrf_token_is_checked_wherever_it_comes(learner, kind):
    """A JSON body's token comes from its header, a form's from its field or its header:
    a wrong or missing one is refused and records nothing, the right one records."""
    csrf = learner.csrf()
    client = learner.client

    def post(token=None, in_header=False):
        if kind == "json":
            headers = {"X-CSRFToken": token} if token else {}
            return client.post("/api/me/pages-read", json={"page": "/"}, headers=headers)
        fields, headers = {"page": "/"}, {}
        if token and in_header:
            headers["X-CSRFToken"] = token
        elif token:
            fields["csrf_token"] = token
        return client.post("/pages-lues", data=fields, headers=headers,
                           content_type="multipart/form-data" if kind == "multipart"
                           else "application/x-www-form-urlencoded")

    for refused in (post(), post("pas-un-jeton"), post(csrf[:-2] + "xx")):
        assert refused.status_code == 400
        assert "CSRF" in refused.get_data(as_text=True)
    assert client.get("/api/me/progress").get_json()["pages_read"] == []
    assert post(csrf).status_code in (200, 201, 303)
    if kind != "json":
        assert post(csrf, in_header=True).status_code == 303
    assert client.get("/api/me/progress").get_json()["pages_read"] == ["/"]
