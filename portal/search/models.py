"""The search log: every query, so the PMO sees what readers could not find."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy import orm

from portal.accounts.models import utcnow
from portal.db import Base


class SearchQuery(Base):
    __tablename__ = "search_queries"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    query: orm.Mapped[str] = orm.mapped_column(sa.String(500))
    normalized: orm.Mapped[str] = orm.mapped_column(sa.String(500), index=True)
    results: orm.Mapped[int]
    took_ms: orm.Mapped[float]
    user_id: orm.Mapped[int | None] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: orm.Mapped[dt.datetime] = orm.mapped_column(default=utcnow, index=True)


class SearchClick(Base):
    """A result opened from the search page: what readers found useful."""

    __tablename__ = "search_clicks"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    query_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey("search_queries.id", ondelete="CASCADE"), index=True
    )
    url: orm.Mapped[str] = orm.mapped_column(sa.String(500))
    created_at: orm.Mapped[dt.datetime] = orm.mapped_column(default=utcnow)
