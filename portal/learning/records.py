"""The one module that writes learning records: attempts, pages read, and, in the
same transactions, path starts and certificates (`path_records`) and the queue of
attempts the item analysis has yet to add up (`item_stats`); and the attempt tokens
they check (signed, not stored: `tokens`). Scoring itself is `scoring.grade_attempt`.

An attempt is one row: its `result` holds every answer with its mark, in question
order. The `answers` table, one row per answer for the item analysis and the xAPI
export, is filled from it when the attempt leaves the item analysis's queue
(`item_stats.catch_up_item_stats`), not by the submission: twelve rows and their
index entries were a quarter of a submission's writes."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from portal.accounts.models import User, utcnow
from portal.driver_sql import DriverStatement

from .item_stats import QUEUE_ATTEMPT
from .models import Attempt, AttemptToken, Certificate, PageRead, PathEnrollment
from .path_records import insert_if_absent, lock_learner, paths_with_step, record_step
from .progress import PathState, path_states
from .quizzes import Catalog, Quiz
from .scoring import AnswerError, grade_attempt
from .tokens import IssuedToken, TokenSigner, is_signed

TIME_GRACE = dt.timedelta(seconds=30)

# The statements of a submission, built once: building and keying a statement costs
# more than running it. Core tables, not ORM entities: nothing here needs an identity map.
_tokens, _attempts = AttemptToken.__table__, Attempt.__table__
_COUNT_ATTEMPTS = sa.select(sa.func.count()).where(
    _attempts.c.user_id == sa.bindparam("user_id"), _attempts.c.quiz_id == sa.bindparam("quiz_id"))
_ATTEMPT_BY_TOKEN = sa.select(Attempt).where(Attempt.token == sa.bindparam("token"))
# Tokens issued before they were signed (`tokens`): read, never written any more.
_FIND_LEGACY_TOKEN = sa.select(_tokens.c.user_id, _tokens.c.quiz_id, _tokens.c.seed, _tokens.c.issued_at).where(
    _tokens.c.token == sa.bindparam("token"))
_ATTEMPT_COLUMNS = tuple(c.name for c in _attempts.columns)
# SQLite: the attempt (`insert_if_absent` on its token), then its place in the queue.
_QUEUE_ATTEMPT = DriverStatement(QUEUE_ATTEMPT)


# PostgreSQL: the attempt (ON CONFLICT (token) DO NOTHING) and its place in the item
# analysis's queue in one statement. Its one row is the attempt's id; no row means the
# token was used.
_RECORD_IN_ONE_STATEMENT = DriverStatement(
    sa.text(
        f"WITH new_attempt AS (INSERT INTO attempts ({', '.join(_ATTEMPT_COLUMNS)}) "
        f"VALUES ({', '.join(':' + c for c in _ATTEMPT_COLUMNS)}) "
        "ON CONFLICT (token) DO NOTHING RETURNING id), "
        "queued AS (INSERT INTO item_stats_pending (attempt_id) SELECT id FROM new_attempt) "
        "SELECT id FROM new_attempt"
    ).bindparams(*(sa.bindparam(c, type_=_attempts.c[c].type) for c in _ATTEMPT_COLUMNS))
)


@dataclass(frozen=True)
class NewAttempt:
    """An attempt just inserted: the attributes of `Attempt` that the response reads. A
    plain object, as building ORM instances would cost more than inserting the rows."""

    id: str
    token: str
    user_id: int
    quiz_id: str
    quiz_hash: str
    started_at: dt.datetime
    submitted_at: dt.datetime
    score: float
    max_score: float
    percent: float
    passed: bool
    result: dict[str, Any]


class RecordError(Exception):
    """A refused request; `status` is the HTTP status that says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def attempts_count(session: orm.Session, user_id: int, quiz_id: str) -> int:
    return session.scalar(_COUNT_ATTEMPTS, {"user_id": user_id, "quiz_id": quiz_id}) or 0


def check_attempts_left(session: orm.Session, user_id: int, quiz: Quiz) -> None:
    if quiz.max_attempts and attempts_count(session, user_id, quiz.id) >= quiz.max_attempts:
        raise RecordError(
            409, f"Nombre maximal de tentatives atteint pour ce quiz ({quiz.max_attempts})."
        )


def issue_token(session: orm.Session, user_id: int, quiz: Quiz, signer: TokenSigner) -> IssuedToken:
    """A signed token for one attempt by this learner: nothing is written (see `tokens`),
    and the database is read only to count the attempts of a quiz that limits them."""
    check_attempts_left(session, user_id, quiz)
    return signer.sign(user_id, quiz.id)


def read_token(session: orm.Session, signer: TokenSigner, value: Any) -> IssuedToken:
    """The token's content; RecordError 400 when it is missing, malformed, wrongly
    signed or, for a legacy token, unknown."""
    if not isinstance(value, str) or not value or len(value) > 64:
        raise RecordError(400, "Jeton de tentative manquant ou invalide : rouvrez le quiz.")
    if is_signed(value):
        token = signer.read(value)
    else:
        found = session.execute(_FIND_LEGACY_TOKEN, {"token": value}).first()
        token = found and IssuedToken(token=value, user_id=found.user_id, seed=found.seed,
                                      issued_at=found.issued_at, quiz_id=found.quiz_id)
    if token is None:
        raise RecordError(400, "Jeton de tentative inconnu : rouvrez le quiz.")
    return token


