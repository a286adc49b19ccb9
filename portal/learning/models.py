"""Learning records: attempt tokens, attempts and answers, pages read, paths, certificates;
and the daily sums per question that the item analysis reads, with the attempts not yet
added to them (kept by `item_stats`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from portal.accounts.models import utcnow
from portal.db import Base


class AttemptToken(Base):
    """Issued when a learner opens a quiz: fixes the start time and the order shown."""

    __tablename__ = "attempt_tokens"

    token: orm.Mapped[str] = orm.mapped_column(sa.String(64), primary_key=True)
    user_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    quiz_id: orm.Mapped[str] = orm.mapped_column(sa.String(100))
    seed: orm.Mapped[int]
    issued_at: orm.Mapped[dt.datetime] = orm.mapped_column(default=utcnow)


class Attempt(Base):
    __tablename__ = "attempts"

    id: orm.Mapped[str] = orm.mapped_column(sa.String(32), primary_key=True)
    token: orm.Mapped[str] = orm.mapped_column(sa.String(64), unique=True)
    user_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    quiz_id: orm.Mapped[str] = orm.mapped_column(sa.String(100))
    quiz_hash: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    started_at: orm.Mapped[dt.datetime]
    submitted_at: orm.Mapped[dt.datetime] = orm.mapped_column(default=utcnow)
    score: orm.Mapped[float]
    max_score: orm.Mapped[float]
    percent: orm.Mapped[float]
    passed: orm.Mapped[bool]
    result: orm.Mapped[dict[str, Any]] = orm.mapped_column(sa.JSON)

    answers: orm.Mapped[list[Answer]] = orm.relationship(
        back_populates="attempt", cascade="all, delete-orphan", order_by="Answer.id"
    )

    __table_args__ = (
        sa.Index("ix_attempts_user_quiz", "user_id", "quiz_id"),
        sa.Index("ix_attempts_quiz_submitted", "quiz_id", "submitted_at"),
        # Covering indexes of the quiz report: pass rate, mean and median by quiz; each
        # learner's attempts in order (attempts to pass).
        sa.Index("ix_attempts_quiz_percent_passed", "quiz_id", "percent", "passed"),
        sa.Index("ix_attempts_quiz_user_submitted", "quiz_id", "user_id", "submitted_at", "id", "passed"),
    )


class Answer(Base):
    """One answer of an attempt, for the item analysis and the xAPI export: copied from
    the attempt's `result` when the item analysis catches up (`item_stats`), not
    written by the submission."""

    __tablename__ = "answers"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    attempt_id: orm.Mapped[str] = orm.mapped_column(
        sa.ForeignKey("attempts.id", ondelete="CASCADE"), index=True
    )
    question_id: orm.Mapped[str] = orm.mapped_column(sa.String(100))
    response: orm.Mapped[Any] = orm.mapped_column(sa.JSON)
    mark: orm.Mapped[float]
    max_mark: orm.Mapped[float]
    correct: orm.Mapped[bool]

    attempt: orm.Mapped[Attempt] = orm.relationship(back_populates="answers")


class ItemStatsDaily(Base):
    """Sums over one day's answers to one question: x = mark, y = rest of the attempt's score."""

    __tablename__ = "item_stats_daily"
    # Rebuilt from the answers, never backed up; on SQLite, the rows live in key order.
    __table_args__ = {"info": {"derived": True}, "sqlite_with_rowid": False}

    quiz_id: orm.Mapped[str] = orm.mapped_column(sa.String(100), primary_key=True)
    question_id: orm.Mapped[str] = orm.mapped_column(sa.String(100), primary_key=True)
    day: orm.Mapped[dt.date] = orm.mapped_column(primary_key=True)
    n: orm.Mapped[int]
    # Answers given as a list of choice ids: the whole that wrong-choice shares divide.
    n_choice_answers: orm.Mapped[int]
    max_mark: orm.Mapped[float]
    sum_x: orm.Mapped[float]
    sum_x2: orm.Mapped[float]
    sum_y: orm.Mapped[float]
    sum_y2: orm.Mapped[float]
    sum_xy: orm.Mapped[float]


class ChoicePicksDaily(Base):
    """How often each choice was picked in one day's wrong answers to one question."""

    __tablename__ = "choice_picks_daily"
    __table_args__ = {"info": {"derived": True}, "sqlite_with_rowid": False}

    # Key in the order the report groups by: quiz, question, choice (then the day).
    quiz_id: orm.Mapped[str] = orm.mapped_column(sa.String(100), primary_key=True)
    question_id: orm.Mapped[str] = orm.mapped_column(sa.String(100), primary_key=True)
    choice: orm.Mapped[str] = orm.mapped_column(sa.Text, primary_key=True)  # ids have no length limit
    day: orm.Mapped[dt.date] = orm.mapped_column(primary_key=True)
    n: orm.Mapped[int]


class ItemStatsPending(Base):
    """An attempt recorded but not yet added to the daily sums: `item_stats` adds it
    when a report is read, and deletes this row in the same transaction."""

    __tablename__ = "item_stats_pending"
    __table_args__ = {"info": {"derived": True}, "sqlite_with_rowid": False}

    attempt_id: orm.Mapped[str] = orm.mapped_column(
        sa.ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True
    )


class PageRead(Base):
    __tablename__ = "pages_read"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    user_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    page: orm.Mapped[str] = orm.mapped_column(sa.String(300))
    read_at: orm.Mapped[dt.datetime] = orm.mapped_column(default=utcnow, index=True)

    __table_args__ = (sa.UniqueConstraint("user_id", "page", name="uq_pages_read_user_page"),)


class PathEnrollment(Base):
    __tablename__ = "path_enrollments"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    user_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    path_id: orm.Mapped[str] = orm.mapped_column(sa.String(100), index=True)
    started_at: orm.Mapped[dt.datetime] = orm.mapped_column(default=utcnow)
    completed_at: orm.Mapped[dt.datetime | None]

    __table_args__ = (sa.UniqueConstraint("user_id", "path_id", name="uq_path_enrollments_user_path"),)


class Certificate(Base):
    __tablename__ = "certificates"

    code: orm.Mapped[str] = orm.mapped_column(sa.String(32), primary_key=True)
    user_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    path_id: orm.Mapped[str] = orm.mapped_column(sa.String(100))
    learner_name: orm.Mapped[str] = orm.mapped_column(sa.String(120))
    path_title: orm.Mapped[str] = orm.mapped_column(sa.String(200))
    issued_at: orm.Mapped[dt.datetime] = orm.mapped_column(default=utcnow)

    __table_args__ = (sa.UniqueConstraint("user_id", "path_id", name="uq_certificates_user_path"),)
