"""`GET /api/search` and `GET /search`: parse, call the query module, render."""

from __future__ import annotations

import time
from dataclasses import asdict

from flask import Blueprint, current_app, jsonify, redirect, request
from werkzeug.exceptions import BadRequest

from portal import db
from portal.accounts.current import current_user_id
from portal.limits import limiter
from portal.shell import render_page

from .log import log_click, log_query
from .query import MAX_QUERY_LENGTH, Results, SearchEngine

bp = Blueprint("search", __name__)

TYPE_LABELS = {
    "guide": "Guide",
    "template": "Modèle",
    "glossary": "Glossaire",
    "podcast": "Podcast",
    "talent": "Talent",
    "hub": "Rubrique",
    "quiz": "Quiz",
}
MAX_LIMIT = 50
MAX_PAGE = 100


class SearchInputError(BadRequest):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.portal_message = message


def engine() -> SearchEngine:
    return current_app.extensions["portal.search"]


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SearchInputError(f"« {name} » doit être un nombre entier.") from None
    if not low <= value <= high:
        raise SearchInputError(f"« {name} » doit être compris entre {low} et {high}.")
    return value


def _list_arg(name: str, allowed: set[str] | None = None) -> list[str]:
    values = [v for raw in request.args.getlist(name) for v in raw.split(",") if v.strip()]
    if allowed is not None:
        unknown = [v for v in values if v not in allowed]
        if unknown:
            raise SearchInputError(f"« {name} » inconnu : {unknown[0][:40]}.")
    return values


def run_search(require_query: bool) -> tuple[str, Results | None, dict]:
    """(query, results, parameters); `parameters["logged"]` is the log row's id, if any."""
    q = request.args.get("q", "")
    q = "".join(ch for ch in q if ch.isprintable() or ch == " ").strip()
    if len(q) > MAX_QUERY_LENGTH:
        raise SearchInputError(
            f"La recherche est trop longue ({len(q)} caractères, {MAX_QUERY_LENGTH} au plus)."
        )
    if not q:
        if require_query:
            raise SearchInputError("La recherche est vide : saisissez au moins un mot.")
        return q, None, {}
    params = {
        "limit": _int_arg("limit", 10, 1, MAX_LIMIT),
        "page": _int_arg("page", 1, 1, MAX_PAGE),
        "types": _list_arg("type", set(TYPE_LABELS)),
        "sections": _list_arg("section"),
        "prefix": request.args.get("prefix") in {"1", "true"},
    }
    searcher = engine().current()
    if searcher is None:
        return q, Results(q, 0), params
    started = time.perf_counter()
    results = searcher.search(q, **params)
    took = (time.perf_counter() - started) * 1000
    if not params["prefix"] and params["page"] == 1:
        params["logged"] = log_query(db.session(), q, results.total, took, current_user_id())
    return q, results, params


@bp.get("/api/search")
@limiter.limit("300/minute")
def api_search():
    q, results, _params = run_search(require_query=True)
    assert results is not None
    return jsonify(
        {
            "query": q,
            "total": results.total,
            "results": [
                {
                    "title": h.title,
                    "url": h.url,
                    "section": h.section,
                    "type": h.type,
                    "snippet": h.snippet,
                    "score": h.score,
                    "breadcrumb": h.crumbs,
                }
                for h in results.hits
            ],
            "suggestion": results.suggestion,
        }
    )


@bp.get("/search")
def search_page():
    try:
        q, results, params = run_search(require_query=False)
        error = None
    except SearchInputError as exc:
        q, results, params, error = request.args.get("q", "")[:100], None, {}, exc.portal_message
    searcher = engine().current()
    sections = sorted(searcher.searcher.lexicon("top")) if searcher else []
    title = f"Recherche : {q}" if q else "Recherche"
    html = render_page(
        "search/results.html",
        title,
        q=q,
        results=results,
        hits=[asdict(h) for h in results.hits] if results else [],
        params=params,
        error=error,
        type_labels=TYPE_LABELS,
        sections=[s.decode() if isinstance(s, bytes) else s for s in sections if s],
    )
    return html, 400 if error else 200


@bp.get("/search/ouvrir")
def open_result():
    """Records which result a reader opened, then goes there (works without JavaScript)."""
    url = request.args.get("url", "")
    if not url.startswith("/") or url.startswith("//") or "\\" in url or len(url) > 500:
        raise SearchInputError("Adresse de résultat invalide.")
    try:
        query_id = int(request.args.get("requete", ""))
    except ValueError:
        query_id = None
    if query_id is not None:
        log_click(db.session(), query_id, url)
    return redirect(url, 302)


def init_app(app) -> None:
    app.extensions["portal.search"] = SearchEngine(app.config["PORTAL"].var_dir)
    app.register_blueprint(bp)
