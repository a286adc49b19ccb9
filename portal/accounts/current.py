"""Who is signed in: the session cookie, or the trusted SSO header."""

from __future__ import annotations

import ipaddress
from functools import wraps

import sqlalchemy as sa
from flask import abort, current_app, g, redirect, request, session, url_for

from portal import db

from .models import User

_USER_BY_ID = sa.select(User.__table__).where(User.__table__.c.id == sa.bindparam("id"))


def _from_trusted_proxy() -> bool:
    settings = current_app.config["PORTAL"]
    try:
        remote = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    for entry in settings.trusted_proxies:
        try:
            if remote in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_address() -> str:
    """The reader's address: behind a trusted proxy, the last hop it added to X-Forwarded-For."""
    remote = request.remote_addr or ""
    forwarded = request.headers.get("X-Forwarded-For", "")
    if forwarded and _from_trusted_proxy():
        return forwarded.split(",")[-1].strip() or remote
    return remote


def load_user() -> None:
    """before_request: set g.user from the SSO header (header mode) or the session."""
    g.user = None
    settings = current_app.config["PORTAL"]
    if settings.auth == "header":
        identity = request.headers.get(settings.auth_header, "").strip()
        if identity and _from_trusted_proxy():
            from .service import user_from_header

            s = db.session()
            user = user_from_header(s, identity, request.headers.get(settings.team_header))
            s.commit()
            g.user = user
            return
        # The header from anyone else is ignored: fall back to the session.
    user_id = session.get("user_id")
    if isinstance(user_id, int):
        # Read as a row, not loaded into the session: every signed-in request does this, and
        # nothing writes through g.user (a third of the cost of an ORM load).
        row = db.session().execute(_USER_BY_ID, {"id": user_id}).first()
        if row is not None and session.get("auth_version") == _auth_version(row):
            g.user = User(**row._mapping)


def _auth_version(user: User | sa.Row) -> str:
    """Changes when the password changes, so old cookies stop working."""
    return (user.password_hash or "sso")[-16:]


def sign_in(user: User) -> None:
    session.clear()  # a new session at every sign-in
    session.permanent = True
    session["user_id"] = user.id
    session["auth_version"] = _auth_version(user)


def sign_out() -> None:
    session.clear()


def current_user() -> User | None:
    return g.get("user")


def current_user_id() -> int | None:
    user = current_user()
    return user.id if user is not None else None


def login_required(view):
    """Anonymous: 401 JSON under /api/, else a redirect to the sign-in page."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_user() is None:
            if request.path.startswith("/api/"):
                abort(401)
            return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def pmo_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        user = current_user()
        if user is None or user.role != "pmo":
            abort(403)
        return view(*args, **kwargs)

    return wrapped
