"""Routes of the portal itself that belong to no feature: health."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from portal import db

bp = Blueprint("core", __name__)


@bp.get("/api/health")
def health():
    engine = current_app.extensions["portal.engine"]
    database_ok = db.database_ok(engine)
    searcher = current_app.extensions["portal.search"].current()
    catalog = current_app.extensions.get("portal.quizzes")
    body = {
        "status": "ok" if database_ok else "degraded",
        "documents": searcher.documents if searcher else 0,
        "quizzes": len(catalog.current().quizzes) if catalog else 0,
        "database": "ok" if database_ok else "indisponible",
    }
    return jsonify(body), 200 if database_ok else 503