def find_token(session: orm.Session, user: User, quiz: Quiz, value: Any, signer: TokenSigner) -> IssuedToken:
    """`read_token`, refused with 403 when the token is another learner's or another quiz's."""
    token = read_token(session, signer, value)
    if not token.belongs_to(user.id, quiz.id):
        raise RecordError(403, "Ce jeton de tentative appartient à un autre quiz ou à une autre personne.")
    return token


def recorded_attempt(session: orm.Session, token: IssuedToken) -> Attempt | None:
    """The attempt already recorded with this token, read after ending the transaction
    (a new one sees what a concurrent submission committed)."""
    session.rollback()
    return session.scalar(_ATTEMPT_BY_TOKEN, {"token": token.token})


def attempt_body(attempt: Attempt | NewAttempt) -> dict[str, Any]:
    return {"attempt": attempt.id, **attempt.result}


def submit_attempt(
    session: orm.Session, user: User, quiz: Quiz, token_value: Any, answers: Any,
    now: dt.datetime | None = None, *, signer: TokenSigner, catalog: Catalog | None = None,
) -> tuple[Attempt | NewAttempt, bool]:
    """Grade and record; (attempt, created). A replayed token returns the first attempt.

    Everything is checked and graded before the first write; then the attempt (its
    answers in its `result`), what it changes on `catalog`'s paths (when it passes a
    quiz of a path) and its place in the item analysis's queue are written in one
    short transaction.
    """
    token = find_token(session, user, quiz, token_value, signer)
    now = now or utcnow()
    try:
        if quiz.time_limit and now > token.issued_at + dt.timedelta(minutes=quiz.time_limit) + TIME_GRACE:
            raise RecordError(409, f"Temps écoulé : ce quiz se fait en {quiz.time_limit} minutes au plus.")
        if quiz.max_attempts:
            # One submission at a time per learner, so that the limit holds under concurrent ones.
            lock_learner(session, user.id)
            check_attempts_left(session, user.id, quiz)
        result = grade_attempt(quiz, answers)  # AnswerError: nothing recorded
    except (RecordError, AnswerError):
        # A token already used gives its attempt back, whatever comes with it this time
        # (the common case, a first submission, is not looked up: see the insert below).
        existing = recorded_attempt(session, token)
        if existing is None:
            raise
        return existing, False
    paths = paths_with_step(catalog, "quiz", quiz.id) if catalog is not None and result.passed else []
    if paths and not quiz.max_attempts:
        lock_learner(session, user.id)  # two steps done at once see each other
    questions = [
        {
            "id": q.id, "correct": q.correct, "mark": q.mark, "max_mark": q.max_mark,
            "response": q.response, "expected": q.expected, "explanation": q.explanation,
            "reference": q.reference, "feedback": q.feedback,
        }
        for q in result.questions
    ]
    row = {
        "id": secrets.token_hex(16), "token": token.token, "user_id": user.id,
        "quiz_id": quiz.id, "quiz_hash": quiz.hash, "started_at": token.issued_at,
        "submitted_at": now, "score": result.score, "max_score": result.max_score,
        "percent": result.percent, "passed": result.passed,
        "result": {
            "score": result.score, "max_score": result.max_score, "percent": result.percent,
            "passed": result.passed, "questions": questions,
            "sections_to_review": result.sections_to_review(),
        },
    }
    attempt = NewAttempt(**row)
    # On the driver's cursor, in the session's transaction (`DriverStatement`): the ORM's
    # execute, and even Core's, would cost more than the statements.
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    try:
        # ON CONFLICT (token) DO NOTHING: a token used before (a replay, or a concurrent
        # submission that committed first) inserts nothing, and its attempt is returned.
        if postgres:
            inserted = _RECORD_IN_ONE_STATEMENT.execute(connection, row) is not None
        else:
            inserted = insert_if_absent(session, _attempts, row, ["token"])
        if not inserted:
            existing = recorded_attempt(session, token)
            if existing is None:  # deleted in between (with its learner): nothing to give back
                raise RecordError(409, "Envoi simultané du même jeton : rouvrez le quiz.")
            return existing, False
        if not postgres:
            # SQLite: the count before the insert was read outside the write lock (its
            # transaction starts at the first write); PostgreSQL read it under the learner's.
            if quiz.max_attempts and attempts_count(session, user.id, quiz.id) > quiz.max_attempts:
                session.rollback()
                raise RecordError(
                    409, f"Nombre maximal de tentatives atteint pour ce quiz ({quiz.max_attempts})."
                )
            _QUEUE_ATTEMPT.execute(connection, {"attempt_id": row["id"]})
        if paths:
            record_step(session, user, catalog, paths)
        session.commit()
    except sa.exc.IntegrityError:
        # The same token submitted concurrently, should the insert still collide: the
        # first one recorded wins.
        existing = recorded_attempt(session, token)
        if existing is None:
            raise
        return existing, False
    return attempt, True


def mark_page_read(session: orm.Session, user: User, page: str,
                   catalog: Catalog | None = None) -> bool:
    """Record a page as read, and what it changes on `catalog`'s paths; False when it
    already was read (the paths with it are checked again all the same)."""
    paths = paths_with_step(catalog, "page", page) if catalog is not None else []
    if paths:
        lock_learner(session, user.id)
    created = insert_if_absent(session, PageRead.__table__,
                               {"user_id": user.id, "page": page, "read_at": utcnow()},
                               ["user_id", "page"])
    if paths:
        record_step(session, user, catalog, paths)
    session.commit()
    return created


def start_path(session: orm.Session, user: User, path_id: str) -> None:
    insert_if_absent(session, PathEnrollment.__table__,
                     {"user_id": user.id, "path_id": path_id, "started_at": utcnow()},
                     ["user_id", "path_id"])
    session.commit()


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
