"""SQLite commits of quiz attempts: with the WAL checkpointed inside the commits (SQLite's
automatic checkpoint) or by the writer queue's thread (`sqlite_writer_queue.Checkpointer`).

    .venv/bin/python benchmarks/sqlite_commits.py [--attempts 3000] [--rounds 2]

The portal's schema (its migrations) on a fresh file in a temporary folder (`TMPDIR`:
put it on the disk you want to measure), one learner, then `--attempts` attempts written
one per transaction as a submission writes them (the attempt with a 6.5 kB result and its
queue row) by one thread, on a connection with the portal's pragmas (`portal.db`):

- `in-commit`: a plain `sqlite3` connection, so SQLite checkpoints the WAL inside the
  commit that takes it past 1,000 pages (what the portal did before);
- `thread`: a connection of the writer queue (`queued_connection_class`), so
  `wal_autocheckpoint=0` and the queue's thread checkpoints once a second at most.

Each mode runs `--rounds` times, in turn, on a fresh file. It prints the commit's
duration (p50, p99, max), the time spent in commits in all (what a writer holds the
queue for, while the other writers wait), the commits over 5 ms, and the attempts per
second. Figures only: nothing is checked.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import random
import secrets
import sqlite3
import string
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from portal.db import _sqlite_pragmas  # noqa: E402
from portal.migrations import upgrade  # noqa: E402
from portal.sqlite_writer_queue import queued_connection_class  # noqa: E402

COLUMNS = ("id", "token", "user_id", "quiz_id", "quiz_hash", "started_at", "submitted_at",
           "score", "max_score", "percent", "passed", "result")
INSERT = f"INSERT INTO attempts ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
QUEUE = "INSERT INTO item_stats_pending (attempt_id) VALUES (?)"


def result_json(rng: random.Random) -> str:
    """About 6.5 kB, like a real attempt's result: twelve questions with their texts."""
    def text(n: int) -> str:
        return "".join(rng.choice(string.ascii_lowercase + "     ") for _ in range(n))

    questions = [{"id": f"q{i}", "correct": rng.random() < 0.7, "mark": 1.0, "max_mark": 1.0,
                  "response": ["a"], "expected": ["a"], "explanation": text(420),
                  "reference": f"/guides/{text(12).strip()}/#{text(8).strip()}", "feedback": []}
                 for i in range(12)]
    return json.dumps({"score": 8.0, "max_score": 12.0, "percent": 66.67, "passed": True,
                       "questions": questions, "sections_to_review": []})


def run(mode: str, folder: Path, attempts: int, seed: int) -> dict[str, float]:
    database = folder / f"{mode}-{seed}.db"
    upgrade(f"sqlite:///{database}")
    if mode == "thread":
        factory = queued_connection_class(database, timeout=10)
        connection = sqlite3.connect(database, factory=factory, check_same_thread=False)
    else:
        connection = sqlite3.connect(database, check_same_thread=False)
    _sqlite_pragmas(connection, None)
    autocheckpoint = connection.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
    connection.execute("INSERT INTO users (email, name, role, created_at) "
                       "VALUES ('a@example.com', 'A', 'learner', '2026-12-07 00:00:00.000000')")
    connection.commit()
    rng = random.Random(seed)
    bodies = [result_json(rng) for _ in range(50)]
    commits: list[float] = []
    start = time.perf_counter()
    for i in range(attempts):
        now = dt.datetime(2026, 12, 7) + dt.timedelta(seconds=i)
        stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")
        attempt_id = secrets.token_hex(16)
        connection.execute(INSERT, (attempt_id, secrets.token_urlsafe(40), 1, f"quiz-{i % 8}",
                                    "h" * 64, stamp, stamp, 8.0, 12.0, 66.67, 1, bodies[i % 50]))
        connection.execute(QUEUE, (attempt_id,))
        before = time.perf_counter()
        connection.commit()
        commits.append(time.perf_counter() - before)
    elapsed = time.perf_counter() - start
    connection.close()
    commits.sort()
    return {"autocheckpoint": autocheckpoint, "p50": commits[len(commits) // 2] * 1e3,
            "p99": commits[int(len(commits) * 0.99)] * 1e3, "max": commits[-1] * 1e3,
            "total": sum(commits), "slow": sum(1 for c in commits if c > 0.005),
            "rate": attempts / elapsed}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attempts", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    print(f"{args.attempts} attempts per run, one writer, {args.rounds} rounds of each mode in turn")
    print(f"{'mode':10} {'autockpt':>8} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} "
          f"{'in commits s':>12} {'> 5 ms':>6} {'attempts/s':>10}")
    with tempfile.TemporaryDirectory(prefix="sqlite-commits-") as tmp:
        for round_ in range(args.rounds):
            for mode in ("in-commit", "thread"):
                r = run(mode, Path(tmp), args.attempts, seed=round_)
                print(f"{mode:10} {r['autocheckpoint']:>8} {r['p50']:>7.2f} {r['p99']:>7.2f} "
                      f"{r['max']:>7.1f} {r['total']:>12.2f} {r['slow']:>6} {r['rate']:>10.0f}")
    print(f"machine: {platform.platform()}; Python {platform.python_version()}, "
          f"SQLite {sqlite3.sqlite_version}; {time.strftime('%Y-%m-%d %H:%M')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
