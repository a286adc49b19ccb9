"""Reports benchmark: the PMO's /admin pages and CSV exports on a seeded database.

    .venv/bin/python benchmarks/reports.py            # 10 000 learners, 100 000 attempts
    .venv/bin/python benchmarks/reports.py --quick    # 1 000 learners, 10 000 attempts
    .venv/bin/python benchmarks/reports.py --learners 20000 --attempts 300000

It seeds a SQLite file (and PostgreSQL too when PORTAL_TEST_DATABASE_URL is set:
its public schema is dropped and created again) with learners in teams, path
enrollments, quiz attempts and their answers, pages read, searches and clicks;
builds the shipped site once with the project pipeline (for the quiz catalogue);
then signs in a PMO through the real app and times every report page and every
CSV export through Flask's test client. Goal: every report under 1 s.

Every attempt answers every question of its quiz, as the portal requires (the
shipped quizzes have 12 questions each, so 100 000 attempts give 1 200 000
answers). It prints figures and asserts nothing. Everything is written to a
temporary folder, removed at the end (unless --keep). See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import hashlib
import logging
import math
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from machine import machine  # benchmarks/machine.py, beside this script
from sqlalchemy import orm

from portal import create_app
from portal.accounts.models import User
from portal.accounts.service import create_user
from portal.build.pipeline import build
from portal.config import PROJECT_ROOT, Settings
from portal.db import make_engine, session_scope
from portal.learning.item_stats import rebuild_item_stats
from portal.learning.models import (
    Answer,
    Attempt,
    Certificate,
    ChoicePicksDaily,
    ItemStatsDaily,
    PageRead,
    PathEnrollment,
)
from portal.learning.quizzes import Catalog, Quiz, load_catalog, page_url, reference_url
from portal.learning.scoring import expected_answer, grade_question
from portal.migrations import upgrade
from portal.reports import queries
from portal.reports.catalog import PAGES, REPORTS
from portal.search.analysis import fold, normalize_query
from portal.search.models import SearchClick, SearchQuery

GOAL_MS = 1000.0
BATCH = 10_000
TEAM_COUNT = 50
MONTHS = 24
SEARCHES_PER_LEARNER = 5  # 50 000 searches for 10 000 learners
PMO_EMAIL = "pmo.bench@exemple.fr"
PMO_PASSWORD = "Cadre-Strategique-2026"
PATH_ODDS = {"nouvel-arrivant": 0.85, "pilotage": 0.40, "contributeur": 0.25}
# Parents before children: a flush inserts the tables in this order.
TABLES = [User.__table__, PathEnrollment.__table__, Certificate.__table__, Attempt.__table__,
          Answer.__table__, PageRead.__table__, SearchQuery.__table__, SearchClick.__table__]


# -- small helpers -------------------------------------------------------------------------


def log(message: str = "") -> None:
    print(message, flush=True)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def ms_since(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_average() -> str:
    with contextlib.suppress(OSError):
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    return "?"


def code_fingerprint() -> str:
    """The report code and schema measured (the figures belong to this version of them)."""
    digest = hashlib.sha1()
    files = sorted((PROJECT_ROOT / "portal" / "reports").glob("*.py"))
    files.append(PROJECT_ROOT / "portal" / "learning" / "item_stats.py")  # the daily sums they read
    files += sorted((PROJECT_ROOT / "portal" / "migrations" / "versions").glob("*.py"))
    for path in files:
        digest.update(path.read_bytes())
    return f"portal/reports + item_stats + migrations sha1 {digest.hexdigest()[:12]}"


def thousands(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


def seconds(value_ms: float) -> str:
    return f"{value_ms / 1000:.1f} s" if value_ms < 10_000 else f"{value_ms / 1000:.0f} s"


def ms(value: float) -> str:
    return f"{value:.0f} ms" if math.isfinite(value) else "stopped"


def one_line(sql: str, width: int = 150) -> str:
    text = " ".join(sql.split())
    return text if len(text) <= width else text[: width - 1] + "…"


# -- the seeded population -------------------------------------------------------------------

FIRST_NAMES = [
    "Léa", "Hugo", "Chloé", "Louis", "Emma", "Gabriel", "Manon", "Arthur", "Camille", "Jules",
    "Inès", "Raphaël", "Sarah", "Lucas", "Jade", "Adam", "Louise", "Nathan", "Zoé", "Théo",
    "Alice", "Paul", "Clara", "Tom", "Lina", "Maël", "Anna", "Noah", "Juliette", "Ethan",
    "Élodie", "Mathieu", "Sophie", "Nicolas", "Claire", "Julien", "Aurélie", "Thomas", "Émilie",
    "Antoine", "Céline", "François", "Hélène", "Olivier", "Isabelle", "Stéphane", "Nadia", "Karim",
]
LAST_NAMES = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Lefèvre", "Mercier", "Dupont", "Lambert",
    "Bonnet", "François", "Martinez", "Legrand", "Garnier", "Faure", "Rousseau", "Blanc",
    "Guérin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin", "Morin", "Mathieu", "Clément",
    "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin", "Benali", "Nguyen",
]
DEPARTMENTS = [
    "DSI", "Finance", "Achats", "RH", "Marketing", "Juridique", "Logistique", "Production",
    "Qualité", "R&D", "Commercial", "Communication", "Immobilier", "Sécurité", "Transformation",
]
SITES = ["Paris", "Lyon", "Nantes", "Lille", "Toulouse", "Bordeaux"]

KNOWN_TERMS = [
    "valeur acquise", "CPI", "SPI", "EAC", "TCPI", "gestion des risques", "registre des risques",
    "comité de pilotage", "COPIL", "rapport d'avancement", "météo projet", "jalons",
    "chemin critique", "plan de charge", "budget", "gouvernance", "cycle de vie", "cadrage",
    "note de cadrage", "charte projet", "RACI", "matrice RACI", "parties prenantes",
    "retour d'expérience", "compte rendu", "modèle de compte rendu", "revue de projet",
    "portefeuille", "priorisation", "arbitrage", "indicateurs", "KPI", "tableau de bord",
    "planning", "diagramme de Gantt", "WBS", "capacité", "ressources", "compétences",
    "nouvel arrivant", "parcours", "quiz", "certificat", "podcast", "glossaire",
    "standards documentaires", "contribuer", "communauté de pratique", "demande de changement",
    "escalade", "reporting", "agile", "scrum", "kanban", "bénéfices", "business case",
    "étude d'opportunité", "clôture projet", "bilan de projet", "PMO", "rôles du PMO", "sponsor",
    "chef de projet", "écart de coût", "prévision", "référentiel", "lancement projet",
]
MODIFIERS = ["", "", "", "", "modèle", "exemple", "définition", "calcul", "formule",
             "comment faire", "template", "2026", "fiche", "qui valide"]
GAP_TERMS = [
    "hydravion amphibie", "note de frais", "congés payés", "télétravail", "mutuelle",
    "badge parking", "cantine", "salaire", "prime annuelle", "wifi invité", "imprimante",
    "licence jira", "accès sharepoint", "réunion teams", "formation excel", "power bi",
    "licence ms project", "OKR", "PI planning", "earned schedule", "monte carlo", "prince2",
    "ITIL", "ISO 21502", "due diligence", "contrat fournisseur", "appel d'offres", "RGPD",
    "cybersécurité", "entretien annuel", "organigramme", "mobilité interne", "astreinte",
    "facture", "bon de commande", "SAFe", "lean six sigma", "design thinking", "OKR exemple",
    "matrice eisenhower", "pert", "burn down", "velocity", "story points", "mode projet hybride",
]


@dataclass
class Item:
    """One question with its simulation parameters (2PL: discrimination a, difficulty b)."""

    question: dict[str, Any]
    a: float
    b: float
    guess: float
    expected: Any
    reference: str
    feedback: dict[str, str]
    wrong_weights: list[tuple[str, float]] = field(default_factory=list)
    numeric_wrong: list[float] = field(default_factory=list)


def make_items(quiz: Quiz, rng: random.Random) -> list[Item]:
    """Per-question parameters: most questions fair, a few too easy, too hard or miskeyed."""
    items = []
    questions = quiz.questions
    specials = rng.sample(range(len(questions)), k=min(3, len(questions)))
    for index, q in enumerate(questions):
        a, b = rng.uniform(0.5, 2.2), rng.gauss(-0.3, 0.9)
        if index == specials[0]:
            a, b = 0.6, -4.5  # nearly everybody gets it: facility > 0.95
        elif index == specials[1] and rng.random() < 0.6:
            a, b = 1.2, 2.6  # too hard: facility < 0.2
        elif index == specials[2] and rng.random() < 0.6:
            a, b = rng.choice([0.0, -0.35]), -0.3  # does not tell learners apart (or miskeyed)
        guess = {"single": 0.2, "true_false": 0.35}.get(q["type"], 0.0)
        choices = q.get("choices") or []
        expected = expected_answer(q)
        wrong = [(c["id"], rng.gammavariate(0.8, 1.0)) for c in choices if not c.get("correct")]
        numeric_wrong: list[float] = []
        if q["type"] == "numeric":
            answer, tolerance = float(q["answer"]), float(q.get("tolerance", 0))
            candidates = [-answer, answer * 10, answer / 10, answer * 1.1, answer * 0.9,
                          answer + 10 * tolerance + 1, round(answer) + 1]
            numeric_wrong = [round(x, 4) for x in candidates
                             if math.isfinite(x) and abs(x - answer) > tolerance + 1e-6]
        items.append(Item(
            question=q, a=a, b=b, guess=guess, expected=expected,
            reference=reference_url(q["reference"]),
            feedback={c["id"]: c["feedback"] for c in choices if c.get("feedback")},
            wrong_weights=wrong, numeric_wrong=numeric_wrong,
        ))
    return items


def weighted(rng: random.Random, pairs: list[tuple[str, float]]) -> str:
    return rng.choices([k for k, _ in pairs], weights=[w for _, w in pairs])[0]


def respond(item: Item, right: bool, rng: random.Random) -> Any:
    """A response in the stored shape: choice ids (list) or a number, right or wrong."""
    q, kind = item.question, item.question["type"]
    if kind == "numeric":
        answer = float(q["answer"])
        if right:
            tolerance = float(q.get("tolerance", 0))
            return round(answer + rng.uniform(-0.8, 0.8) * tolerance, 4) if tolerance else answer
        return rng.choice(item.numeric_wrong)
    if kind == "true_false":
        truth = item.expected[0]
        return [truth] if right else ["false" if truth == "true" else "true"]
    if kind == "single":
        return list(item.expected) if right else [weighted(rng, item.wrong_weights)]
    if kind == "ordering":
        order = list(item.expected)
        if right:
            return order
        for _ in range(rng.choice([1, 1, 2])):
            i = rng.randrange(len(order) - 1)
            order[i], order[i + 1] = order[i + 1], order[i]
        if order == item.expected:
            order[0], order[-1] = order[-1], order[0]
        return order
    # multiple
    if right:
        return list(item.expected)
    ids = [c["id"] for c in q["choices"]]
    expected = set(item.expected)
    total = sum(w for _, w in item.wrong_weights) or 1.0
    for _ in range(10):
        picked = {c for c in expected if rng.random() < 0.6}
        picked |= {c for c, w in item.wrong_weights if rng.random() < 0.8 * w / total}
        if picked and picked != expected:
            return [c for c in ids if c in picked]
    return [weighted(rng, item.wrong_weights)]


class Population:
    """Everything drawn at random, with one seed: the same arguments give the same data."""

    def __init__(self, catalog: Catalog, args: argparse.Namespace, now: dt.datetime) -> None:
        self.rng = random.Random(args.seed)
        self.catalog, self.args, self.now = catalog, args, now
        rng = self.rng
        self.quizzes = dict(sorted(catalog.quizzes.items()))
        self.items = {qid: make_items(quiz, rng) for qid, quiz in self.quizzes.items()}
        self.paths = [catalog.paths[p] for p in PATH_ODDS if p in catalog.paths]
        pairs = [(d, s) for d in DEPARTMENTS for s in SITES]
        rng.shuffle(pairs)
        self.teams = sorted(f"{d} {s}" for d, s in pairs[:TEAM_COUNT])
        self.team_weights = [rng.paretovariate(1.3) for _ in self.teams]
        pages = sorted(catalog.titles)
        rng.shuffle(pages)
        self.pages = pages
        self.page_weights = [1 / (rank + 1) ** 0.9 for rank in range(len(pages))]

    def token(self, bits: int = 256) -> str:
        raw = self.rng.getrandbits(bits).to_bytes(bits // 8, "big")
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    # -- one attempt -----------------------------------------------------------------------

    def attempt(self, user_id: int, quiz_id: str, theta: float) -> tuple[dict, list[dict]]:
        quiz, rng = self.quizzes[quiz_id], self.rng
        attempt_id = f"{rng.getrandbits(128):032x}"
        answers, questions, review = [], [], []
        for item in self.items[quiz_id]:
            p = item.guess + (1 - item.guess) / (1 + math.exp(-1.7 * item.a * (theta - item.b)))
            response = respond(item, rng.random() < p, rng)
            mark = round(grade_question(item.question, response, quiz.partial_credit), 4)
            correct = mark >= 1.0
            qid = item.question["id"]
            answers.append({"attempt_id": attempt_id, "question_id": qid, "response": response,
                            "mark": mark, "max_mark": 1.0, "correct": correct})
            chosen = response if isinstance(response, list) else []
            questions.append({
                "id": qid, "correct": correct, "mark": mark, "max_mark": 1.0, "response": response,
                "expected": item.expected, "explanation": item.question["explanation"],
                "reference": item.reference,
                "feedback": [item.feedback[c] for c in chosen if c in item.feedback]
                if item.question["type"] in {"single", "multiple"} else [],
            })
            if not correct and item.reference not in review:
                review.append(item.reference)
        score = round(sum(a["mark"] for a in answers), 4)
        max_score = float(len(answers))
        percent = round(100 * score / max_score, 2)
        passed = percent >= quiz.pass_mark
        row = {
            "id": attempt_id, "token": self.token(), "user_id": user_id, "quiz_id": quiz_id,
            "quiz_hash": quiz.hash, "started_at": None, "submitted_at": None, "score": score,
            "max_score": max_score, "percent": percent, "passed": passed,
            "result": {"score": score, "max_score": max_score, "percent": percent,
                       "passed": passed, "questions": questions, "sections_to_review": review},
        }
        return row, answers

    # -- one learner -------------------------------------------------------------------------

    def learner(self, user: dict, budget: int, sink: Sink) -> None:
        """Enroll, read, take quizzes in path order, then retake or try other quizzes."""
        rng = self.rng
        theta = rng.gauss(0, 1)
        events: list[tuple[str, Any]] = []  # in the order they happened; times come after
        tries: Counter[str] = Counter()
        passed: set[str] = set()
        read: set[str] = set()

        def take(quiz_id: str) -> bool:
            gain = min(1.0, 0.3 * tries[quiz_id])  # learns from each try
            row, answers = self.attempt(user["id"], quiz_id, theta + gain)
            tries[quiz_id] += 1
            events.append(("attempt", (row, answers)))
            if row["passed"]:
                passed.add(quiz_id)
            return row["passed"]

        def allowed(quiz_id: str) -> bool:
            limit = self.quizzes[quiz_id].max_attempts
            return not limit or tries[quiz_id] < limit

        enrolled: list = []
        for path in self.paths:
            if rng.random() >= PATH_ODDS[path.id]:
                continue
            enrolled.append(path)
            events.append(("start", path.id))
            complete = True
            for kind, ref in path.steps:
                if kind in {"read", "listen"}:
                    if rng.random() < 0.06:  # wandered off
                        complete = False
                        break
                    url = page_url(ref)
                    if url not in read:
                        read.add(url)
                        events.append(("read", url))
                    continue
                ok = ref in passed
                while not ok and budget > 0 and allowed(ref):
                    ok = take(ref)
                    budget -= 1
                    if not ok and rng.random() < 0.2:  # gave up for now
                        break
                if not ok:
                    complete = False
                    break
            if complete:
                events.append(("complete", path.id))
            elif rng.random() < 0.6:
                break
        # The rest of the budget: any quiz (retakes too) within its max_attempts, except the
        # quizzes of the learner's own paths not passed yet, so that a path stays where it
        # stopped; quizzes passed already are retaken less often.
        pending = {ref for path in enrolled for kind, ref in path.steps
                   if kind == "quiz" and ref not in passed}
        while budget > 0:
            choices = [q for q in self.quizzes if allowed(q) and q not in pending]
            if not choices:
                break
            weights = [0.5 if q in passed else 1.0 for q in choices]
            take(rng.choices(choices, weights=weights)[0])
            budget -= 1
        # Browsing: a few more pages, read once each.
        for url in rng.choices(self.pages, weights=self.page_weights, k=rng.randrange(0, 14)):
            if url not in read:
                read.add(url)
                position = rng.randrange(len(events) + 1)
                events.insert(position, ("read", url))

        # Times: sorted moments between arrival and the learner's last activity.
        start = user["created_at"] + dt.timedelta(minutes=rng.uniform(5, 600))
        last = max(user["last_login_at"], start)
        span = (last - start).total_seconds()
        moments = sorted(start + dt.timedelta(seconds=rng.random() * span) for _ in events)
        enrollments: dict[str, dict] = {}
        for (kind, value), moment in zip(events, moments, strict=True):
            if kind == "start":
                enrollments[value] = {"user_id": user["id"], "path_id": value,
                                      "started_at": moment, "completed_at": None}
            elif kind == "complete":
                enrollments[value]["completed_at"] = moment
                path = self.catalog.paths[value]
                sink.add(Certificate.__table__, {
                    "code": f"{self.rng.getrandbits(80):020X}", "user_id": user["id"],
                    "path_id": value, "learner_name": user["name"], "path_title": path.title,
                    "issued_at": moment,
                })
            elif kind == "read":
                sink.add(PageRead.__table__, {"user_id": user["id"], "page": value,
                                              "read_at": moment})
            else:
                row, answers = value
                row["submitted_at"] = moment
                row["started_at"] = moment - dt.timedelta(seconds=rng.uniform(120, 1150))
                sink.add(Attempt.__table__, row)
                for answer in answers:
                    sink.add(Answer.__table__, answer)
        for enrollment in enrollments.values():
            sink.add(PathEnrollment.__table__, enrollment)

    # -- users, then their learning, then the search log -------------------------------------

    def users(self) -> list[dict]:
        rng, now = self.rng, self.now
        rows = []
        for i in range(self.args.learners):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            slug = fold(f"{first}.{last}").replace(" ", "-")
            team = None if rng.random() < 0.03 else rng.choices(
                self.teams, weights=self.team_weights)[0]
            created = now - dt.timedelta(days=rng.uniform(1, MONTHS * 365 / 12))
            # The last activity: a third still active, the others stopped after a while.
            if rng.random() < 0.3:
                seen = now - dt.timedelta(days=rng.uniform(0, 20))
            else:
                seen = created + dt.timedelta(days=rng.expovariate(1 / 50))
            seen = min(max(seen, created + dt.timedelta(hours=12)), now - dt.timedelta(minutes=1))
            rows.append({
                "id": i + 1, "email": f"{slug}.{i + 1}@exemple.fr", "name": f"{first} {last}",
                "password_hash": None, "role": "learner", "team": team,
                "created_at": created, "last_login_at": seen,
            })
        return rows

    def budgets(self, count: int) -> list[int]:
        """The attempts, shared among learners: a tenth never try a quiz, a few try many."""
        rng = self.rng
        weights = [0.0 if rng.random() < 0.1 else rng.lognormvariate(0, 0.9) for _ in range(count)]
        drawn = Counter(rng.choices(range(count), weights=weights, k=self.args.attempts))
        return [drawn.get(i, 0) for i in range(count)]

    def search_pool(self) -> list[tuple[str, int, bool]]:
        """Distinct typed queries: (text, results, clickable), most popular first."""
        rng = self.rng
        pool: list[tuple[str, int, bool]] = []

        def variants(text: str) -> list[str]:
            out = [text, text.lower()]
            if rng.random() < 0.3:
                out.append(text.capitalize())
            folded = text.translate(str.maketrans("éèêàçôù", "eeeacou"))
            if folded != text:
                out.append(folded)
            return out

        for term in KNOWN_TERMS:
            hits = rng.randint(2, 40)
            for modifier in rng.sample(MODIFIERS, k=6):
                text = f"{term} {modifier}".strip()
                results = max(1, hits - 3 * bool(modifier))
                if modifier and rng.random() < 0.08:
                    results = 0
                clickable = rng.random() > 0.15
                pool += [(v, results, clickable) for v in variants(text)]
        for term in GAP_TERMS:
            results = rng.choice([0, 0, 0, 0, 1, 2])  # some gaps find something unrelated
            pool += [(v, results, False) for v in variants(term)]
        for term in rng.sample(KNOWN_TERMS, k=min(60, len(KNOWN_TERMS))):  # typos
            if len(term) > 4:
                i = rng.randrange(1, len(term) - 2)
                pool.append((term[:i] + term[i + 1] + term[i] + term[i + 2:], 0, False))
        pool = list(dict.fromkeys(pool))
        rng.shuffle(pool)
        return pool

    def searches(self, users: list[dict], sink: Sink) -> None:
        rng, now = self.rng, self.now
        pool = self.search_pool()
        weights = [1 / (rank + 1) ** 1.05 for rank in range(len(pool))]
        normalized: dict[str, str] = {}
        count = SEARCHES_PER_LEARNER * self.args.learners
        horizon = MONTHS * 365 / 12
        drawn = rng.choices(pool, weights=weights, k=count)
        for query_id, (text, results, clickable) in enumerate(drawn, start=1):
            when = now - dt.timedelta(days=horizon * (1 - math.sqrt(rng.random())))
            user_id = None
            if rng.random() < 0.8:
                user = rng.choice(users)
                if user["created_at"] < when:
                    user_id = user["id"]
            if text not in normalized:
                normalized[text] = normalize_query(text)
            sink.add(SearchQuery.__table__, {
                "id": query_id, "query": text, "normalized": normalized[text], "results": results,
                "took_ms": round(rng.lognormvariate(2.0, 0.5), 3), "user_id": user_id,
                "created_at": when,
            })
            if results and clickable and rng.random() < 0.5:
                for _ in range(1 + (rng.random() < 0.15)):
                    usual = zlib.crc32(normalized[text].encode()) % min(len(self.pages), 40)
                    page = self.pages[usual]
                    if rng.random() < 0.3:
                        page = rng.choices(self.pages, weights=self.page_weights)[0]
                    sink.add(SearchClick.__table__, {
                        "query_id": query_id, "url": page,
                        "created_at": when + dt.timedelta(seconds=rng.uniform(2, 90)),
                    })


class Sink:
    """Rows buffered per table, inserted with Core in batches, parents first."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        self.buffers: dict[sa.Table, list[dict]] = {t: [] for t in TABLES}
        self.counts: Counter[str] = Counter()

    def add(self, table: sa.Table, row: dict) -> None:
        buffer = self.buffers[table]
        buffer.append(row)
        if len(buffer) >= BATCH:
            self.flush()

    def flush(self) -> None:
        for table in TABLES:
            rows = self.buffers[table]
            if rows:
                self.conn.execute(table.insert(), rows)
                self.counts[table.name] += len(rows)
                rows.clear()


