"""The app's JSON (`portal.json_provider`): orjson's output equal to the standard
library's, with <, > and & escaped and non-ASCII characters left as they are."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import json
import math
import uuid

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from portal.json_provider import HtmlSafeJSONProvider

COMPACT = {"separators": (",", ":")}


@pytest.fixture(scope="module")
def app():
    application = Flask(__name__)
    application.json = HtmlSafeJSONProvider(application)
    return application


def stdlib(obj, **kwargs) -> str:
    """What the provider wrote before orjson: Flask's provider, then the escapes."""
    kwargs = {"ensure_ascii": False, "sort_keys": True, **kwargs}
    text = json.dumps(obj, default=Flask(__name__).json.default, **kwargs)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# JSON values the portal sends: every character but lone surrogates, 64-bit integers.
scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**64 - 1)
           | st.text(st.characters(exclude_categories=["Cs"])))
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=30,
)


def test_markup_characters_are_escaped_and_accents_kept(app):
    body = {"prompt": "<script>alert('x')</script> & « écart » 🎓 \u2028", "b": ["a>b"]}
    with app.app_context():
        response = app.json.response(body)
        text = response.get_data(as_text=True)
    assert "<" not in text and ">" not in text and "&" not in text
    assert "\\u003cscript\\u003e" in text and "\\u0026" in text
    assert "« écart » 🎓 \u2028" in text
    assert text == stdlib(body, **COMPACT) + "\n"
    assert json.loads(text) == body


@settings(max_examples=300, deadline=None)
@given(values)
def test_the_output_is_the_standard_librarys(app, value):
    with app.app_context():
        assert app.json.dumps(value, **COMPACT) == stdlib(value, **COMPACT)
        assert app.json.response(value).get_data(as_text=True) == stdlib(value, **COMPACT) + "\n"


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_are_the_same_numbers(app, number):
    with app.app_context():
        assert json.loads(app.json.dumps({"percent": number}, **COMPACT))["percent"] == number


@pytest.mark.parametrize("value", [
    {"when": dt.datetime(2026, 11, 25, 21, 30)},  # Flask's HTTP date
    {"day": dt.date(2026, 11, 25)},
    [uuid.UUID(int=7), decimal.Decimal("1.10")],
    {"big": 2**70, "negative": -(2**64)},
    {1: "non-string keys"},
    Markup("<b>déjà</b>"),
    {"enum-like": True, "tuple": (1, 2)},
])
def test_what_orjson_does_not_write_alike_goes_through_flask(app, value):
    with app.app_context():
        assert app.json.dumps(value, **COMPACT) == stdlib(value, **COMPACT)


def test_dataclasses_go_through_flask(app):
    @dataclasses.dataclass
    class Step:
        ref: str
        done: bool

    with app.app_context():
        assert app.json.dumps({"s": Step("<a>", True)}, **COMPACT) == stdlib({"s": Step("<a>", True)}, **COMPACT)


def test_other_arguments_write_what_they_did(app):
    value = {"b": [1, "é<"], "a": None}
    with app.app_context():
        assert app.json.dumps(value) == stdlib(value)
        assert app.json.dumps(value, indent=2) == stdlib(value, indent=2)


def test_unserialisable_values_still_raise(app):
    with app.app_context(), pytest.raises(TypeError):
        app.json.dumps({"x": object()}, **COMPACT)


@pytest.mark.parametrize("raw", [
    b'{"token": "t1.abc", "answers": {"q": ["a"], "n": 0.8}}',
    '{"a": "é", "a": 2}',
    b"NaN",
    b'{"n": 1E400, "big": 123456789012345678901234567890}',
    '{"text": "caf\\u00e9 \\ud83c\\udf93"}',
    '"\\ud800"',
    "\ufeff{}".encode(),
    '{"a": [1, 2]}'.encode("utf-16"),
])
def test_reading_accepts_what_it_accepted(app, raw):
    with app.app_context():
        got = app.json.loads(raw)
    expected = json.loads(raw)
    assert repr(got) == repr(expected) or (isinstance(got, float) and math.isnan(got) and math.isnan(expected))


@pytest.mark.parametrize("raw", [b"{", b"", b'{"a": 1,}', b"\xff"])
def test_reading_refuses_what_it_refused(app, raw):
    with app.app_context(), pytest.raises(ValueError):
        app.json.loads(raw)
