"""PMO community portal: `create_app(settings)` builds the WSGI application."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, current_app, request
from flask_wtf.csrf import CSRFProtect

from portal.config import Settings
from portal.cookie_session import CookieSessionInterface
from portal.json_provider import HtmlSafeJSONProvider

# The bodies werkzeug parses into `request.form`; any other body has no form fields.
FORM_MIMETYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


class PortalCSRFProtect(CSRFProtect):
    """Flask-WTF's CSRF protection, which looks for the token in the form fields first,
    then in the headers. A JSON submission has no form fields: its token is read from
    its header (`X-CSRFToken`) without having werkzeug parse the form first: 6–7 µs
    instead of 25–41 µs per quiz submission. Same tokens, same checks, same answer
    when one is missing."""

    def _get_csrf_token(self):
        if request.mimetype in FORM_MIMETYPES:
            return super()._get_csrf_token()
        for header in current_app.config["WTF_CSRF_HEADERS"]:
            token = request.headers.get(header)
            if token:
                return token
        return None


csrf = PortalCSRFProtect()


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings()
    Flask.json_provider_class = HtmlSafeJSONProvider
    app = Flask(__name__)
    app.session_interface = CookieSessionInterface()
    app.config["PORTAL_REPO_URL"] = settings.repo_url
    app.config.update(
        SECRET_KEY=settings.resolved_secret_key(),
        PORTAL=settings,
        MAX_CONTENT_LENGTH=256 * 1024,
        TESTING=settings.testing,
        SESSION_COOKIE_NAME="portail_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours),
        WTF_CSRF_TIME_LIMIT=None,  # tokens live as long as the session
        WTF_CSRF_SSL_STRICT=False,  # same-origin checks are done by SameSite cookies
    )

    from portal import db, errors, limits, openapi, security, site_files, views
    from portal.accounts import views as account_views
    from portal.db import make_engine
    from portal.learning import views as learning_views
    from portal.reports import views as report_views
    from portal.search import views as search_views

    db.init_app(app, make_engine(settings.database_url))
    csrf.init_app(app)
    limits.init_app(app)
    errors.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(account_views.bp)
    search_views.init_app(app)
    learning_views.init_app(app)
    report_views.init_app(app)
    files = site_files.SiteFiles(app.wsgi_app, settings.var_dir, https=settings.secure_cookies)
    app.wsgi_app = files

    @app.after_request
    def security_headers(response):
        files.current()  # keeps the policy in step with the generation in service
        for name, value in security.headers(files.csp, settings.secure_cookies).items():
            response.headers.setdefault(name, value)
        return response

    return app