def seed(engine: sa.Engine, catalog: Catalog, args: argparse.Namespace) -> dict[str, float]:
    """Fill the database in one transaction; returns seconds per phase."""
    now = utcnow()
    population = Population(catalog, args, now)
    phases: dict[str, float] = {}
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            conn.exec_driver_sql("PRAGMA synchronous=OFF")
            conn.commit()  # the pragma began SQLAlchemy's transaction: end it
        with conn.begin():
            sink = Sink(conn)
            t0 = time.perf_counter()
            users = population.users()
            # Users first: every other table refers to them (foreign keys are on).
            for user in users:
                sink.add(User.__table__, user)
            sink.flush()
            budgets = population.budgets(len(users))
            for user, budget in zip(users, budgets, strict=True):
                population.learner(user, budget, sink)
            sink.flush()
            phases["learners, learning records"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            population.searches(users, sink)
            sink.flush()
            phases["search log"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            rebuild_item_stats(conn)  # rows inserted here are not queued: sum them all now
            phases["item analysis daily sums"] = time.perf_counter() - t0
            if not sqlite:
                for table in ("users", "search_queries"):
                    conn.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))")
        if sqlite:
            conn.exec_driver_sql("PRAGMA synchronous=NORMAL")
            conn.commit()
    t0 = time.perf_counter()
    if sqlite:
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        phases["WAL checkpoint"] = time.perf_counter() - t0
    else:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
        phases["VACUUM ANALYZE"] = time.perf_counter() - t0
    return phases


