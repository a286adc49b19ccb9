"""Item analysis of quiz questions, as LMS statistics do it: plain functions.

Facility index: mean mark / max mark. Discrimination index: Pearson correlation
between a question's mark and the rest of the attempt's score (the attempt score
minus that question), computed from sums gathered in SQL.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

FACILITY_HIGH = 0.95
FACILITY_LOW = 0.2
DISCRIMINATION_LOW = 0.1


@dataclass(frozen=True)
class ItemSums:
    """Sums over the attempts that answered one question: x = mark, y = rest of score."""

    n: int
    max_mark: float
    sum_x: float
    sum_x2: float
    sum_y: float
    sum_y2: float
    sum_xy: float


def facility(sums: ItemSums) -> float | None:
    if sums.n == 0 or sums.max_mark == 0:
        return None
    return sums.sum_x / (sums.n * sums.max_mark)


def discrimination(sums: ItemSums) -> float | None:
    """Pearson r between the mark and the rest of the score; None when undefined."""
    n = sums.n
    if n < 2:
        return None
    cov = n * sums.sum_xy - sums.sum_x * sums.sum_y
    var_x = n * sums.sum_x2 - sums.sum_x**2
    var_y = n * sums.sum_y2 - sums.sum_y**2
    if var_x <= 1e-12 or var_y <= 1e-12:
        return None
    return cov / math.sqrt(var_x * var_y)


def review_reasons(fac: float | None, disc: float | None) -> list[str]:
    reasons = []
    if fac is not None and fac > FACILITY_HIGH:
        reasons.append("trop facile")
    if fac is not None and fac < FACILITY_LOW:
        reasons.append("trop difficile")
    if disc is not None and disc < DISCRIMINATION_LOW:
        reasons.append("ne distingue pas les apprenants")
    return reasons
