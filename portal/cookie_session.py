"""The session cookie: Flask's signed cookie, re-signed when it changes or gets old.

Flask re-signs a permanent session's cookie on every response, so that its expiry
slides with activity; serialising and signing it is a good part of a small
request's cost. Here the cookie is sent again when the session changed or when it
was signed more than `REFRESH` ago: the session still lasts PORTAL_SESSION_HOURS
after the last activity (give or take `REFRESH`), and most responses carry no
cookie. The serializer is also built once per key instead of twice per request.

A cookie whose signature was checked is remembered, with what it holds, so that the
next requests that bring it (every request of a signed-in reader, until the cookie is
signed again) only check its age: checking the signature and decoding the payload
cost a tenth of a small request. Only valid cookies are remembered, at most
`VERIFIED` per process (the oldest forgotten first), keyed by the whole cookie and
the serializer of the current keys; and only sessions of plain values (text,
numbers, booleans), which no request can change in place for the next one.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

REFRESH = dt.timedelta(minutes=5)
VERIFIED = 4096
_PLAIN = (str, int, float, bool, type(None))


class CookieSessionInterface(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._serializers: dict[tuple, URLSafeTimedSerializer | None] = {}
        # (serializer, cookie) → (payload, signed at): cookies whose signature was valid.
        self._verified: dict[tuple, tuple[dict, dt.datetime]] = {}
        self._remembering = threading.Lock()

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if key not in self._serializers:
            self._serializers[key] = super().get_signing_serializer(app)
        return self._serializers[key]

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data, signed_at = self._load(serializer, value, max_age)
        except BadSignature:
            return self.session_class()
        session = self.session_class(data)
        session.signed_at = signed_at
        return session

    def _load(self, serializer: URLSafeTimedSerializer, value: str, max_age: int) -> tuple[dict, dt.datetime]:
        """`serializer.loads(value, max_age=…, return_timestamp=True)`, the signature checked
        once per cookie (see the module's docstring); BadSignature as it raises it."""
        key = (serializer, value)
        found = self._verified.get(key)
        if found is None:
            data, signed_at = serializer.loads(value, max_age=max_age, return_timestamp=True)
            if isinstance(data, dict) and all(isinstance(v, _PLAIN) for v in data.values()):
                with self._remembering:
                    if len(self._verified) >= VERIFIED:
                        del self._verified[next(iter(self._verified))]
                    self._verified[key] = (data, signed_at)
            return data, signed_at
        data, signed_at = found
        # As itsdangerous checks it: whole seconds, neither too old nor from the future.
        age = int(time.time()) - int(signed_at.timestamp())
        if age > max_age or age < 0:
            with self._remembering:
                self._verified.pop(key, None)
            raise SignatureExpired(f"Signature age {age} > {max_age} seconds")
        return data, signed_at

    def should_set_cookie(self, app: Flask, session: SecureCookieSession) -> bool:
        if session.modified:
            return True
        if not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return False
        signed_at = getattr(session, "signed_at", None)
        return signed_at is None or dt.datetime.now(dt.UTC) - signed_at >= REFRESH
