"""Error responses in French: JSON `{"error": …}` under /api/, site pages elsewhere.

No stack trace ever reaches a reader; unexpected errors are logged server-side.
"""

from __future__ import annotations

from flask import Flask, current_app, jsonify, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal.build.generations import current_generation
from portal.shell import NO_BUILD_HTML, render_page

MESSAGES = {
    400: "Requête invalide.",
    401: "Authentification requise.",
    403: "Accès refusé.",
    404: "Page introuvable.",
    405: "Méthode non autorisée pour cette adresse.",
    409: "Conflit avec l'état actuel.",
    413: "Requête trop volumineuse.",
    415: "Type de contenu non pris en charge.",
    429: "Trop de tentatives : réessayez dans une minute.",
    500: "Erreur interne : l'équipe du portail a été prévenue.",
    503: "Service momentanément indisponible.",
}

NO_BUILD_MESSAGE = (
    "<h1>Le site n'est pas encore construit</h1>"
    "<p>Le portail fonctionne, mais aucun site n'a été construit sur cette machine. "
    "Lancez <code>pmo-portal build</code> (ou <code>make run</code>, qui le fait pour vous), "
    "puis rechargez cette page.</p>"
)


def wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


def json_error(status: int, message: str | None = None):
    response = jsonify({"error": message or MESSAGES.get(status, "Erreur.")})
    response.status_code = status
    return response


def _not_found_page():
    var_dir = current_app.config["PORTAL"].var_dir
    generation = current_generation(var_dir)
    if generation is None:
        html = NO_BUILD_HTML.format(title="Site non construit", content=NO_BUILD_MESSAGE)
        return html, 503, {"Content-Type": "text/html; charset=utf-8"}
    page = generation / "site" / "404.html"
    if page.is_file():
        return page.read_text(encoding="utf-8"), 404, {"Content-Type": "text/html; charset=utf-8"}
    return render_page("error.html", "Page introuvable", message=MESSAGES[404]), 404


def handle_http_error(exc: HTTPException):
    status = exc.code or 500
    description = getattr(exc, "portal_message", None)
    if wants_json():
        return json_error(status, description)
    if status == 404:
        return _not_found_page()
    title = MESSAGES.get(status, "Erreur")
    return render_page("error.html", title, message=description or title), status


def handle_unexpected(exc: Exception):
    current_app.logger.exception("Unhandled error on %s", request.path)
    if wants_json():
        return json_error(500)
    return render_page("error.html", "Erreur interne", message=MESSAGES[500]), 500


def handle_csrf_error(exc: CSRFError):
    message = (
        "Jeton de sécurité (CSRF) manquant ou expiré : rechargez la page et recommencez."
    )
    if wants_json():
        return json_error(400, message)
    return render_page("error.html", "Formulaire expiré", message=message), 400


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
