"""Shared fixtures: content trees, settings, the app on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from factories import make_site  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402

from portal import create_app  # noqa: E402
from portal.migrations import upgrade  # noqa: E402


class BufferedClient(FlaskClient):
    """Reads and closes every response, so that served files are never left open."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


POSTGRES_URL = os.environ.get("PORTAL_TEST_DATABASE_URL", "")


def _reset_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


DATABASES = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


@pytest.fixture(params=DATABASES)
def database_url(request, tmp_path) -> str:
    """A fresh, migrated database: a real SQLite file, and PostgreSQL when configured."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
    else:
        url = POSTGRES_URL
        _reset_postgres(url)
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def real_build(tmp_path_factory):
    """The shipped content built once, with the real pipeline, into a temporary var/."""
    from portal.build.pipeline import build
    from portal.config import PROJECT_ROOT, Settings

    tmp = tmp_path_factory.mktemp("real")
    settings = Settings(
        root=PROJECT_ROOT, var_dir=tmp / "var", site_dir=tmp / "site",
        database_url=f"sqlite:///{tmp / 'real.db'}", secret_key="test", testing=True,
    )
    result = build(settings)
    return settings, result


@pytest.fixture
def site_settings(tmp_path):
    """A small content tree using the real theme, plugin and checks, with quizzes."""
    return make_site(tmp_path / "project", quizzes=True)


@pytest.fixture
def built_settings(site_settings):
    from portal.build.pipeline import build

    build(site_settings)
    return site_settings


@pytest.fixture
def app(built_settings, database_url):
    built_settings.database_url = database_url
    application = create_app(built_settings)
    application.test_client_class = BufferedClient
    yield application
    application.extensions["portal.engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


class Learner:
    """Registers, signs in and talks to the API like the site's scripts do."""

    def __init__(self, client, email="lea@example.com", name="Léa Martin"):
        self.client, self.email, self.name = client, email, name

    def csrf(self) -> str:
        return self.client.get("/api/me").get_json()["csrf_token"]

    def register(self, password="un-mot-de-passe-long", **extra):
        data = {"email": self.email, "name": self.name, "password": password,
                "csrf_token": self.csrf(), **extra}
        return self.client.post("/register", data=data)

    def login(self, password="un-mot-de-passe-long"):
        data = {"email": self.email, "password": password, "csrf_token": self.csrf()}
        return self.client.post("/login", data=data)

    def post_json(self, url, body):
        return self.client.post(url, json=body, headers={"X-CSRFToken": self.csrf()})

    def open_quiz(self, quiz_id="essentiel"):
        return self.client.get(f"/api/quizzes/{quiz_id}").get_json()

    def submit(self, answers, quiz_id="essentiel", token=None):
        token = token or self.open_quiz(quiz_id)["token"]
        return self.post_json(f"/api/quizzes/{quiz_id}/attempts", {"token": token, "answers": answers})


@pytest.fixture
def learner(app):
    person = Learner(app.test_client())
    assert person.register().status_code == 302
    return person
