"""The one module that writes learning records: tokens, attempts, pages read,
path starts and certificates. Scoring itself is `scoring.grade_attempt`."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import asdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from portal.accounts.models import User, utcnow

from .models import Answer, Attempt, AttemptToken, Certificate, PageRead, PathEnrollment
from .progress import PathState, path_states
from .quizzes import Catalog, Quiz
from .scoring import grade_attempt

TIME_GRACE = dt.timedelta(seconds=30)


class RecordError(Exception):
    """A refused request; `status` is the HTTP status that says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def attempts_count(session: orm.Session, user_id: int, quiz_id: str) -> int:
    return session.scalar(
        sa.select(sa.func.count()).select_from(Attempt).where(
            Attempt.user_id == user_id, Attempt.quiz_id == quiz_id
        )
    ) or 0


def check_attempts_left(session: orm.Session, user: User, quiz: Quiz) -> None:
    if quiz.max_attempts and attempts_count(session, user.id, quiz.id) >= quiz.max_attempts:
        raise RecordError(
            409, f"Nombre maximal de tentatives atteint pour ce quiz ({quiz.max_attempts})."
        )


def issue_token(session: orm.Session, user: User, quiz: Quiz) -> AttemptToken:
    check_attempts_left(session, user, quiz)
    token = AttemptToken(
        token=secrets.token_urlsafe(32), user_id=user.id, quiz_id=quiz.id,
        seed=secrets.randbelow(2**31), issued_at=utcnow(),
    )
    session.add(token)
    session.commit()
    return token


def get_token(session: orm.Session, user: User, quiz: Quiz, token: Any) -> AttemptToken:
    if not isinstance(token, str) or not token or len(token) > 64:
        raise RecordError(400, "Jeton de tentative manquant ou invalide : rouvrez le quiz.")
    found = session.get(AttemptToken, token)
    if found is None:
        raise RecordError(400, "Jeton de tentative inconnu : rouvrez le quiz.")
    if found.user_id != user.id or found.quiz_id != quiz.id:
        raise RecordError(403, "Ce jeton de tentative appartient à un autre quiz ou à une autre personne.")
    return found


def attempt_body(attempt: Attempt) -> dict[str, Any]:
    return {"attempt": attempt.id, **attempt.result}


def submit_attempt(
    session: orm.Session, user: User, quiz: Quiz, token_value: Any, answers: Any,
    now: dt.datetime | None = None,
) -> tuple[Attempt, bool]:
    """Grade and record; (attempt, created). A replayed token returns the first attempt."""
    token = get_token(session, user, quiz, token_value)
    existing = session.scalar(sa.select(Attempt).where(Attempt.token == token.token))
    if existing is not None:
        return existing, False
    now = now or utcnow()
    if quiz.time_limit and now > token.issued_at + dt.timedelta(minutes=quiz.time_limit) + TIME_GRACE:
        raise RecordError(409, f"Temps écoulé : ce quiz se fait en {quiz.time_limit} minutes au plus.")
    # One submission at a time per learner (PostgreSQL row lock; SQLite serialises
    # writers), so that a quiz's attempt limit holds under concurrent submissions.
    session.execute(sa.select(User.id).where(User.id == user.id).with_for_update())
    check_attempts_left(session, user, quiz)
    result = grade_attempt(quiz, answers)  # AnswerError: nothing recorded
    questions = [
        {
            "id": q.id, "correct": q.correct, "mark": q.mark, "max_mark": q.max_mark,
            "response": q.response, "expected": q.expected, "explanation": q.explanation,
            "reference": q.reference, "feedback": q.feedback,
        }
        for q in result.questions
    ]
    attempt = Attempt(
        id=secrets.token_hex(16), token=token.token, user_id=user.id, quiz_id=quiz.id,
        quiz_hash=quiz.hash, started_at=token.issued_at, submitted_at=now,
        score=result.score, max_score=result.max_score, percent=result.percent,
        passed=result.passed,
        result={
            "score": result.score, "max_score": result.max_score, "percent": result.percent,
            "passed": result.passed, "questions": questions,
            "sections_to_review": result.sections_to_review(),
        },
        answers=[
            Answer(question_id=q.id, response=q.response, mark=q.mark, max_mark=q.max_mark,
                   correct=q.correct)
            for q in result.questions
        ],
    )
    session.add(attempt)
    try:
        session.flush()
        if quiz.max_attempts and attempts_count(session, user.id, quiz.id) > quiz.max_attempts:
            session.rollback()
            raise RecordError(
                409, f"Nombre maximal de tentatives atteint pour ce quiz ({quiz.max_attempts})."
            )
        session.commit()
    except sa.exc.IntegrityError:
        # The same token submitted concurrently: the first one recorded wins.
        session.rollback()
        existing = session.scalar(sa.select(Attempt).where(Attempt.token == token.token))
        if existing is None:
            raise
        return existing, False
    return attempt, True


