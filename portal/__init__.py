"""PMO community portal: `create_app(settings)` builds the WSGI application."""

from __future__ import annotations

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from portal.config import Settings


class HtmlSafeJSONProvider(DefaultJSONProvider):
    """JSON with <, > and & escaped, so no response can be read as markup."""

    ensure_ascii = False

    def dumps(self, obj, **kwargs) -> str:
        text = super().dumps(obj, **kwargs)
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings()
    Flask.json_provider_class = HtmlSafeJSONProvider
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.resolved_secret_key(),
        PORTAL=settings,
        MAX_CONTENT_LENGTH=256 * 1024,
        TESTING=settings.testing,
    )

    from portal import db, errors, site_files, views
    from portal.db import make_engine
    from portal.search import views as search_views

    db.init_app(app, make_engine(settings.database_url))
    errors.init_app(app)
    app.register_blueprint(views.bp)
    search_views.init_app(app)
    app.wsgi_app = site_files.SiteFiles(app.wsgi_app, settings.var_dir)
    return app
