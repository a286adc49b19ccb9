"""Attempt tokens through the app: signed when a quiz is opened, checked when it is
submitted; tokens of the former `attempt_tokens` table still accepted. SQLite and
PostgreSQL."""

from __future__ import annotations

import base64
import datetime as dt
import struct

import sqlalchemy as sa
from conftest import Learner
from factories import ANSWERS_ALL_RIGHT, ANSWERS_ALL_WRONG, caught_up, count, user_id_of

from portal.learning.tokens import PREFIX, TokenSigner, signer_for


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def legacy_token(app, user_id: int, quiz_id: str, issued_at: dt.datetime | None = None,
                 token: str = "ancien-jeton-emis-avant-la-mise-a-jour-0123456") -> str:
    """A token as the portal stored them before they were signed."""
    with app.extensions["portal.engine"].begin() as conn:
        conn.execute(sa.text("INSERT INTO attempt_tokens (token, user_id, quiz_id, seed, issued_at) "
                             "VALUES (:token, :user_id, :quiz_id, 1234, :issued_at)"),
                     {"token": token, "user_id": user_id, "quiz_id": quiz_id,
                      "issued_at": issued_at or utcnow()})
    return token


def refused(response, status: int, message: str) -> bool:
    return response.status_code == status and response.get_json()["error"].startswith(message)


def test_opening_a_quiz_writes_nothing(app, learner):
    body = learner.open_quiz()
    assert body["token"].startswith(PREFIX) and len(body["token"]) <= 64
    assert count(app, "attempt_tokens") == 0


def test_the_same_token_shows_the_same_order_in_the_form_after_an_error(app, learner):
    html = learner.client.get("/quiz/essentiel").get_data(as_text=True)
    token = html.split('name="token" value="')[1].split('"')[0]
    order = [part.split('"')[0] for part in html.split('id="question-')[1:]]
    response = learner.client.post("/quiz/essentiel", data={"csrf_token": learner.csrf(), "token": token,
                                                             "q-unique": "a"})
    again = response.get_data(as_text=True)
    assert response.status_code == 400 and f'name="token" value="{token}"' in again
    assert [part.split('"')[0] for part in again.split('id="question-')[1:]] == order


def test_a_forged_token_is_refused(app, learner):
    forged = TokenSigner("pas-la-cle-du-portail").sign(user_id_of(app, learner.email), "essentiel").token
    response = learner.submit(ANSWERS_ALL_RIGHT, token=forged)
    assert refused(response, 400, "Jeton de tentative inconnu : rouvrez le quiz.")
    random_bytes = PREFIX + base64.urlsafe_b64encode(bytes(range(45))).decode("ascii")
    assert refused(learner.submit(ANSWERS_ALL_RIGHT, token=random_bytes), 400, "Jeton de tentative inconnu")
    assert count(app, "attempts") == 0


def test_a_token_with_a_later_issue_time_is_refused(app, learner):
    """Moving the issue time forward would stretch a time limit: the signature breaks."""
    token = learner.open_quiz("limite")["token"]
    raw = bytearray(base64.urlsafe_b64decode(token[len(PREFIX):]))
    millis = int.from_bytes(raw[7:13], "big") + 3_600_000
    raw[7:13] = millis.to_bytes(6, "big")
    tampered = PREFIX + base64.urlsafe_b64encode(bytes(raw)).decode("ascii")
    response = learner.submit({"seule": ["true"]}, quiz_id="limite", token=tampered)
    assert refused(response, 400, "Jeton de tentative inconnu")
    assert learner.submit({"seule": ["true"]}, quiz_id="limite", token=token).status_code == 201


def test_a_token_naming_another_learner_is_refused_even_when_rewritten(app, learner):
    other = Learner(app.test_client(), email="marc@example.com", name="Marc")
    other.register()
    token = learner.open_quiz()["token"]
    assert refused(other.submit(ANSWERS_ALL_RIGHT, token=token), 403, "Ce jeton de tentative appartient")
    raw = bytearray(base64.urlsafe_b64decode(token[len(PREFIX):]))
    raw[13:21] = struct.pack(">q", user_id_of(app, other.email))  # the learner's id, unsigned again
    rewritten = PREFIX + base64.urlsafe_b64encode(bytes(raw)).decode("ascii")
    assert refused(other.submit(ANSWERS_ALL_RIGHT, token=rewritten), 400, "Jeton de tentative inconnu")
    assert count(app, "attempts") == 0


def test_a_replayed_token_returns_the_first_attempt_even_after_the_time_limit(app, learner):
    token = learner.open_quiz("limite")["token"]
    first = learner.submit({"seule": ["true"]}, quiz_id="limite", token=token)
    assert first.status_code == 201
    again = learner.submit({"seule": ["false"]}, quiz_id="limite", token=token)
    assert again.status_code == 200 and again.get_json() == first.get_json()
    caught_up(app)
    assert count(app, "attempts") == 1 and count(app, "answers") == 1