# -- the databases --------------------------------------------------------------------------


def reset_postgres(url: str, force: bool) -> None:
    """Drop and create the public schema, unless another client is using the database."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        others = conn.execute(sa.text(
            "SELECT pid, application_name, state, left(query, 60) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'")).all()
        for pid, application, state, query in others:
            log(f"  another client is connected to this database: pid {pid}, "
                f"{application or '?'}, {state}: {query!r}")
        if others and not force:
            raise RuntimeError(
                f"{len(others)} other connection(s) to {engine.url.database}: not dropping a "
                "schema someone is using (a test run or another benchmark?). Point "
                "PORTAL_TEST_DATABASE_URL at a database of its own, or pass --force-reset.")
        conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def row_counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                for t in [*TABLES, ItemStatsDaily.__table__, ChoicePicksDaily.__table__]}


def database_size(engine: sa.Engine, url: str) -> str:
    if engine.dialect.name == "sqlite":
        path = Path(sa.engine.make_url(url).database or "")
        return f"{path.stat().st_size / 1e6:.0f} MB file" if path.exists() else "?"
    with engine.connect() as conn:
        size = conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar_one()
        return f"{size / 1e6:.0f} MB database"


def server_version(engine: sa.Engine) -> str:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            return "SQLite " + conn.exec_driver_sql("SELECT sqlite_version()").scalar_one()
        return conn.exec_driver_sql("SELECT version()").scalar_one().split(" on ")[0]


class Deadline:
    """Stops the SQL of a request (or of one timed call) that has run for `seconds`:
    SQLite's progress handler, or PostgreSQL's statement_timeout set to the time left
    before each statement. Such a report fails (HTTP 500) instead of stalling the run."""

    def __init__(self, engine: sa.Engine, seconds: float) -> None:
        self.seconds, self.until = seconds, math.inf
        self.sqlite = engine.dialect.name == "sqlite"
        sa.event.listen(engine, "connect", self._connect)
        sa.event.listen(engine, "before_cursor_execute", self._before)
        engine.dispose()  # connections opened from now on get the limit

    @contextlib.contextmanager
    def armed(self, factor: float = 1.0):
        self.until = time.perf_counter() + self.seconds * factor
        try:
            yield
        finally:
            self.until = math.inf

    def _connect(self, dbapi_connection, _record) -> None:
        if self.sqlite:
            dbapi_connection.set_progress_handler(self._expired, 20_000)

    def _before(self, _conn, cursor, *_args) -> None:
        if not self.sqlite:
            left = 0 if math.isinf(self.until) else max(1, int(1000 * (self.until
                                                                         - time.perf_counter())))
            cursor.execute(f"SET statement_timeout = {left}")

    def _expired(self) -> int:
        return 1 if time.perf_counter() > self.until else 0


# -- timing the app ----------------------------------------------------------------------------


def report_urls() -> list[str]:
    return [f"/admin/{page}" for page in PAGES] + [f"/admin/reports/{name}.csv" for name in REPORTS]


@dataclass
class Timing:
    url: str
    status: int
    size: int
    runs: list[float]
    warm_ms: float = 0.0

    @property
    def median(self) -> float:
        return statistics.median(self.runs) if self.runs else math.nan

    @property
    def max(self) -> float:
        return max(self.runs) if self.runs else math.nan


def sign_in_pmo(app) -> Any:
    with session_scope(app.extensions["portal.engine"]) as s:
        create_user(s, PMO_EMAIL, "Équipe PMO (banc d'essai)", PMO_PASSWORD, role="pmo")
    client = app.test_client()
    csrf = client.get("/api/me", buffered=True).get_json()["csrf_token"]
    response = client.post("/login", data={"email": PMO_EMAIL, "password": PMO_PASSWORD,
                                           "csrf_token": csrf}, buffered=True)
    if response.status_code != 302:
        raise SystemExit(f"PMO sign-in failed: HTTP {response.status_code}")
    return client


def time_urls(client, runs: int, budget_s: float, limit: Deadline) -> list[Timing]:
    """One warm-up, then `runs` timed requests (fewer when they would exceed the budget)."""
    timings = []
    for url in report_urls():
        t0 = time.perf_counter()
        with limit.armed():
            warm = client.get(url, buffered=True)
        warm_ms = ms_since(t0)
        timing = Timing(url, warm.status_code, len(warm.data), [], warm_ms)
        planned = runs if warm.status_code == 200 else 0
        planned = min(planned, max(1, int(budget_s * 1000 // max(warm_ms, 1)))) if planned else 0
        for _ in range(planned):
            t0 = time.perf_counter()
            with limit.armed():
                response = client.get(url, buffered=True)
            timing.runs.append(ms_since(t0))
            if response.status_code != 200:
                timing.status = response.status_code
                break
        if timing.status != 200:
            note = f"FAILED (stopped at the time limit?) after {seconds(warm_ms)}"
        else:
            note = (f"median {timing.median:8.0f}  max {timing.max:8.0f} ms"
                    + (f" ({len(timing.runs)} runs)" if len(timing.runs) != runs else "")
                    + ("" if timing.median <= GOAL_MS else "   > 1 s"))
        log(f"  {url:<46} HTTP {warm.status_code}  {timing.size / 1024:8.1f} KiB  warm-up "
            f"{warm_ms:8.0f} ms  {note}")
        timings.append(timing)
    return timings


# -- where the time goes: the query functions called directly --------------------------------


@dataclass
class Statement:
    sql: str
    params: Any
    ms: float = 0.0


@dataclass
class Breakdown:
    name: str
    total_ms: float
    rows: int
    statements: list[Statement]
    failed: str = ""

    @property
    def sql_ms(self) -> float:
        return sum(s.ms for s in self.statements)


class Recorder:
    """Collects the statements a report function sends (SQLAlchemy cursor events)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine, self.on, self.seen = engine, False, []
        sa.event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, _conn, _cursor, statement, parameters, _context, _many) -> None:
        if self.on:
            self.seen.append(Statement(statement, parameters))

    def close(self) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._record)


