"""Password hashing (Argon2) and the password rules, in one place."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    if not stored:
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str, email: str) -> str | None:
    """Why a password is refused, in French, or None."""
    if len(password) < MIN_LENGTH:
        return f"Le mot de passe doit contenir au moins {MIN_LENGTH} caractères."
    if len(password) > 256:
        return "Le mot de passe est trop long (256 caractères au plus)."
    local = email.split("@", 1)[0].lower()
    lowered = password.lower()
    if lowered == email.lower() or (len(local) >= 3 and local in lowered):
        return "Le mot de passe ne doit pas reprendre votre adresse e-mail."
    return None
