"""Sign-in limits: strict per account, generous per address; shared through Redis."""

from __future__ import annotations

import os
import uuid

import pytest
from conftest import Learner

from portal import create_app


def fail_login(person: Learner, email: str | None = None):
    data = {"email": email or person.email, "password": "mauvais-mot-de-passe", "csrf_token": person.csrf()}
    return person.client.post("/login", data=data)


def test_five_failures_a_minute_per_account_then_429(app, learner):
    statuses = [fail_login(Learner(app.test_client())).status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    blocked = fail_login(Learner(app.test_client()))
    assert blocked.status_code == 429
    assert "Trop de tentatives" in blocked.get_data(as_text=True)
    # Another account from the same address is not blocked.
    assert fail_login(Learner(app.test_client()), email="autre@example.com").status_code == 401


def test_an_office_behind_one_address_can_sign_in(app):
    people = [Learner(app.test_client(), email=f"p{i}@example.com", name=f"P{i}") for i in range(60)]
    for person in people:
        assert person.register().status_code == 302
    statuses = [person.login().status_code for person in people]
    assert statuses.count(302) == 60


@pytest.mark.skipif(not os.environ.get("PORTAL_TEST_REDIS_URL"), reason="PORTAL_TEST_REDIS_URL absent")
def test_limits_are_shared_between_servers_through_redis(built_settings, database_url):
    from conftest import BufferedClient

    built_settings.database_url = database_url
    built_settings.ratelimit_storage_url = os.environ["PORTAL_TEST_REDIS_URL"]
    email = f"{uuid.uuid4().hex}@example.com"
    servers = [create_app(built_settings) for _ in range(2)]
    for server in servers:
        server.test_client_class = BufferedClient
    statuses = []
    for index in range(6):
        person = Learner(servers[index % 2].test_client(), email=email)
        statuses.append(fail_login(person).status_code)
    assert statuses == [401] * 5 + [429]
    for server in servers:
        server.extensions["portal.engine"].dispose()


def test_address_limits_count_readers_behind_a_trusted_proxy(app):
    """Behind nginx every request comes from 127.0.0.1; the limit must count the real readers."""
    app.config["PORTAL"].trusted_proxies = ["127.0.0.1"]

    def attempt(client_ip: str, index: int):
        person = Learner(app.test_client(), email=f"x{index}@example.com")
        data = {"email": person.email, "password": "mauvais-mot-de-passe", "csrf_token": person.csrf()}
        return person.client.post("/login", data=data, headers={"X-Forwarded-For": client_ip},
                                  environ_base={"REMOTE_ADDR": "127.0.0.1"})

    statuses = [attempt("203.0.113.7", i).status_code for i in range(121)]
    assert statuses.count(429) == 1 and statuses[-1] == 429
    assert attempt("198.51.100.2", 999).status_code == 401  # another reader is not blocked
    # From an untrusted address the header is ignored: the connection's address counts.
    untrusted = Learner(app.test_client(), email="y@example.com")
    data = {"email": untrusted.email, "password": "x" * 12, "csrf_token": untrusted.csrf()}
    response = untrusted.client.post("/login", data=data, headers={"X-Forwarded-For": "203.0.113.7"},
                                     environ_base={"REMOTE_ADDR": "192.0.2.50"})
    assert response.status_code == 401
