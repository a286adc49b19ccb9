"""Writes and look-ups of accounts: registration, sign-in, header sign-on."""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy import orm

from .models import ROLES, User, utcnow
from .passwords import hash_password, password_problem, verify_password

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


class AccountError(ValueError):
    """A refused registration or sign-in; the message is for the person."""


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(session: orm.Session, email: str) -> User | None:
    return session.scalar(sa.select(User).where(User.email == normalize_email(email)))


def create_user(
    session: orm.Session,
    email: str,
    name: str,
    password: str | None,
    role: str = "learner",
    team: str | None = None,
    allowed_domains: list[str] | None = None,
) -> User:
    email = normalize_email(email)
    name = name.strip()
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise AccountError("Adresse e-mail invalide.")
    if allowed_domains and email.rsplit("@", 1)[1] not in [d.lower() for d in allowed_domains]:
        raise AccountError(
            "Les inscriptions sont réservées aux adresses des domaines : "
            + ", ".join(allowed_domains) + "."
        )
    if not name or len(name) > 120:
        raise AccountError("Indiquez votre nom (120 caractères au plus).")
    if role not in ROLES:
        raise AccountError(f"Rôle inconnu « {role} » : learner ou pmo.")
    if password is not None:
        problem = password_problem(password, email)
        if problem:
            raise AccountError(problem)
    if find_by_email(session, email) is not None:
        raise AccountError("Un compte existe déjà pour cette adresse.")
    user = User(
        email=email,
        name=name,
        password_hash=hash_password(password) if password is not None else None,
        role=role,
        team=(team or "").strip()[:120] or None,
    )
    session.add(user)
    try:
        session.flush()
    except sa.exc.IntegrityError:  # the same address registered at the same moment
        raise AccountError("Un compte existe déjà pour cette adresse.") from None
    return user


def authenticate(session: orm.Session, email: str, password: str) -> User | None:
    user = find_by_email(session, email)
    if user is None or not verify_password(user.password_hash, password):
        return None
    user.last_login_at = utcnow()
    return user


def user_from_header(session: orm.Session, identity: str, team: str | None) -> User:
    """The account named by the trusted SSO header, created on first visit."""
    email = normalize_email(identity)
    if "@" not in email:
        email = f"{email}@sso.invalid"
    user = find_by_email(session, email)
    if user is None:
        name = identity.split("@", 1)[0].replace(".", " ").title()[:120] or email
        user = User(email=email[:254], name=name, password_hash=None, role="learner")
        session.add(user)
    if team:
        user.team = team.strip()[:120]
    user.last_login_at = utcnow()
    session.flush()
    return user
