"""Learning records as xAPI 1.0.3 statements (or CSV), for an LRS or a spreadsheet.

Statement ids are UUIDv5 of the record they describe, so exporting twice gives
the same ids and an LRS stores each statement once.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy import orm

from portal.accounts.models import User
from portal.learning.models import Answer, Attempt, PageRead, PathEnrollment
from portal.learning.quizzes import Catalog

from .csv_export import safe_cell

XAPI_VERSION = "1.0.3"
NAMESPACE = uuid.UUID("1b0e8a5e-2f0c-4c2a-9a55-6f5d3c7b9e21")
VERBS = {
    "experienced": "http://adlnet.gov/expapi/verbs/experienced",
    "answered": "http://adlnet.gov/expapi/verbs/answered",
    "passed": "http://adlnet.gov/expapi/verbs/passed",
    "failed": "http://adlnet.gov/expapi/verbs/failed",
    "completed": "http://adlnet.gov/expapi/verbs/completed",
}
VERB_FR = {"experienced": "a consulté", "answered": "a répondu", "passed": "a réussi",
           "failed": "a échoué", "completed": "a terminé"}
ACTIVITY = "http://adlnet.gov/expapi/activities/"


def _time(value: dt.datetime) -> str:
    return value.replace(microsecond=(value.microsecond // 1000) * 1000).isoformat(timespec="milliseconds") + "Z"


def _actor(user: Any) -> dict[str, Any]:
    return {"objectType": "Agent", "name": user.name, "mbox": f"mailto:{user.email}"}


def _statement(kind: str, key: str, user, when: dt.datetime, obj: dict, result: dict | None = None):
    statement: dict[str, Any] = {
        "id": str(uuid.uuid5(NAMESPACE, f"{kind}:{key}")),
        "actor": _actor(user),
        "verb": {"id": VERBS[kind], "display": {"fr-FR": VERB_FR[kind]}},
        "object": obj,
        "timestamp": _time(when),
        "version": XAPI_VERSION,
    }
    if result is not None:
        statement["result"] = result
    return statement


def _activity(url: str, name: str, kind: str) -> dict[str, Any]:
    return {"objectType": "Activity", "id": url,
            "definition": {"name": {"fr-FR": name}, "type": ACTIVITY + kind}}


def statements(session: orm.Session, catalog: Catalog, site_url: str) -> Iterator[dict[str, Any]]:
    """Every record as statements; the answers as of the item analysis's last catch-up
    (`catch_up_item_stats`, which copies them from the attempts' results), which the
    caller runs first, in a transaction of its own."""
    base = site_url.rstrip("/") + "/"
    users = {u.id: u for u in session.scalars(sa.select(User))}
    for read in session.scalars(sa.select(PageRead).order_by(PageRead.id)).yield_per(2000):
        title = catalog.titles.get(read.page, read.page)
        yield _statement("experienced", f"page:{read.id}", users[read.user_id], read.read_at,
                         _activity(base + read.page.lstrip("/"), title, "lesson"))
    attempts = session.execute(sa.select(Attempt).order_by(Attempt.submitted_at, Attempt.id)).scalars()
    for attempt in attempts.yield_per(1000):
        quiz = catalog.quizzes.get(attempt.quiz_id)
        title = quiz.title if quiz else attempt.quiz_id
        user = users[attempt.user_id]
        seconds = max(0, int((attempt.submitted_at - attempt.started_at).total_seconds()))
        yield _statement(
            "passed" if attempt.passed else "failed", f"attempt:{attempt.id}", user, attempt.submitted_at,
            _activity(f"{base}quiz/{attempt.quiz_id}", title, "assessment"),
            {"score": {"scaled": round(attempt.percent / 100, 4), "raw": attempt.score, "min": 0,
                       "max": attempt.max_score},
             "success": attempt.passed, "completion": True, "duration": f"PT{seconds}S"},
        )
    answers = session.execute(
        sa.select(Answer, Attempt.user_id, Attempt.quiz_id, Attempt.submitted_at)
        .join(Attempt, Attempt.id == Answer.attempt_id).order_by(Answer.id)
    )
    for answer, user_id, quiz_id, when in answers.yield_per(5000):
        response = answer.response
        yield _statement(
            "answered", f"answer:{answer.id}", users[user_id], when,
            _activity(f"{base}quiz/{quiz_id}#{answer.question_id}", answer.question_id, "cmi.interaction"),
            {"score": {"raw": answer.mark, "min": 0, "max": answer.max_mark},
             "success": answer.correct,
             "response": "[,]".join(response) if isinstance(response, list) else str(response)},
        )
    enrollments = sa.select(PathEnrollment).where(PathEnrollment.completed_at.is_not(None))
    for enrollment in session.scalars(enrollments.order_by(PathEnrollment.id)):
        path = catalog.paths.get(enrollment.path_id)
        yield _statement(
            "completed", f"path:{enrollment.user_id}:{enrollment.path_id}", users[enrollment.user_id],
            enrollment.completed_at,
            _activity(f"{base}parcours/{enrollment.path_id}", path.title if path else enrollment.path_id,
                      "course"),
            {"completion": True, "success": True},
        )


def write_xapi(out: IO[str], items: Iterator[dict[str, Any]]) -> int:
    count = 0
    out.write("[")
    for statement in items:
        out.write(("\n" if count == 0 else ",\n") + json.dumps(statement, ensure_ascii=False))
        count += 1
    out.write("\n]\n")
    return count


CSV_COLUMNS = ["id", "date", "verbe", "email", "nom", "activite", "intitule", "score", "reussi"]


def write_csv(out: IO[str], items: Iterator[dict[str, Any]]) -> int:
    import csv

    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for s in items:
        result = s.get("result", {})
        score = result.get("score", {})
        writer.writerow([safe_cell(v) for v in [
            s["id"], s["timestamp"], s["verb"]["display"]["fr-FR"], s["actor"]["mbox"][7:], s["actor"]["name"],
            s["object"]["id"], s["object"]["definition"]["name"]["fr-FR"],
            score.get("scaled", score.get("raw")), {True: "oui", False: "non"}.get(result.get("success"), ""),
        ]])
        count += 1
    return count