def time_statement(engine: sa.Engine, statement: Statement, limit: Deadline) -> float:
    """Milliseconds for one statement alone (rows fetched); inf when it was stopped."""
    with engine.connect() as conn, limit.armed():
        t0 = time.perf_counter()
        try:
            conn.exec_driver_sql(statement.sql, statement.params).fetchall()
        except sa.exc.DBAPIError:
            return math.inf
        return ms_since(t0)


def breakdowns(engine: sa.Engine, catalog: Catalog, repo_url: str,
               limit: Deadline) -> dict[str, Breakdown]:
    """Each report's function once (warm), then each of its statements alone."""
    recorder = Recorder(engine)
    found = {}
    try:
        for name, report in REPORTS.items():
            rows, failed = [], ""
            with orm.Session(engine) as session:
                recorder.seen = []
                recorder.on = True
                t0 = time.perf_counter()
                try:
                    with limit.armed():
                        rows = report.build(session, catalog, queries.Filters(), repo_url)
                except sa.exc.DBAPIError as exc:
                    failed = one_line(str(exc.orig), 60)
                total = ms_since(t0)
                recorder.on = False
            statements = recorder.seen
            for statement in statements:
                statement.ms = time_statement(engine, statement, limit)
            found[name] = Breakdown(name, total, len(rows), statements, failed)
    finally:
        recorder.close()
    return found


