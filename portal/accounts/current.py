"""Who is signed in: the session cookie, or the trusted SSO header."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import wraps

import sqlalchemy as sa
from flask import abort, current_app, g, redirect, request, session, url_for

from portal import db
from portal.driver_sql import DriverStatement

from .models import User

_users = User.__table__
# Read at every signed-in request: on the driver's cursor (`DriverStatement`), as the
# columns are plain text and numbers.
_USER_BY_ID = DriverStatement(
    sa.select(_users.c.id, _users.c.email, _users.c.name, _users.c.role, _users.c.team,
              _users.c.password_hash).where(_users.c.id == sa.bindparam("id"))
)


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who is signed in, as a request sees them: read once per request and never written
    through (an ORM instance would cost more to build than the row costs to read)."""

    id: int
    email: str
    name: str
    role: str
    team: str | None

    @classmethod
    def of(cls, user: User | sa.Row) -> SignedIn:
        return cls(id=user.id, email=user.email, name=user.name, role=user.role, team=user.team)


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


def _load_user() -> SignedIn | None:
    """Who is signed in: the SSO header (header mode, from a trusted proxy) or the session,
    checked against the database."""
    settings = current_app.config["PORTAL"]
    if settings.auth == "header":
        identity = request.headers.get(settings.auth_header, "").strip()
        if identity and _from_trusted_proxy():
            from .service import user_from_header

            s = db.session()
            user = user_from_header(s, identity, request.headers.get(settings.team_header))
            s.commit()
            return SignedIn.of(user)
        # The header from anyone else is ignored: fall back to the session.
    user_id = session.get("user_id")
    if isinstance(user_id, int):
        # A driver row on the session's connection, not an ORM load through the session.
        row = _USER_BY_ID.execute(db.session().connection(), {"id": user_id})
        if row is not None:
            id_, email, name, role, team, password_hash = row
            if session.get("auth_version") == _auth_version(password_hash):
                return SignedIn(id=id_, email=email, name=name, role=role, team=team)
    return None


def _auth_version(password_hash: str | None) -> str:
    """Changes when the password changes, so old cookies stop working."""
    return (password_hash or "sso")[-16:]


def sign_in(user: User) -> None:
    session.clear()  # a new session at every sign-in
    session.permanent = True
    session["user_id"] = user.id
    session["auth_version"] = _auth_version(user.password_hash)


def sign_out() -> None:
    session.clear()


def current_user() -> SignedIn | None:
    """The signed-in person, read from the database on first use in a request (a request
    that never asks, such as the health check or a search, reads nothing)."""
    if "user" not in g:
        g.user = _load_user()
    return g.user


def claimed_user_id() -> int | None:
    """The learner id the signed session cookie names, not checked against the database.

    Only for what is checked again before anything is recorded or shown: an attempt
    token is signed for this id, and the submission verifies the learner (a token given
    to a cookie whose account is gone, or whose password changed since, records
    nothing). In header mode, and for anything else, `current_user()`.
    """
    if current_app.config["PORTAL"].auth == "header":
        return current_user_id()
    user_id = session.get("user_id")
    return user_id if isinstance(user_id, int) and session.get("auth_version") else None


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
