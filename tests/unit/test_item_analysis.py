"""Facility and discrimination on a hand-checked data set."""

from __future__ import annotations

import pytest

from portal.reports.items import ItemSums, discrimination, facility, review_reasons


def sums(marks: list[float], rest: list[float]) -> ItemSums:
    return ItemSums(
        n=len(marks), max_mark=1.0, sum_x=sum(marks), sum_x2=sum(x * x for x in marks),
        sum_y=sum(rest), sum_y2=sum(y * y for y in rest), sum_xy=sum(x * y for x, y in zip(marks, rest, strict=True)),
    )


def test_facility_is_mean_mark_over_max_mark():
    assert facility(sums([1, 0, 0, 0], [4, 3, 2, 1])) == 0.25
    assert facility(sums([1, 1, 1, 0.5], [0, 0, 0, 0])) == 0.875


def test_discrimination_is_correlation_with_the_rest_of_the_score():
    # r = (4·4 − 1·10) / √((4·1 − 1)(4·30 − 100)) = 6 / √60
    assert discrimination(sums([1, 0, 0, 0], [4, 3, 2, 1])) == pytest.approx(6 / 60**0.5)
    # r = (4·7 − 3·8) / √((4·3 − 9)(4·22 − 64)) = 4 / √72
    assert discrimination(sums([1, 1, 1, 0], [4, 2, 1, 1])) == pytest.approx(4 / 72**0.5)
    assert discrimination(sums([1, 1, 0, 1], [4, 2, 2, 0])) == 0.0


def test_discrimination_is_undefined_without_variance():
    assert discrimination(sums([1, 1, 1], [3, 2, 1])) is None
    assert discrimination(sums([1], [3])) is None


def test_review_flags():
    assert review_reasons(0.97, 0.3) == ["trop facile"]
    assert review_reasons(0.1, 0.3) == ["trop difficile"]
    assert review_reasons(0.5, 0.05) == ["ne distingue pas les apprenants"]
    assert review_reasons(0.5, None) == []
