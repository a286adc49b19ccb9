"""Writing the search log (one row per query, never the results)."""

from __future__ import annotations

from sqlalchemy import orm

from .analysis import normalize_query
from .models import SearchClick, SearchQuery


def log_query(
    session: orm.Session, query: str, results: int, took_ms: float, user_id: int | None
) -> int:
    row = SearchQuery(
        query=query[:500],
        normalized=normalize_query(query),
        results=results,
        took_ms=round(took_ms, 3),
        user_id=user_id,
    )
    session.add(row)
    session.commit()
    return row.id


def log_click(session: orm.Session, query_id: int, url: str) -> None:
    if session.get(SearchQuery, query_id) is None:
        return
    session.add(SearchClick(query_id=query_id, url=url[:500]))
    session.commit()
