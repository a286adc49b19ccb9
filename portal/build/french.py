"""French formatting of dates and durations for readers."""

from __future__ import annotations

import datetime as dt

MONTHS = [
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
]


def long_date(value: dt.date) -> str:
    """`25 novembre 2026`; `1er` for the first of the month."""
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day}\u00a0{MONTHS[value.month - 1]} {value.year}"


def seconds(hms: str) -> int:
    hours, minutes, secs = (int(part) for part in hms.split(":"))
    return hours * 3600 + minutes * 60 + secs


def spoken_duration(hms: str) -> str:
    """`00:24:30` → `24 min 30 s`; `01:05:00` → `1 h 05 min`."""
    total = seconds(hms)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}\u00a0h\u00a0{minutes:02d}\u00a0min"
    if secs:
        return f"{minutes}\u00a0min\u00a0{secs:02d}\u00a0s"
    return f"{minutes}\u00a0min"
