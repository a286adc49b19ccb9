"""What machine a benchmark ran on: printed with every figure."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import platform
import sqlite3
from pathlib import Path

import sqlalchemy as sa


def machine() -> dict[str, str]:
    memory = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    model = platform.processor() or "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpus": f"{os.cpu_count()} × {model}",
        "memory": memory,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sa.__version__,
        "platform": platform.platform(),
    }