def explain(engine: sa.Engine, statement: Statement, limit: Deadline) -> list[str]:
    """SQLite's query plan; PostgreSQL's plan as run (or as planned, when too slow to run)."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement.sql,
                                        statement.params).all()
            depth: dict[int, int] = {0: 0}
            lines = []
            for node, parent, _unused, detail in plan:
                depth[node] = depth.get(parent, 0) + 1
                lines.append("  " * depth[node] + detail)
            return lines
        if math.isfinite(statement.ms):
            # Instrumented, it runs slower than alone: give it three times the limit.
            try:
                with limit.armed(3):
                    plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement.sql,
                                                statement.params).all()
                return [line for (line,) in plan]
            except sa.exc.DBAPIError:
                conn.rollback()
        plan = conn.exec_driver_sql("EXPLAIN " + statement.sql, statement.params).all()
        return ["(plain EXPLAIN: the statement is too slow to run within the timeout)"] + [
            line for (line,) in plan]


def print_breakdowns(label: str, found: dict[str, Breakdown]) -> None:
    log(f"\n  {label}: each report's function from portal/reports/queries.py called directly "
        "(warm), and its SQL statements timed alone")
    log(f"  {'report':<26} {'function ms':>11} {'rows':>6} {'stmts':>5} {'SQL':>10}  "
        "slowest statement")
    for b in found.values():
        top = max(b.statements, key=lambda s: s.ms, default=None)
        slowest = f"{ms(top.ms):>10}  {one_line(top.sql, 70)}" if top else "(no SQL)"
        total = f"{b.total_ms:11.0f}" if not b.failed else f"{'stopped':>11}"
        log(f"  {b.name:<26} {total} {b.rows:6d} {len(b.statements):5d} "
            f"{ms(b.sql_ms):>10}  {slowest}")
        if b.failed:
            log(f"  {'':<26} stopped after {seconds(b.total_ms)}: {b.failed}")


def slow_reports(timings: list[Timing], found: dict[str, Breakdown]) -> list[str]:
    names: list[str] = []
    for t in timings:
        if t.status != 200 or t.median > GOAL_MS:
            if t.url.endswith(".csv"):
                names.append(t.url.rsplit("/", 1)[1][:-4])
            else:
                names += PAGES[t.url.rsplit("/", 1)[1]][1]
    # A slow page's reports that weigh (over a tenth of the goal), and any slow function.
    names = [n for n in names if found.get(n) and found[n].total_ms > GOAL_MS / 10]
    names += [n for n, b in found.items() if b.failed or b.total_ms > GOAL_MS / 2]
    return list(dict.fromkeys(n for n in names if found[n].statements))


def print_slow(engine: sa.Engine, found: dict[str, Breakdown], names: list[str],
               limit: Deadline) -> list[Statement]:
    dominant = []
    for name in names:
        b = found[name]
        state = f"stopped after {b.total_ms:.0f} ms" if b.failed else f"{b.total_ms:.0f} ms"
        sql = f"{ms(b.sql_ms)} of SQL" if math.isfinite(b.sql_ms) else "SQL stopped"
        log(f"\n  {name}: {state} in the function, {sql} in {len(b.statements)} "
            "statement(s); slowest first:")
        for s in sorted(b.statements, key=lambda s: -s.ms)[:6]:
            log(f"    {ms(s.ms):>10}  {one_line(s.sql, 120)}")
        top = max(b.statements, key=lambda s: s.ms)
        dominant.append(top)
        kind = ("EXPLAIN QUERY PLAN" if engine.dialect.name == "sqlite"
                else "EXPLAIN (ANALYZE, BUFFERS)")
        log(f"    {kind} of the slowest ({ms(top.ms)}), parameters {top.params!r}:")
        log("      " + " ".join(top.sql.split()))
        for line in explain(engine, top, limit):
            log("      | " + line)
    return dominant


def sqlite_with_analyze(engine: sa.Engine, statements: list[Statement], limit: Deadline) -> None:
    """Would statistics alone help? ANALYZE (the portal never runs it), then time again."""
    if not statements:
        return
    t0 = time.perf_counter()
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    log(f"\n  SQLite after ANALYZE ({ms_since(t0) / 1000:.1f} s; the portal never runs it): "
        "the slow statements again")
    for s in statements:
        again = time_statement(engine, s, limit)
        log(f"    {ms(s.ms):>10} -> {ms(again):>10}  {one_line(s.sql, 100)}")
        for line in explain(engine, s, limit):
            log("      | " + line)


# -- one database, start to finish ----------------------------------------------------------


@dataclass
class Outcome:
    label: str
    timings: list[Timing] = field(default_factory=list)
    seed_s: float = 0.0
    error: str = ""


def run_database(label: str, url: str, catalog: Catalog, tmp: Path, args) -> Outcome:
    log(f"\n== {label} ==")
    if label == "PostgreSQL":
        reset_postgres(url, args.force_reset)
    upgrade(url)
    engine = make_engine(url)
    log(f"  {server_version(engine)}")
    t0 = time.perf_counter()
    phases = seed(engine, catalog, args)
    seed_s = time.perf_counter() - t0
    log(f"  seeded in {seed_s:.1f} s (" + ", ".join(f"{k} {v:.1f} s" for k, v in phases.items())
        + f"); {database_size(engine, url)}; peak RSS {peak_rss_mb():.0f} MB")
    counts = row_counts(engine)
    log("  rows: " + ", ".join(f"{name} {thousands(n)}" for name, n in counts.items()))
    with engine.connect() as conn:
        stuck_window = utcnow() - dt.timedelta(days=queries.STUCK_DAYS)
        enrolled = conn.execute(sa.select(
            sa.func.count(), sa.func.count(PathEnrollment.completed_at)
        ).select_from(PathEnrollment)).one()
        passed = conn.execute(sa.select(sa.func.avg(sa.case((Attempt.passed, 1.0), else_=0.0)),
                                        sa.func.avg(Attempt.percent))).one()
        zero = conn.execute(sa.select(sa.func.count()).select_from(SearchQuery)
                            .where(SearchQuery.results == 0)).scalar_one()
    log(f"  enrollments {thousands(enrolled[0])}, completed {thousands(enrolled[1])}; attempts "
        f"passed {100 * float(passed[0] or 0):.0f} %, mean score {float(passed[1] or 0):.0f} %; "
        f"searches with no result {thousands(zero)}; 'stuck' means no activity since "
        f"{stuck_window:%Y-%m-%d}")
    engine.dispose()

    settings = Settings(root=PROJECT_ROOT, var_dir=tmp / "var", site_dir=tmp / "site",
                        database_url=url, secret_key="bench")
    settings.rate_limits = False
    app = create_app(settings)
    app.logger.setLevel(logging.CRITICAL)  # a stopped statement is shown as HTTP 500 below
    limit = Deadline(app.extensions["portal.engine"], args.timeout)
    client = sign_in_pmo(app)
    log(f"  timing {len(report_urls())} URLs: 1 warm-up + {args.runs} runs each (fewer past "
        f"{args.budget:.0f} s per URL), any request stopped after {args.timeout:g} s; "
        f"load average before: {load_average()}")
    timings = time_urls(client, args.runs, args.budget, limit)
    log(f"  load average after: {load_average()}")

    app_engine = app.extensions["portal.engine"]
    found = breakdowns(app_engine, app.extensions["portal.quizzes"].current(),
                       app.config.get("PORTAL_REPO_URL", ""), limit)
    print_breakdowns(label, found)
    names = slow_reports(timings, found)
    if names:
        dominant = print_slow(app_engine, found, names, limit)
        if label == "SQLite" and args.analyze:
            sqlite_with_analyze(app_engine, dominant, limit)
    app_engine.dispose()
    return Outcome(label, timings, seed_s)


# -- the final table ----------------------------------------------------------------------------


def print_table(outcomes: list[Outcome], info: dict[str, str], args, counts_note: str) -> None:
    width = 46 + 30 * len(outcomes)
    log("\n" + "=" * width)
    log(f"Reports benchmark — goal: every report under {GOAL_MS / 1000:.0f} s "
        f"(median of {args.runs} runs after one warm-up, through the test client)")
    log(f"{info['date']} · {info['cpus']} · {info['memory']} · {info['python']} · "
        f"SQLite {info['sqlite']}")
    log(counts_note)
    failed = [o for o in outcomes if o.error]
    outcomes = [o for o in outcomes if not o.error]
    log("-" * width)
    log(f"{'URL':<46}" + "".join(f"{o.label + ' median / max ms':>30}" for o in outcomes))
    log("-" * width)
    for index, url in enumerate(report_urls()):
        cells = []
        for o in outcomes:
            t = o.timings[index]
            mark = "!" if t.status != 200 or t.median > GOAL_MS else " "
            if t.status != 200:
                text = f"HTTP {t.status} after {seconds(t.warm_ms)}"
            else:
                text = f"{t.median:.0f} / {t.max:.0f}"
                text += f" ({len(t.runs)} runs)" if len(t.runs) != args.runs else ""
            cells.append(f"{text + ' ' + mark:>30}")
        log(f"{url:<46}" + "".join(cells))
    log("-" * width)
    for o in outcomes:
        slow = [t.url for t in o.timings if t.status != 200 or t.median > GOAL_MS]
        verdict = "every report meets the goal" if not slow else (
            f"{len(slow)} of {len(o.timings)} URLs miss it: " + ", ".join(slow))
        log(f"{o.label}: {verdict} (seeding {o.seed_s:.0f} s)")
    for o in failed:
        log(f"{o.label}: not measured ({o.error})")
    log(f"! = median over 1 s (HTTP 500: stopped at the {args.timeout:g} s limit per request)")
    log("=" * width)


# -- main ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, help="learners (default 10 000; --quick 1 000)")
    parser.add_argument("--attempts", type=int,
                        help="quiz attempts (default 100 000; --quick 10 000)")
    parser.add_argument("--quick", action="store_true", help="1 000 learners, 10 000 attempts")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per URL (default 5)")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds after which a request's SQL is stopped (default 120)")
    parser.add_argument("--budget", type=float, default=120.0,
                        help="seconds of timed runs per URL; fewer runs past it (default 120)")
    parser.add_argument("--force-reset", action="store_true",
                        help="drop PostgreSQL's public schema even if others are connected")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--no-analyze", dest="analyze", action="store_false",
                        help="do not try ANALYZE on SQLite when a report is slow")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    args.learners = args.learners or (1_000 if args.quick else 10_000)
    args.attempts = args.attempts if args.attempts is not None else (
        10_000 if args.quick else 100_000)

    info = machine()
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    log(f"reports benchmark, work folder {tmp}")
    log(f"{info['date']} · {info['cpus']} · {info['memory']} · {info['python']} · "
        f"SQLAlchemy {info['sqlalchemy']} · {info['platform']}")
    log(f"code: {code_fingerprint()}; load average {load_average()}")
    log(f"goal: every report page and CSV export under {GOAL_MS / 1000:.0f} s")
    postgres = os.environ.get("PORTAL_TEST_DATABASE_URL", "")
    outcomes: list[Outcome] = []
    try:
        settings = Settings(root=PROJECT_ROOT, var_dir=tmp / "var", site_dir=tmp / "site",
                            database_url=f"sqlite:///{tmp}/build.db", secret_key="bench")
        t0 = time.perf_counter()
        result = build(settings)
        catalog = load_catalog(result.generation)
        questions = sum(len(q.questions) for q in catalog.quizzes.values())
        log(f"pipeline build of the shipped site: {time.perf_counter() - t0:.1f} s; "
            f"{len(catalog.quizzes)} quizzes ({questions} questions), {len(catalog.paths)} paths, "
            f"{len(catalog.titles)} pages")
        per_attempt = questions / max(1, len(catalog.quizzes))
        counts_note = (
            f"seeded: {thousands(args.learners)} learners in {TEAM_COUNT} teams (arrivals over "
            f"{MONTHS} months), {thousands(args.attempts)} attempts × every question of their "
            f"quiz ({per_attempt:g} answers each on average), "
            f"{thousands(SEARCHES_PER_LEARNER * args.learners)} searches; seed {args.seed}"
        )
        log(counts_note)
        databases = [("SQLite", f"sqlite:///{tmp}/reports.db")]
        if postgres:
            databases.append(("PostgreSQL", postgres))
        else:
            log("PORTAL_TEST_DATABASE_URL is not set: SQLite only")
        for label, url in databases:
            try:
                outcomes.append(run_database(label, url, catalog, tmp, args))
            except (sa.exc.SQLAlchemyError, RuntimeError) as exc:
                message = one_line(str(exc), 300)
                log(f"  {label}: run abandoned: {message}")
                outcomes.append(Outcome(label, error=message))
        log(f"\npeak RSS {peak_rss_mb():.0f} MB; total run "
            f"{(time.perf_counter() - started) / 60:.1f} min; load average {load_average()}")
        print_table(outcomes, info, args, counts_note)
    finally:
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
