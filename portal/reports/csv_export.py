"""CSV for Excel in French: UTF-8 with BOM, `;` separator, formulas neutralised."""

from __future__ import annotations

import csv
import io
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A typed value can't start a spreadsheet formula: prefix it with a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    return value


def to_csv(columns: list[tuple[str, str]], rows: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([label for _key, label in columns])
    for row in rows:
        writer.writerow([safe_cell(row.get(key)) for key, _label in columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