def test_a_token_past_the_time_limit_is_refused_and_one_within_it_accepted(app, learner):
    signer = signer_for(app.secret_key)
    user_id = user_id_of(app, learner.email)
    late = signer.sign(user_id, "limite", issued_at=utcnow() - dt.timedelta(minutes=5, seconds=31)).token
    assert refused(learner.submit({"seule": ["true"]}, quiz_id="limite", token=late), 409, "Temps écoulé")
    in_time = signer.sign(user_id, "limite", issued_at=utcnow() - dt.timedelta(minutes=5, seconds=20)).token
    assert learner.submit({"seule": ["true"]}, quiz_id="limite", token=in_time).status_code == 201
    with app.extensions["portal.engine"].connect() as conn:
        started, submitted = conn.execute(sa.text("SELECT started_at, submitted_at FROM attempts")).one()
    if isinstance(started, str):  # SQLite through a text query
        started, submitted = dt.datetime.fromisoformat(started), dt.datetime.fromisoformat(submitted)
    assert dt.timedelta(minutes=5, seconds=19) < submitted - started < dt.timedelta(minutes=5, seconds=30)


def test_a_legacy_token_from_the_table_is_still_accepted_once(app, learner):
    token = legacy_token(app, user_id_of(app, learner.email), "essentiel")
    first = learner.submit(ANSWERS_ALL_RIGHT, token=token)
    assert first.status_code == 201 and first.get_json()["passed"] is True
    again = learner.submit(ANSWERS_ALL_WRONG, token=token)
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert count(app, "attempts") == 1 and count(app, "attempt_tokens") == 1


def test_a_legacy_token_keeps_its_checks(app, learner):
    user_id = user_id_of(app, learner.email)
    late = legacy_token(app, user_id, "limite", issued_at=utcnow() - dt.timedelta(minutes=6), token="x" * 43)
    assert refused(learner.submit({"seule": ["true"]}, quiz_id="limite", token=late), 409, "Temps écoulé")
    other_quiz = legacy_token(app, user_id, "limite", token="y" * 43)
    assert refused(learner.submit(ANSWERS_ALL_RIGHT, token=other_quiz), 403, "Ce jeton de tentative appartient")
    other = Learner(app.test_client(), email="marc@example.com", name="Marc")
    other.register()
    assert refused(other.submit({"seule": ["true"]}, quiz_id="limite", token=other_quiz), 403, "Ce jeton")
    assert refused(learner.submit(ANSWERS_ALL_RIGHT, token="z" * 43), 400, "Jeton de tentative inconnu")
    assert count(app, "attempts") == 0


def test_a_legacy_token_keeps_its_order_in_the_form_after_an_error(app, learner):
    token = legacy_token(app, user_id_of(app, learner.email), "essentiel")
    response = learner.client.post("/quiz/essentiel", data={"csrf_token": learner.csrf(), "token": token,
                                                             "q-unique": "a"})
    assert response.status_code == 400 and f'name="token" value="{token}"' in response.get_data(as_text=True)


def test_a_token_signed_with_a_fallback_key_is_accepted(app, learner):
    old = signer_for("ancienne-cle").sign(user_id_of(app, learner.email), "essentiel").token
    assert refused(learner.submit(ANSWERS_ALL_RIGHT, token=old), 400, "Jeton de tentative inconnu")
    app.config["SECRET_KEY_FALLBACKS"] = ["ancienne-cle"]
    assert learner.submit(ANSWERS_ALL_RIGHT, token=old).status_code == 201


def statements_during(app, call) -> list[str]:
    """The SQL statements the app's engine runs while `call()` does."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    engine = app.extensions["portal.engine"]
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return seen


def test_opening_a_quiz_reads_the_database_only_to_count_limited_attempts(app, learner):
    opened = {}
    assert statements_during(app, lambda: opened.update(learner.open_quiz("essentiel"))) == []
    assert opened["token"].startswith(PREFIX)
    limited = statements_during(app, lambda: opened.update(learner.open_quiz("limite")))
    assert any("count(" in s.lower() for s in limited) and opened["token"].startswith(PREFIX)


def test_a_token_opened_with_a_revoked_session_records_nothing(app, learner):
    # The token is signed for the learner the cookie names without asking the database;
    # the submission checks the learner, so a cookie whose password changed, or whose
    # account is gone, records nothing.
    user_id = user_id_of(app, learner.email)
    csrf = learner.csrf()
    with app.extensions["portal.engine"].begin() as conn:
        conn.execute(sa.text("UPDATE users SET password_hash = :h WHERE id = :id"),
                     {"h": "argon2-du-nouveau-mot-de-passe", "id": user_id})
    token = learner.open_quiz()["token"]
    assert token is not None  # signed for the cookie's id, not checked yet
    assert learner.client.get("/api/me").get_json()["user"] is None
    response = learner.client.post("/api/quizzes/essentiel/attempts", json={"token": token, "answers": ANSWERS_ALL_RIGHT},
                                   headers={"X-CSRFToken": csrf})
    assert response.status_code == 401 and count(app, "attempts") == 0
    with app.extensions["portal.engine"].begin() as conn:
        conn.execute(sa.text("DELETE FROM users WHERE id = :id"), {"id": user_id})
    response = learner.client.post("/api/quizzes/essentiel/attempts", json={"token": token, "answers": ANSWERS_ALL_RIGHT},
                                   headers={"X-CSRFToken": csrf})
    assert response.status_code == 401 and count(app, "attempts") == 0
