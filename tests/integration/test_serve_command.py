"""`pmo-portal serve`: migrations, then gunicorn serving site and portal on one origin."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from portal.build.pipeline import build


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


@pytest.fixture
def server(site_settings, database_url):
    build(site_settings)
    port = free_port()
    env = {**os.environ, "PORTAL_ROOT": str(site_settings.root), "PORTAL_DATABASE_URL": database_url,
           "PORTAL_SECRET_KEY": "test"}
    command = [str(Path(sys.executable).with_name("pmo-portal")), "serve", "--port", str(port), "--workers", "2"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if get(base + "/api/health")[0] == 200:
                break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail(process.stdout.read().decode())
    yield base
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=20)
    process.stdout.close()


def test_serve_runs_gunicorn_with_migrations_and_one_origin(server):
    status, _headers, body = get(server + "/api/health")
    assert status == 200 and json.loads(body)["database"] == "ok"
    status, headers, body = get(server + "/guides/guide/")
    assert status == 200 and "Guide" in body.decode()
    assert headers["Content-Type"].startswith("text/html")
    status, _headers, body = get(server + "/search?q=guide")
    assert status == 200 and "résultat" in body.decode()
    status, _headers, body = get(server + "/inexistant/")
    assert status == 404 and "Page introuvable" in body.decode()
    status, headers, _body = get(server + "/api/quizzes")
    assert status == 200 and headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(("args", "workers", "threads"),
                         [((), 2, 2), (("--workers", "4", "--threads", "6"), 4, 6)])
def test_serve_gives_gunicorn_its_workers_and_threads(tmp_path, monkeypatch, args, workers, threads):
    """The options reach gunicorn's own configuration (its serving loop is not started)."""
    from click.testing import CliRunner

    from portal.cli import main
    from portal.server import PortalServer

    seen = {}
    monkeypatch.setattr(PortalServer, "run", lambda self: seen.update(
        workers=self.cfg.workers, threads=self.cfg.threads, worker_class=self.cfg.worker_class_str))
    env = {"PORTAL_DATABASE_URL": f"sqlite:///{tmp_path / 'portal.db'}", "PORTAL_SECRET_KEY": "test",
           "PORTAL_VAR_DIR": str(tmp_path / "var")}
    result = CliRunner().invoke(main, ["serve", *args], env=env)
    assert result.exit_code == 0, result.output
    assert seen == {"workers": workers, "threads": threads, "worker_class": "gthread"}
    refused = CliRunner().invoke(main, ["serve", "--threads", "0"], env=env)
    assert refused.exit_code == 2 and "--threads" in refused.output
