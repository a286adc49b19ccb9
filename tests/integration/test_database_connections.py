"""PostgreSQL connections closed by the server (a restart, an administrator) make no
request fail: the pool checks a connection before lending it (`pool_pre_ping`)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from conftest import POSTGRES_URL, BufferedClient, Learner, _reset_postgres
from factories import ANSWERS_ALL_RIGHT

from portal import create_app
from portal.migrations import upgrade

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="PORTAL_TEST_DATABASE_URL (PostgreSQL) non défini")


@pytest.fixture
def postgres_app(built_settings):
    _reset_postgres(POSTGRES_URL)
    upgrade(POSTGRES_URL)
    built_settings.database_url = POSTGRES_URL
    application = create_app(built_settings)
    application.test_client_class = BufferedClient
    yield application
    application.extensions["portal.engine"].dispose()


def terminate_other_connections() -> int:
    """What `pg_terminate_backend` does to every connection of the app, as a restart would."""
    engine = sa.create_engine(POSTGRES_URL)
    try:
        with engine.connect() as conn:
            return conn.scalar(sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
    finally:
        engine.dispose()


def test_connections_killed_by_the_server_fail_no_request(postgres_app):
    learner = Learner(postgres_app.test_client())
    assert learner.register().status_code == 302
    csrf = learner.csrf()
    steps = [
        lambda: postgres_app.test_client().get("/api/health"),
        lambda: learner.client.get("/api/me"),
        lambda: learner.client.get("/api/quizzes/essentiel"),
        lambda: learner.client.post("/api/quizzes/essentiel/attempts", headers={"X-CSRFToken": csrf},
                                    json={"token": token, "answers": ANSWERS_ALL_RIGHT}),
        lambda: learner.client.get("/api/me/progress"),
    ]
    token = None
    killed = 0
    for step in steps:
        killed += terminate_other_connections()
        response = step()
        assert response.status_code < 300, (response.status_code, response.get_data(as_text=True))
        body = response.get_json()
        if isinstance(body, dict) and body.get("token"):
            token = body["token"]
    assert killed >= len(steps) - 1  # the app's pooled connections were there to kill
    assert learner.client.get("/api/me/progress").get_json()["quizzes"]["essentiel"]["passed"] is True
