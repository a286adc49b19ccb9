"""One real portal for the session, Debian's Chromium driven by Playwright, a fresh
browser context per test.

The server is `pmo-portal serve` (gunicorn, two workers) on a free loopback port,
serving the SHIPPED content built once into a temporary var/. The browser is the
system's Chromium (`PORTAL_E2E_BROWSER`, default /usr/bin/chromium): Playwright never
downloads one. Without it, every test here is skipped and the run says so loudly.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from .audit import DESKTOP, serve_axe

BROWSER = os.environ.get("PORTAL_E2E_BROWSER", "/usr/bin/chromium")
BROWSER_MISSING = (
    f"Chromium introuvable ({BROWSER}) : suite e2e ignorée — "
    "installez le paquet Debian chromium (bash .ci/install-browser)"
)
BROWSER_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PMO_EMAIL = "pmo@exemple.fr"
PMO_PASSWORD = "Responsable-Methodes-2026"


def browser_available() -> bool:
    return os.path.isfile(BROWSER) and os.access(BROWSER, os.X_OK)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not browser_available():
        sys.stderr.write(f"\nAVERTISSEMENT : {BROWSER_MISSING}\n")
        sys.stderr.flush()


@dataclass
class Server:
    url: str
    pmo_email: str
    pmo_password: str
    log: Path

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/api/health", timeout=2) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


@pytest.fixture(scope="session")
def browser_executable() -> str:
    if not browser_available():
        pytest.skip(BROWSER_MISSING)
    return BROWSER


@pytest.fixture(scope="session")
def server(browser_executable, tmp_path_factory):
    """The shipped content built once, a PMO account, and `pmo-portal serve` on loopback."""
    from portal.build.pipeline import build
    from portal.config import PROJECT_ROOT, Settings

    tmp = tmp_path_factory.mktemp("e2e")
    settings = Settings(
        root=PROJECT_ROOT, var_dir=tmp / "var", site_dir=tmp / "site",
        database_url=f"sqlite:///{tmp / 'portal.db'}", secret_key="e2e",
    )
    build(settings)
    env = {
        **os.environ,
        "PORTAL_ROOT": str(PROJECT_ROOT),
        "PORTAL_VAR_DIR": str(settings.var_dir),
        "PORTAL_SITE_DIR": str(settings.site_dir),
        "PORTAL_DATABASE_URL": settings.database_url,
        "PORTAL_SECRET_KEY": "e2e",
        "PORTAL_RATE_LIMITS": "false",
        # gunicorn's control socket defaults to one shared path in the home directory:
        # keep this server's apart from a developer's `make run`.
        "XDG_RUNTIME_DIR": str(tmp),
    }
    command = str(Path(sys.executable).with_name("pmo-portal"))
    created = subprocess.run(
        [command, "users", "create", PMO_EMAIL, "--name", "Équipe PMO", "--role", "pmo"],
        input=PMO_PASSWORD + "\n", env=env, capture_output=True, text=True, timeout=60,
    )
    assert created.returncode == 0, created.stdout + created.stderr

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [command, "serve", "--port", str(port), "--workers", "2"],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    running = Server(url=url, pmo_email=PMO_EMAIL, pmo_password=PMO_PASSWORD, log=log)
    try:
        deadline = time.monotonic() + 30
        while not _healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"pmo-portal serve did not start:\n{running.log_tail()}")
            time.sleep(0.2)
        yield running
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def browser(browser_executable):
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=browser_executable, args=BROWSER_ARGS)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()


def watch(page, errors: list[str]) -> None:
    """Record uncaught script errors, and what the Content-Security-Policy blocks."""
    page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
    page.on("console", lambda message: errors.append(f"{page.url}: {message.text}")
            if message.type == "error" and "Content Security Policy" in message.text else None)


@pytest.fixture
def new_context(browser, server):
    """Makes browser contexts (a fresh profile: no cookies, no stored palette) on the
    test server; each stays on loopback and fails the test on an uncaught script error."""
    contexts, errors = [], []
    elsewhere = re.compile(rf"^(?!{re.escape(server.url)}/)[a-z]+://")

    def make(**options):
        settings = {
            "base_url": server.url, "viewport": DESKTOP, "locale": "fr-FR",
            "timezone_id": "Europe/Paris", "reduced_motion": "reduce", **options,
        }
        context = browser.new_context(**settings)
        context.set_default_timeout(10_000)
        # Nothing leaves the machine (the theme asks GitHub for the repository's stars).
        context.route(elsewhere, lambda route: route.abort("blockedbyclient"))
        serve_axe(context, server.url)
        context.on("page", lambda page: watch(page, errors))
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    assert not errors, "script errors or blocked content in the pages:\n" + "\n".join(errors)


@pytest.fixture
def page(new_context):
    return new_context().new_page()
