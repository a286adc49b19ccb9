"""Report aggregations, done in SQL with the indexes they need; never row by row.

Each function takes a session, the catalogue and validated `Filters`, and returns
plain rows (dicts) in display order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from portal.accounts.models import User
from portal.learning.item_stats import catch_up_item_stats
from portal.learning.models import Attempt, ChoicePicksDaily, ItemStatsDaily, PageRead, PathEnrollment
from portal.learning.progress import step_states
from portal.learning.quizzes import Catalog
from portal.search.models import SearchClick, SearchQuery

from .items import ItemSums, discrimination, facility, review_reasons

STUCK_DAYS = 30


@dataclass
class Filters:
    team: str | None = None
    path: str | None = None
    quiz: str | None = None
    start: dt.date | None = None  # inclusive
    end: dt.date | None = None  # inclusive

    def window(self, column):
        clauses = []
        if self.start:
            clauses.append(column >= dt.datetime.combine(self.start, dt.time.min))
        if self.end:
            clauses.append(column < dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min))
        return clauses

    def days(self, column):
        """The window on a DATE column (the daily sums' day)."""
        return ([column >= self.start] if self.start else []) + ([column <= self.end] if self.end else [])


def month_of(session: orm.Session, column):
    if session.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(column, "YYYY-MM")
    return sa.func.strftime("%Y-%m", column)


def _decimal(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def _rate(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


# -- completion ------------------------------------------------------------------------------
def _completion(session, catalog: Catalog, filters: Filters, group, label: str) -> list[dict[str, Any]]:
    completed = sa.func.count(PathEnrollment.completed_at)
    query = (
        sa.select(PathEnrollment.path_id, group.label("groupe"), sa.func.count().label("inscrits"),
                  completed.label("termines"))
        .join(User, User.id == PathEnrollment.user_id)
        .group_by(PathEnrollment.path_id, group)
        .order_by(PathEnrollment.path_id, group)
    )
    if filters.path:
        query = query.where(PathEnrollment.path_id == filters.path)
    if filters.team:
        query = query.where(User.team == filters.team)
    query = query.where(*filters.window(User.created_at))
    rows = []
    for path_id, groupe, enrolled, done in session.execute(query):
        path = catalog.paths.get(path_id)
        rows.append({
            "parcours": path.title if path else path_id, label: groupe or "(sans équipe)",
            "inscrits": enrolled, "en_cours": enrolled - done, "termines": done,
            "taux": _rate(done, enrolled),
        })
    return rows


def completion_by_team(session, catalog, filters):
    return _completion(session, catalog, filters, User.team, "equipe")


def completion_by_month(session, catalog, filters):
    return _completion(session, catalog, filters, month_of(session, User.created_at), "mois_arrivee")


def stuck_learners(session, catalog: Catalog, filters: Filters, today: dt.datetime | None = None):
    """Learners in a path, not done, with no activity for more than 30 days."""
    now = today or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    limit = now - dt.timedelta(days=STUCK_DAYS)
    last_read = (sa.select(PageRead.user_id, sa.func.max(PageRead.read_at).label("t"))
                 .group_by(PageRead.user_id).subquery())
    last_try = (sa.select(Attempt.user_id, sa.func.max(Attempt.submitted_at).label("t"))
                .group_by(Attempt.user_id).subquery())
    started = PathEnrollment.started_at
    moments = [sa.func.coalesce(last_read.c.t, started), sa.func.coalesce(last_try.c.t, started), started]
    # SQLite's scalar max() is PostgreSQL's greatest().
    latest = sa.func.max if session.get_bind().dialect.name == "sqlite" else sa.func.greatest
    activity = latest(*moments)
    query = (
        sa.select(User.id, User.name, User.email, User.team, PathEnrollment.path_id,
                  activity.label("derniere_activite"))
        .join(User, User.id == PathEnrollment.user_id)
        .outerjoin(last_read, last_read.c.user_id == User.id)
        .outerjoin(last_try, last_try.c.user_id == User.id)
        .where(PathEnrollment.completed_at.is_(None), activity < limit)
        .order_by(activity)
        .limit(500)
    )
    if filters.path:
        query = query.where(PathEnrollment.path_id == filters.path)
    if filters.team:
        query = query.where(User.team == filters.team)
    found = session.execute(query).all()
    if not found:
        return []
    user_ids = {r.id for r in found}
    pages: dict[int, set[str]] = {}
    for user_id, page in session.execute(
        sa.select(PageRead.user_id, PageRead.page).where(PageRead.user_id.in_(user_ids))
    ):
        pages.setdefault(user_id, set()).add(page)
    passed: dict[int, set[str]] = {}
    for user_id, quiz_id in session.execute(
        sa.select(Attempt.user_id, Attempt.quiz_id).where(Attempt.user_id.in_(user_ids), Attempt.passed)
        .distinct()
    ):
        passed.setdefault(user_id, set()).add(quiz_id)
    rows = []
    for r in found:
        path = catalog.paths.get(r.path_id)
        step = "—"
        if path is not None:
            states = step_states(catalog, path, pages.get(r.id, set()), passed.get(r.id, set()))
            pending = next((s for s in states if not s.done), None)
            if pending is not None:
                step = f"{states.index(pending) + 1}. {pending.title}"
        last = r.derniere_activite
        rows.append({
            "apprenant": r.name, "email": r.email, "equipe": r.team or "(sans équipe)",
            "parcours": path.title if path else r.path_id, "etape": step,
            "derniere_activite": last.date().isoformat() if hasattr(last, "date") else str(last)[:10],
            "jours": (now - last).days if hasattr(last, "date") else None,
        })
    return rows


# -- quizzes ------------------------------------------------------------------------------------
def quiz_stats(session, catalog: Catalog, filters: Filters):
    window = filters.window(Attempt.submitted_at)
    query = (
        sa.select(Attempt.quiz_id, sa.func.count().label("n"),
                  sa.func.sum(sa.case((Attempt.passed, 1), else_=0)).label("reussies"),
                  sa.func.avg(Attempt.percent).label("moyenne"))
        .where(*window).group_by(Attempt.quiz_id).order_by(Attempt.quiz_id)
    )
    if filters.quiz:
        query = query.where(Attempt.quiz_id == filters.quiz)
    if filters.team:
        query = query.join(User, User.id == Attempt.user_id).where(User.team == filters.team)
    rows = []
    for quiz_id, n, passed, mean in session.execute(query):
        quiz = catalog.quizzes.get(quiz_id)
        rows.append({
            "quiz": quiz.title if quiz else quiz_id, "quiz_id": quiz_id, "tentatives": n,
            "taux_reussite": _rate(passed or 0, n), "moyenne": round(float(mean or 0), 1),
            "mediane": _median(session, quiz_id, filters, n),
            "tentatives_pour_reussir": _attempts_to_pass(session, quiz_id, filters),
        })
    return rows


def _median(session, quiz_id: str, filters: Filters, n: int) -> float:
    base = sa.select(Attempt.percent).where(Attempt.quiz_id == quiz_id, *filters.window(Attempt.submitted_at))
    if filters.team:
        base = base.join(User, User.id == Attempt.user_id).where(User.team == filters.team)
    base = base.order_by(Attempt.percent)
    middle = session.scalars(base.offset((n - 1) // 2).limit(2 - n % 2)).all()
    return round(sum(middle) / len(middle), 1) if middle else 0.0


def _attempts_to_pass(session, quiz_id: str, filters: Filters) -> float | None:
    """Mean rank of each learner's first passing attempt (a window function, one pass)."""
    rank = sa.func.row_number().over(
        partition_by=Attempt.user_id, order_by=(Attempt.submitted_at, Attempt.id)
    )
    ranked = sa.select(Attempt.user_id, Attempt.passed, rank.label("n")).where(Attempt.quiz_id == quiz_id)
    if filters.team:
        ranked = ranked.join(User, User.id == Attempt.user_id).where(User.team == filters.team)
    ranked = ranked.subquery()
    first = (sa.select(sa.func.min(ranked.c.n).label("k")).where(ranked.c.passed)
             .group_by(ranked.c.user_id).subquery())
    mean = session.scalar(sa.select(sa.func.avg(first.c.k)))
    return round(float(mean), 2) if mean is not None else None


def score_distribution(session, filters: Filters) -> list[dict[str, Any]]:
    bucket = sa.func.floor(Attempt.percent / 10)
    query = (sa.select(bucket.label("b"), sa.func.count()).where(*filters.window(Attempt.submitted_at))
             .group_by(bucket).order_by(bucket))
    if filters.quiz:
        query = query.where(Attempt.quiz_id == filters.quiz)
    counts = {int(b): n for b, n in session.execute(query)}
    counts[9] = counts.get(9, 0) + counts.pop(10, 0)  # 100 % goes with 90–99 %
    return [{"tranche": f"{10 * b}–{10 * b + 9 if b < 9 else 100} %", "tentatives": counts.get(b, 0)}
            for b in range(10)]


# -- questions (item analysis) -----------------------------------------------------------------------
# Read from the daily sums of portal.learning.item_stats, first brought up to date with the
# attempts recorded since the last report: a few rows per question and day, never the
# answers themselves.
def item_analysis(session, catalog: Catalog, filters: Filters, repo_url: str = ""):
    if catch_up_item_stats(session.connection()):
        session.commit()
    d = ItemStatsDaily
    query = (
        sa.select(d.quiz_id, d.question_id, sa.func.sum(d.n), sa.func.max(d.max_mark), sa.func.sum(d.sum_x),
                  sa.func.sum(d.sum_x2), sa.func.sum(d.sum_y), sa.func.sum(d.sum_y2), sa.func.sum(d.sum_xy),
                  sa.func.sum(d.n_choice_answers))
        .where(*filters.days(d.day))
        .group_by(d.quiz_id, d.question_id)
        .order_by(d.quiz_id, d.question_id)
    )
    if filters.quiz:
        query = query.where(d.quiz_id == filters.quiz)
    found = session.execute(query).all()
    wrong = wrong_choice_shares(session, filters, {(r[0], r[1]): r[-1] for r in found})
    rows = []
    for quiz_id, qid, n, max_mark, sx, sx2, sy, sy2, sxy, _listed in found:
        sums = ItemSums(int(n), float(max_mark or 1), float(sx or 0), float(sx2 or 0), float(sy or 0),
                        float(sy2 or 0), float(sxy or 0))
        fac, disc = facility(sums), discrimination(sums)
        quiz = catalog.quizzes.get(quiz_id)
        question = quiz.question(qid) if quiz else None
        shares = wrong.get((quiz_id, qid), {})
        rows.append({
            "quiz": quiz_id, "question": qid, "reponses": int(n),
            "facilite": round(fac, 3) if fac is not None else None,
            "discrimination": round(disc, 3) if disc is not None else None,
            "mauvais_choix": ", ".join(f"{c}\u00a0: {_decimal(s)}\u00a0%" for c, s in shares.items()),
            "a_revoir": ", ".join(review_reasons(fac, disc)),
            "enonce": (question or {}).get("prompt", "")[:160],
            "fichier": f"{repo_url.rstrip('/')}/blob/main/quizzes/{quiz_id}.yml" if repo_url else "",
        })
    rows.sort(key=lambda r: (r["a_revoir"] == "", r["quiz"], r["question"]))
    return rows


def wrong_choice_shares(session, filters: Filters, total: dict[tuple[str, str], int],
                        ) -> dict[tuple[str, str], dict[str, float]]:
    """Share (%) of the answers given as choices to a question that picked each wrong choice;
    `total` is that number of answers per (quiz, question), from the item sums."""
    p = ChoicePicksDaily
    picks = (sa.select(p.quiz_id, p.question_id, p.choice, sa.func.sum(p.n))
             .where(*filters.days(p.day)).group_by(p.quiz_id, p.question_id, p.choice))
    if filters.quiz:
        picks = picks.where(p.quiz_id == filters.quiz)
    shares: dict[tuple[str, str], dict[str, float]] = {}
    # Choices in code-point order, whatever the database's collation.
    for quiz_id, qid, choice, n in sorted(session.execute(picks)):
        key = (quiz_id, qid)
        if total.get(key):
            shares.setdefault(key, {})[choice] = round(100 * n / total[key], 1)
    return shares


# -- search gaps ----------------------------------------------------------------------------------------
def top_queries(session, filters: Filters, limit: int = 100):
    query = (sa.select(SearchQuery.normalized, sa.func.count().label("n"),
                       sa.func.avg(SearchQuery.results).label("r"), sa.func.min(SearchQuery.query))
             .where(*filters.window(SearchQuery.created_at), SearchQuery.normalized != "")
             .group_by(SearchQuery.normalized).order_by(sa.desc("n"), SearchQuery.normalized).limit(limit))
    return [{"requete": norm, "exemple": sample, "recherches": n, "resultats_moyens": round(float(r or 0), 1)}
            for norm, n, r, sample in session.execute(query)]


def zero_result_queries(session, filters: Filters, limit: int = 200):
    query = (sa.select(SearchQuery.normalized, sa.func.count().label("n"), sa.func.min(SearchQuery.query),
                       sa.func.max(SearchQuery.created_at))
             .where(SearchQuery.results == 0, SearchQuery.normalized != "",
                    *filters.window(SearchQuery.created_at))
             .group_by(SearchQuery.normalized).order_by(sa.desc("n"), SearchQuery.normalized).limit(limit))
    return [{"requete": norm, "exemple": sample, "recherches": n, "derniere": str(last)[:10]}
            for norm, n, sample, last in session.execute(query)]


def unopened_queries(session, filters: Filters, limit: int = 200):
    clicked = sa.select(SearchClick.query_id)
    query = (sa.select(SearchQuery.normalized, sa.func.count().label("n"), sa.func.min(SearchQuery.query),
                       sa.func.avg(SearchQuery.results))
             .where(SearchQuery.results > 0, SearchQuery.normalized != "", ~SearchQuery.id.in_(clicked),
                    *filters.window(SearchQuery.created_at))
             .group_by(SearchQuery.normalized).order_by(sa.desc("n"), SearchQuery.normalized).limit(limit))
    return [{"requete": norm, "exemple": sample, "recherches": n, "resultats_moyens": round(float(r or 0), 1)}
            for norm, n, sample, r in session.execute(query)]


# -- content -------------------------------------------------------------------------------------------
def freshness(catalog: Catalog, today: dt.date | None = None):
    today = today or dt.date.today()
    rows = []
    for page in catalog.pages:
        due = dt.date.fromisoformat(page["next_review"]) if page.get("next_review") else None
        rows.append({
            "page": page["title"], "type": "Guide" if page["type"] == "guide" else "Modèle",
            "responsable": page["owner_name"], "derniere_revue": page.get("reviewed") or "",
            "prochaine_revue": page.get("next_review") or "",
            "etat": "à revoir" if due and due < today else "à jour",
            "url": page["url"], "fichier": page["src"],
        })
    rows.sort(key=lambda r: (r["etat"] != "à revoir", r["prochaine_revue"], r["page"]))
    return rows


def pages_read_by_month(session, filters: Filters):
    month = month_of(session, PageRead.read_at)
    query = (sa.select(month.label("m"), sa.func.count(), sa.func.count(sa.distinct(PageRead.user_id)))
             .where(*filters.window(PageRead.read_at)).group_by(month).order_by(month))
    if filters.team:
        query = query.join(User, User.id == PageRead.user_id).where(User.team == filters.team)
    return [{"mois": m, "lectures": n, "lecteurs": readers} for m, n, readers in session.execute(query)]