def mark_page_read(session: orm.Session, user: User, page: str) -> bool:
    """Record a page as read; False when it already was."""
    exists = session.scalar(
        sa.select(PageRead.id).where(PageRead.user_id == user.id, PageRead.page == page)
    )
    if exists is not None:
        return False
    session.add(PageRead(user_id=user.id, page=page))
    try:
        session.commit()
    except sa.exc.IntegrityError:
        session.rollback()
        return False
    return True


def start_path(session: orm.Session, user: User, path_id: str) -> None:
    exists = session.scalar(
        sa.select(PathEnrollment.id).where(
            PathEnrollment.user_id == user.id, PathEnrollment.path_id == path_id
        )
    )
    if exists is None:
        session.add(PathEnrollment(user_id=user.id, path_id=path_id))
        try:
            session.commit()
        except sa.exc.IntegrityError:
            session.rollback()


def learner_state(session: orm.Session, user: User, catalog: Catalog) -> dict[str, Any]:
    """Pages read, quiz results and path states of one learner (only theirs)."""
    pages = set(session.scalars(sa.select(PageRead.page).where(PageRead.user_id == user.id)))
    rows = session.execute(
        sa.select(
            Attempt.quiz_id, sa.func.count(), sa.func.max(Attempt.percent),
            sa.func.max(sa.case((Attempt.passed, 1), else_=0)),
        ).where(Attempt.user_id == user.id).group_by(Attempt.quiz_id)
    ).all()
    quizzes = {
        quiz_id: {"attempts": count, "best_percent": best, "passed": bool(passed)}
        for quiz_id, count, best, passed in rows
    }
    started = set(session.scalars(
        sa.select(PathEnrollment.path_id).where(PathEnrollment.user_id == user.id)
    ))
    certificates = dict(session.execute(
        sa.select(Certificate.path_id, Certificate.code).where(Certificate.user_id == user.id)
    ).all())
    passed = {q for q, v in quizzes.items() if v["passed"]}
    paths = path_states(catalog, pages, passed, started, certificates)
    return {"pages_read": sorted(pages), "quizzes": quizzes, "paths": paths}


def award_certificates(session: orm.Session, user: User, catalog: Catalog) -> list[Certificate]:
    """Record the paths a learner has begun, and certify those just completed."""
    state = learner_state(session, user, catalog)
    enrolled = set(session.scalars(
        sa.select(PathEnrollment.path_id).where(PathEnrollment.user_id == user.id)
    ))
    issued = []
    for path in state["paths"]:
        if path.started and path.id not in enrolled:
            start_path(session, user, path.id)  # a first step done starts the path
        if not path.completed or path.certificate:
            continue
        start_path(session, user, path.id)
        enrollment = session.scalar(
            sa.select(PathEnrollment).where(
                PathEnrollment.user_id == user.id, PathEnrollment.path_id == path.id
            )
        )
        if enrollment is not None and enrollment.completed_at is None:
            enrollment.completed_at = utcnow()
        certificate = Certificate(
            code=new_certificate_code(), user_id=user.id, path_id=path.id,
            learner_name=user.name, path_title=path.title,
        )
        session.add(certificate)
        try:
            session.commit()
        except sa.exc.IntegrityError:
            session.rollback()
            continue
        issued.append(certificate)
    return issued


def new_certificate_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def path_json(path: PathState) -> dict[str, Any]:
    return {
        "id": path.id,
        "title": path.title,
        "percent": path.percent,
        "completed": path.completed,
        "started": path.started,
        "certificate": path.certificate,
        "steps": [asdict(s) for s in path.steps],
    }
