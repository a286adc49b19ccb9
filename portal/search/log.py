"""Writing the search log (one row per query, never the results)."""

from __future__ import annotations

from sqlalchemy import orm

from .analysis import normalize_query
from .models import SearchQuery


def log_query(
    session: orm.Session, query: str, results: int, took_ms: float, user_id: int | None
) -> None:
    session.add(
        SearchQuery(
            query=query[:500],
            normalized=normalize_query(query),
            results=results,
            took_ms=round(took_ms, 3),
            user_id=user_id,
        )
    )
    session.commit()
