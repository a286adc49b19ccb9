"""Rate limits (Flask-Limiter): in memory by default, Redis for several hosts."""

from __future__ import annotations

from flask import Flask, jsonify, request
from flask_limiter import Limiter

from portal.shell import render_page


def _client_address() -> str:
    from portal.accounts.current import client_address

    return client_address()


# Per-address limits count the reader's address, not the reverse proxy's.
limiter = Limiter(key_func=_client_address, default_limits=[], headers_enabled=True)

TOO_MANY = "Trop de tentatives : patientez une minute avant de réessayer."


def init_app(app: Flask) -> None:
    app.config["RATELIMIT_STORAGE_URI"] = app.config["PORTAL"].ratelimit_storage_url
    app.config["RATELIMIT_ENABLED"] = app.config["PORTAL"].rate_limits
    limiter.init_app(app)

    @app.errorhandler(429)
    def too_many(_exc):
        if request.path.startswith("/api/"):
            return jsonify({"error": TOO_MANY}), 429
        return render_page("error.html", "Trop de tentatives", message=TOO_MANY), 429
