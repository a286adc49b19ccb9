"""The session cookie's signature is checked once per cookie; its age at every request."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from flask import Flask, session

from portal import cookie_session
from portal.cookie_session import CookieSessionInterface


@pytest.fixture
def app():
    app = Flask(__name__)
    app.secret_key = "clé-de-test"
    app.permanent_session_lifetime = dt.timedelta(hours=1)
    app.session_interface = CookieSessionInterface()

    @app.post("/connexion")
    def sign_in():
        session.permanent = True
        session["user_id"] = 7
        session["roles"] = ["pmo"]  # not a plain value: such a session is never remembered
        return "ok"

    @app.post("/simple")
    @app.post("/simple/<int:user_id>")
    def plain(user_id=7):
        session.permanent = True
        session["user_id"] = user_id
        return "ok"

    @app.get("/qui")
    def who():
        return {"user_id": session.get("user_id")}

    return app


def cookie_of(response) -> str:
    header = response.headers["Set-Cookie"]
    return header.split(";", 1)[0].split("=", 1)[1]


def ask(app, cookie: str) -> dict:
    client = app.test_client()
    client.set_cookie("session", cookie)
    return client.get("/qui").get_json()


def test_a_valid_cookie_is_checked_once_and_then_remembered(app, monkeypatch):
    value = cookie_of(app.test_client().post("/simple"))
    checks = []
    serializer = app.session_interface.get_signing_serializer(app)
    real_loads = serializer.loads
    monkeypatch.setattr(serializer, "loads", lambda *a, **k: checks.append(1) or real_loads(*a, **k))
    assert ask(app, value) == {"user_id": 7}
    assert ask(app, value) == {"user_id": 7}
    assert len(checks) == 1
    # A forged cookie is checked every time, and never remembered.
    forged = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
    assert ask(app, forged) == {"user_id": None}
    assert ask(app, forged) == {"user_id": None}
    assert len(checks) == 3


def test_a_remembered_cookie_still_expires(app, monkeypatch):
    value = cookie_of(app.test_client().post("/simple"))
    assert ask(app, value) == {"user_id": 7}
    later = time.time() + 3600 + 2
    monkeypatch.setattr(cookie_session.time, "time", lambda: later)
    assert ask(app, value) == {"user_id": None}


def test_a_remembered_cookie_is_refused_once_its_key_is_gone(app):
    value = cookie_of(app.test_client().post("/simple"))
    assert ask(app, value) == {"user_id": 7}
    app.secret_key = "nouvelle-clé"
    assert ask(app, value) == {"user_id": None}
    app.config["SECRET_KEY_FALLBACKS"] = ["clé-de-test"]  # a rotation keeps the old key a while
    assert ask(app, value) == {"user_id": 7}


def test_sessions_with_lists_are_not_remembered_and_the_memory_is_bounded(app, monkeypatch):
    interface = app.session_interface
    with_list = cookie_of(app.test_client().post("/connexion"))
    assert ask(app, with_list) == {"user_id": 7}
    assert interface._verified == {}
    monkeypatch.setattr(cookie_session, "VERIFIED", 3)
    cookies = []
    for user_id in range(5):
        cookies.append(cookie_of(app.test_client().post(f"/simple/{user_id}")))
        assert ask(app, cookies[-1]) == {"user_id": user_id}
    assert len(interface._verified) == 3
    assert [value for _serializer, value in interface._verified] == cookies[-3:]
