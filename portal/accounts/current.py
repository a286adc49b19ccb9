"""Who is signed in, from the session cookie."""

from __future__ import annotations

from flask import session


def current_user_id() -> int | None:
    value = session.get("user_id")
    return value if isinstance(value, int) else None
