"""Signed attempt tokens (`portal.learning.tokens`), without Flask or a database."""

from __future__ import annotations

import base64
import datetime as dt
import re

import pytest

from portal.learning.tokens import PREFIX, TokenSigner, quiz_digest

SIGNER = TokenSigner("une-cle-de-test")
WHEN = dt.datetime(2026, 11, 25, 21, 30, 12, 345678)


def flip(token: str, index: int) -> str:
    """The token with one bit of its binary part changed, signature left as it was."""
    raw = bytearray(base64.urlsafe_b64decode(token[len(PREFIX):]))
    raw[index] ^= 0x01
    return PREFIX + base64.urlsafe_b64encode(bytes(raw)).decode("ascii")


def test_a_token_fits_the_attempts_column_and_says_what_it_was_issued_for():
    issued = SIGNER.sign(42, "pilotage-valeur-acquise", issued_at=WHEN)
    assert len(issued.token) <= 64 and re.fullmatch(r"t1\.[A-Za-z0-9_-]+", issued.token)
    read = SIGNER.read(issued.token)
    assert read == issued
    assert read.user_id == 42 and read.issued_at == WHEN.replace(microsecond=345000)
    assert read.belongs_to(42, "pilotage-valeur-acquise")
    assert not read.belongs_to(43, "pilotage-valeur-acquise")
    assert not read.belongs_to(42, "fondamentaux-pmo")
    assert len(read.quiz_digest) == 8 and read.quiz_digest == quiz_digest("pilotage-valeur-acquise")


def test_each_token_is_new_and_its_seed_comes_from_its_nonce():
    tokens = [SIGNER.sign(1, "quiz", issued_at=WHEN) for _ in range(200)]
    assert len({t.token for t in tokens}) == 200
    assert all(0 <= t.seed < 2**31 for t in tokens)
    assert len({t.seed for t in tokens}) > 190
    fixed = SIGNER.sign(1, "quiz", issued_at=WHEN, nonce=bytes(range(7)))
    assert fixed.seed == int.from_bytes(bytes(range(4)), "big") >> 1


def test_every_changed_bit_is_refused():
    token = SIGNER.sign(7, "quiz", issued_at=WHEN).token
    for index in range(45):  # nonce, issue time, learner, quiz, signature
        assert SIGNER.read(flip(token, index)) is None, index


def test_a_token_signed_with_another_key_is_refused():
    token = TokenSigner("une-autre-cle").sign(7, "quiz").token
    assert SIGNER.read(token) is None


def test_a_token_of_the_previous_key_is_read_during_a_rotation():
    old = TokenSigner("ancienne-cle").sign(7, "quiz").token
    rotated = TokenSigner("nouvelle-cle", fallbacks=["ancienne-cle"])
    assert rotated.read(old).user_id == 7
    assert TokenSigner("ancienne-cle").read(rotated.sign(7, "quiz").token) is None  # signed with the new one


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-1],  # too short
    lambda t: t + "A",  # too long
    lambda t: "t2." + t[3:],  # another version
    lambda t: t.replace("-", "+").replace("_", "/") if ("-" in t or "_" in t) else t[:-1] + "+",  # other alphabet
    lambda t: t[:10] + "é" + t[11:],  # not ASCII
    lambda t: t[:10] + "=" + t[11:],  # padding inside
    lambda t: "",
])
def test_malformed_tokens_are_refused(mangle):
    token = SIGNER.sign(7, "quiz", issued_at=WHEN).token
    assert SIGNER.read(mangle(token)) is None


def test_an_empty_secret_key_cannot_sign():
    with pytest.raises(ValueError):
        TokenSigner("")
