"""Attempt tokens: signed by the server when a quiz is opened, never stored.

A token is `t1.` and 45 bytes in base64url, 63 characters (`attempts.token` holds
64): a random nonce (7 bytes; its first 4 give the seed of the order shown), the
issue time (milliseconds since 1970, UTC, 6 bytes), the learner's id (8 bytes), the
first 8 bytes of SHA-256 of the quiz id, and an HMAC-SHA256 of the prefix and all
of the above, cut to 16 bytes. The key is derived from the app's SECRET_KEY; the
keys of SECRET_KEY_FALLBACKS are accepted too, so rotating the key is as for
session cookies.

The standard library's `hmac` rather than itsdangerous (which Flask ships): its
signer appends a whole SHA-256 digest in base64 (43 characters) and a text
timestamp, which with the payload would not fit in 64 characters, and a fixed
binary layout is checked with one digest and one `compare_digest`.

Opening a quiz writes nothing. A submission checks the MAC, then the attempt
already recorded with the token (unique index on `attempts.token`): a token still
records one attempt. Tokens issued before this format, rows of `attempt_tokens`,
are read by `records.find_token`; none is written any more.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

PREFIX = "t1."
_NONCE, _TIME, _USER, _QUIZ, _MAC = 7, 6, 8, 8, 16
_SIGNED = _NONCE + _TIME + _USER + _QUIZ
_LENGTH = len(PREFIX) + (_SIGNED + _MAC) * 4 // 3  # 45 bytes: base64 without padding
_EPOCH = dt.datetime(1970, 1, 1)
_MS = dt.timedelta(milliseconds=1)
_KEY_LABEL = b"portal.learning.tokens: attempt token key, v1"


@dataclass(frozen=True)
class IssuedToken:
    """What a token says: who may submit it, for which quiz, since when, in which order.

    `quiz_digest` is the 8-byte digest of the quiz id for signed tokens; legacy tokens,
    read from the `attempt_tokens` table, know the quiz id itself (`quiz_id`).
    """

    token: str
    user_id: int
    seed: int
    issued_at: dt.datetime  # naive UTC, as every time stored by the portal
    quiz_digest: bytes = b""
    quiz_id: str | None = None

    def belongs_to(self, user_id: int, quiz_id: str) -> bool:
        if self.user_id != user_id:
            return False
        if self.quiz_id is not None:
            return self.quiz_id == quiz_id
        return hmac.compare_digest(self.quiz_digest, quiz_digest(quiz_id))


def quiz_digest(quiz_id: str) -> bytes:
    return hashlib.sha256(quiz_id.encode("utf-8")).digest()[:_QUIZ]


def is_signed(value: str) -> bool:
    """Whether `value` claims this format (legacy tokens never hold a dot)."""
    return value.startswith(PREFIX)


class TokenSigner:
    """Signs with the first key, reads with any of them (the current one, then fallbacks)."""

    def __init__(self, secret_key: str | bytes, fallbacks: Iterable[str | bytes] = ()) -> None:
        self._keys = [_derive(secret_key)] + [_derive(k) for k in fallbacks]

    def sign(self, user_id: int, quiz_id: str, issued_at: dt.datetime | None = None,
             nonce: bytes | None = None) -> IssuedToken:
        nonce = nonce if nonce is not None else secrets.token_bytes(_NONCE)
        issued_at = issued_at if issued_at is not None else dt.datetime.now(dt.UTC).replace(tzinfo=None)
        millis = (issued_at - _EPOCH) // _MS
        body = (nonce + millis.to_bytes(_TIME, "big") + user_id.to_bytes(_USER, "big", signed=True)
                + quiz_digest(quiz_id))
        mac = _mac(self._keys[0], body)
        token = PREFIX + base64.urlsafe_b64encode(body + mac).decode("ascii")
        return _issued(token, body)

    def read(self, value: str) -> IssuedToken | None:
        """The token's content, or None when it is not one of ours or its MAC is wrong."""
        if len(value) != _LENGTH or not is_signed(value):
            return None
        try:
            raw = base64.urlsafe_b64decode(value[len(PREFIX):])
        except (binascii.Error, ValueError):
            return None
        # urlsafe_b64decode drops characters outside the alphabet: demand the canonical form.
        if len(raw) != _SIGNED + _MAC or base64.urlsafe_b64encode(raw).decode("ascii") != value[len(PREFIX):]:
            return None
        body, mac = raw[:_SIGNED], raw[_SIGNED:]
        if not any(hmac.compare_digest(mac, _mac(key, body)) for key in self._keys):
            return None
        return _issued(value, body)


@functools.lru_cache(maxsize=8)
def signer_for(secret_key: str | bytes, fallbacks: tuple[str | bytes, ...] = ()) -> TokenSigner:
    """One signer per key set (a view asks on every request)."""
    return TokenSigner(secret_key, fallbacks)


def _derive(secret_key: str | bytes) -> bytes:
    """A key of its own for tokens, so that a token is never a valid cookie signature."""
    secret = secret_key.encode("utf-8") if isinstance(secret_key, str) else secret_key
    if not secret:
        raise ValueError("SECRET_KEY is empty: attempt tokens cannot be signed")
    return hmac.digest(secret, _KEY_LABEL, "sha256")


def _mac(key: bytes, body: bytes) -> bytes:
    return hmac.digest(key, PREFIX.encode("ascii") + body, "sha256")[:_MAC]


def _issued(token: str, body: bytes) -> IssuedToken:
    nonce = body[:_NONCE]
    at = _NONCE
    millis = int.from_bytes(body[at:at + _TIME], "big")
    at += _TIME
    user_id = int.from_bytes(body[at:at + _USER], "big", signed=True)
    at += _USER
    return IssuedToken(
        token=token, user_id=user_id, seed=int.from_bytes(nonce[:4], "big") >> 1,
        issued_at=_EPOCH + millis * _MS, quiz_digest=body[at:at + _QUIZ],
    )
