"""The app's JSON: orjson where it writes what the standard library writes, <, > and &
escaped in every response so that none can be read as markup.

Flask's provider uses the standard library's `json`, the largest part of answering
with a quiz. orjson writes the same text for the values the portal sends (compact
separators, sorted keys, non-ASCII characters as they are, the same escapes for
quotes, backslashes and control characters) several times faster. Everything else
goes through Flask's own code, so its output does not change: calls with other
arguments than the compact separators (indented output in debug mode, `tojson`),
and any value orjson refuses — datetimes, dataclasses, subclasses of built-in types
(passed through to fail here), non-string keys, integers beyond 64 bits, lone
surrogates. Two differences remain, neither of which the portal sends: orjson
writes 1e16 where `json` writes 1e+16 (the same number), and null for NaN and
infinities, where `json` writes NaN, which is not JSON.

Reading tries orjson first and falls back to `json` on any error, so that what was
accepted still is (NaN, UTF-16 bodies, a byte order mark…) with the same errors.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from flask.json.provider import DefaultJSONProvider

_OPTIONS = (orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
            | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS)
_COMPACT = {"separators": (",", ":")}


def _fails(_obj: Any) -> Any:
    raise TypeError  # anything orjson passes through: written by Flask's provider instead


def column_dumps(obj: Any) -> str:
    """JSON columns (attempts' results, answers): orjson, or the standard library for
    what orjson refuses. Compact, non-ASCII characters as they are; read back alike."""
    try:
        return orjson.dumps(obj).decode("utf-8")
    except TypeError:
        return json.dumps(obj, ensure_ascii=False)


def column_loads(text: str | bytes) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def escape_html(text: str) -> str:
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _escape_html_bytes(raw: bytes) -> bytes:
    return raw.replace(b"<", b"\\u003c").replace(b">", b"\\u003e").replace(b"&", b"\\u0026")


class HtmlSafeJSONProvider(DefaultJSONProvider):
    """JSON with <, > and & escaped, so no response can be read as markup."""

    ensure_ascii = False

    def _compact(self, obj: Any) -> bytes:
        try:
            raw = orjson.dumps(obj, default=_fails, option=_OPTIONS)
        except TypeError:  # orjson.JSONEncodeError is a TypeError
            raw = super().dumps(obj, **_COMPACT).encode("utf-8")
        return _escape_html_bytes(raw)

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if kwargs == _COMPACT:
            try:
                return _escape_html_bytes(orjson.dumps(obj, default=_fails, option=_OPTIONS)).decode("utf-8")
            except TypeError:
                pass
        return escape_html(super().dumps(obj, **kwargs))

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        if not kwargs:
            try:
                return orjson.loads(s)
            except orjson.JSONDecodeError:
                pass
        return super().loads(s, **kwargs)

    def response(self, *args: Any, **kwargs: Any):
        if (self.compact is None and self._app.debug) or self.compact is False:
            return super().response(*args, **kwargs)  # indented: the standard library's
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(self._compact(obj) + b"\n", mimetype=self.mimetype)
