"""Security headers on static pages, portal pages and the API; a CSP the pages work under."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest


@pytest.mark.parametrize("url", ["/", "/guides/guide/", "/search?q=guide", "/api/health", "/login", "/nulle/part/"])
def test_every_response_carries_security_headers(client, url):
    response = client.get(url)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0]


def test_every_inline_script_of_the_site_is_allowed_by_hash(client, built_settings):
    csp = client.get("/").headers["Content-Security-Policy"]
    site = built_settings.site_dir
    scripts = set()
    for page in site.rglob("*.html"):
        for attrs, body in re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", page.read_text(), re.S):
            if "application/json" not in attrs:
                scripts.add(base64.b64encode(hashlib.sha256(body.encode()).digest()).decode())
    assert scripts
    for digest in scripts:
        assert f"'sha256-{digest}'" in csp


def test_portal_pages_add_no_unhashed_inline_script(client):
    for url in ["/login", "/register", "/search?q=guide", "/quiz/essentiel"]:
        html = client.get(url).get_data(as_text=True)
        csp = client.get(url).headers["Content-Security-Policy"]
        for attrs, body in re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", html, re.S):
            if "application/json" in attrs:
                continue
            digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in csp, url
