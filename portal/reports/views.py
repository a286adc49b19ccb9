"""The /admin area: PMO reports as pages with charts, and CSV exports. PMO only."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import quote, urlencode

from flask import Blueprint, abort, current_app, request
from werkzeug.exceptions import BadRequest

from portal import db
from portal.accounts.current import pmo_required
from portal.shell import render_page

from .catalog import PAGES, REPORTS
from .csv_export import to_csv
from .queries import Filters

bp = Blueprint("reports", __name__, url_prefix="/admin")

EARLIEST = dt.date(2000, 1, 1)


class FilterError(BadRequest):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.portal_message = message


def _catalog():
    return current_app.extensions["portal.quizzes"].current()


def _date(name: str) -> dt.date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        value = dt.date.fromisoformat(raw)
    except ValueError:
        raise FilterError(f"« {name} » doit être une date au format AAAA-MM-JJ, pas « {raw[:20]} ».") from None
    latest = dt.date.today() + dt.timedelta(days=366)
    if not EARLIEST <= value <= latest:
        raise FilterError(f"« {name} » doit être comprise entre {EARLIEST.isoformat()} et {latest.isoformat()}.")
    return value


def parse_filters() -> Filters:
    catalog = _catalog()
    filters = Filters(start=_date("du"), end=_date("au"))
    if filters.start and filters.end and filters.start > filters.end:
        raise FilterError("La date de début (« du ») doit précéder la date de fin (« au »).")
    team = request.args.get("equipe", "").strip()
    if len(team) > 120:
        raise FilterError("« equipe » : 120 caractères au plus.")
    filters.team = team or None
    path = request.args.get("parcours", "").strip()
    if path and path not in catalog.paths:
        raise FilterError(f"Parcours inconnu : « {path[:60]} ».")
    filters.path = path or None
    quiz = request.args.get("quiz", "").strip()
    if quiz and quiz not in catalog.quizzes:
        raise FilterError(f"Quiz inconnu : « {quiz[:60]} ».")
    filters.quiz = quiz or None
    return filters


def _rows(name: str, filters: Filters):
    report = REPORTS[name]
    repo_url = current_app.config.get("PORTAL_REPO_URL", "")
    return report.build(db.session(), _catalog(), filters, repo_url)


def _teams() -> list[str]:
    import sqlalchemy as sa

    from portal.accounts.models import User

    query = sa.select(User.team).where(User.team.is_not(None)).distinct().order_by(User.team)
    return list(db.session().scalars(query))


def issue_url(query: str) -> str:
    repo = current_app.config.get("PORTAL_REPO_URL", "")
    title = f"Nouvelle page : {query}"
    body = (f"Des lecteurs ont cherché « {query} » sans trouver de réponse.\n\n"
            "Page à écrire ou à compléter : …\nResponsable proposé : …")
    query = urlencode({"title": title, "body": body, "labels": "contenu"}, quote_via=quote)
    return f"{repo.rstrip('/')}/issues/new?{query}"


def _charts(page: str, tables: dict) -> dict:
    if page == "formation":
        rows = tables["completion-equipes"]
        paths = sorted({r["parcours"] for r in rows})
        return {"completion": {"type": "bar", "labels": paths, "stacked": True, "datasets": [
            {"label": "Terminés", "data": [sum(r["termines"] for r in rows if r["parcours"] == p) for p in paths]},
            {"label": "En cours", "data": [sum(r["en_cours"] for r in rows if r["parcours"] == p) for p in paths]},
        ]}}
    if page == "quiz":
        rows = tables["distribution-scores"]
        return {"scores": {"type": "bar", "labels": [r["tranche"] for r in rows],
                           "datasets": [{"label": "Tentatives", "data": [r["tentatives"] for r in rows]}]}}
    if page == "contenu":
        rows = tables["lectures"]
        return {"lectures": {"type": "line", "labels": [r["mois"] for r in rows],
                             "datasets": [{"label": "Pages lues", "data": [r["lectures"] for r in rows]}]}}
    return {}


@bp.get("/")
@pmo_required
def overview():
    return render_page("reports/overview.html", "Espace PMO", pages=PAGES, reports=REPORTS)


@bp.get("/<page>")
@pmo_required
def report_page(page: str):
    if page not in PAGES:
        abort(404)
    title, names = PAGES[page]
    filters = parse_filters()
    tables = {name: _rows(name, filters) for name in names}
    query = request.query_string.decode()[:500]
    return render_page(
        "reports/page.html", f"Espace PMO : {title}", page=page, page_title=title, names=names,
        reports=REPORTS, tables=tables, filters=filters, query=query, pages=PAGES,
        catalog=_catalog(), teams=_teams(), charts=json.dumps(_charts(page, tables), ensure_ascii=False)
        .replace("<", "\\u003c"), issue_url=issue_url,
    )


@bp.get("/reports/<name>.csv")
@pmo_required
def report_csv(name: str):
    report = REPORTS.get(name)
    if report is None:
        abort(404)
    rows = _rows(name, parse_filters())
    filename = f"{name}-{dt.date.today().isoformat()}.csv"
    return to_csv(report.columns, rows), 200, {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{filename}"',
    }


@bp.app_template_filter("fr")
def french_number(value):
    """Decimal comma for the tables (1,5 not 1.5); other values unchanged."""
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    return value


def init_app(app) -> None:
    app.register_blueprint(bp)
