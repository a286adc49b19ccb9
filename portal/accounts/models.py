"""Accounts: local (password) or created on first visit through the SSO header."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy import orm

from portal.db import Base

ROLES = ("learner", "pmo")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class User(Base):
    __tablename__ = "users"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    email: orm.Mapped[str] = orm.mapped_column(sa.String(254), unique=True, index=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(120))
    password_hash: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    role: orm.Mapped[str] = orm.mapped_column(sa.String(16), default="learner")
    team: orm.Mapped[str | None] = orm.mapped_column(sa.String(120), index=True)
    created_at: orm.Mapped[dt.datetime] = orm.mapped_column(default=utcnow, index=True)
    last_login_at: orm.Mapped[dt.datetime | None]

    __table_args__ = (sa.CheckConstraint("role IN ('learner', 'pmo')", name="role"),)
