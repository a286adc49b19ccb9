"""PMO community portal: `create_app(settings)` builds the WSGI application."""

from __future__ import annotations

from flask import Flask

from portal.config import Settings


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.resolved_secret_key(),
        PORTAL=settings,
        MAX_CONTENT_LENGTH=256 * 1024,
        JSON_AS_ASCII=False,
        TESTING=settings.testing,
    )
    app.json.ensure_ascii = False

    from portal import db, errors, site_files, views
    from portal.db import make_engine

    db.init_app(app, make_engine(settings.database_url))
    errors.init_app(app)
    app.register_blueprint(views.bp)
    app.wsgi_app = site_files.SiteFiles(app.wsgi_app, settings.var_dir)
    return app
