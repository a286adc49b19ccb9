"""CPU per request of the quiz flow inside one process: no-op, open, submit.

    .venv/bin/python benchmarks/flow_cpu.py                          # SQLite, 400 attempts
    PORTAL_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_load \\
      .venv/bin/python benchmarks/flow_cpu.py --database postgresql  # drops and recreates the public schema
    .venv/bin/python benchmarks/flow_cpu.py --profile submit         # and cProfile's top functions

The steadier companion of `load.py` on a shared machine: no server, no client
threads, no background. The shipped site is built into a temporary var/; the app
(`create_app`, rate limits off) answers through Flask's test client, and each
request's CPU is the thread CPU time (`time.thread_time`) of the WSGI call alone,
the test client's own work left out. The no-op is `GET /api/health` without a
session, as `load.py` measures it; open and submit are a signed-in learner's
`GET /api/quizzes/<id>` and `POST /api/quizzes/<id>/attempts`, on quizzes without an
attempt limit, answers drawn as in `load.py`. The first fifth of the requests warms
up and is left out. It prints the median and the mean in ms, each kind in no-ops,
and 2 × no-op / (open + submit): the ratio `load.py` measures, when the server's
CPU is what limits it.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import load  # benchmarks/load.py, beside this script
from machine import machine

from portal import create_app
from portal.config import PROJECT_ROOT, Settings
from portal.migrations import upgrade

KINDS = ("noop", "open", "submit")


def measure(app, learners: int, attempts: int, profile: str, seed: int = 1):
    """CPU seconds per request of each kind, and the profile of one kind if asked."""
    inner = app.wsgi_app
    spent: list[float] = []

    def measured(environ, start_response):
        started = time.thread_time()
        try:
            return list(inner(environ, start_response))
        finally:
            spent.append(time.thread_time() - started)

    app.wsgi_app = measured
    catalog = app.extensions["portal.quizzes"].current()
    quizzes = sorted((q for q in catalog.quizzes.values() if not q.max_attempts), key=lambda q: q.id)
    rng = random.Random(seed)
    people = []
    for i in range(learners):
        client = app.test_client()
        csrf = client.get("/api/me").get_json()["csrf_token"]
        response = client.post("/register", data={"email": f"cpu{i}@example.com", "name": f"Apprenant {i}",
                                                  "password": load.PASSWORD, "csrf_token": csrf})
        if response.status_code != 302:
            raise RuntimeError(f"registration answered {response.status_code}")
        people.append((client, client.get("/api/me").get_json()["csrf_token"]))
    anonymous = app.test_client()
    profiler = cProfile.Profile() if profile else None
    times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    warm_up = attempts // 5

    def timed(kind: str, index: int, call):
        profiling = profiler is not None and kind == profile and index >= warm_up
        if profiling:
            profiler.enable()
        response = call()
        if profiling:
            profiler.disable()
        if index >= warm_up:
            times[kind].append(spent[-1])
        return response

    for index in range(attempts):
        client, csrf = people[index % len(people)]
        quiz = rng.choice(quizzes)
        timed("noop", index, lambda: anonymous.get("/api/health"))
        opened = timed("open", index, lambda c=client, q=quiz: c.get(f"/api/quizzes/{q.id}"))
        payload = {"token": opened.get_json()["token"],
                   "answers": load.make_answers(quiz, rng.uniform(0.25, 1), rng)}
        sent = timed("submit", index, lambda c=client, q=quiz, p=payload, h={"X-CSRFToken": csrf}:
                     c.post(f"/api/quizzes/{q.id}/attempts", json=p, headers=h))
        if sent.status_code != 201:
            raise RuntimeError(f"submission answered {sent.status_code}: {sent.get_data(as_text=True)[:200]}")
    return times, profiler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--attempts", type=int, default=400)
    parser.add_argument("--learners", type=int, default=20)
    parser.add_argument("--profile", choices=KINDS, default="")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="flow-cpu-") as folder:
        tmp = Path(folder)
        load.log("building the shipped site…")
        settings, _catalog = load.build_site(tmp)
        if args.database == "postgresql":
            url = os.environ.get("PORTAL_TEST_DATABASE_URL", "")
            if not url.startswith("postgresql"):
                load.log("--database postgresql needs PORTAL_TEST_DATABASE_URL (a database of its own)")
                return 2
            load.reset_postgres(url)
        else:
            url = f"sqlite:///{tmp / 'flow.db'}"
        upgrade(url)
        app_settings = Settings(root=PROJECT_ROOT, var_dir=settings.var_dir, site_dir=settings.site_dir,
                                database_url=url, secret_key=load.SECRET_KEY, rate_limits=False)
        app = create_app(app_settings)
        before = load.load_average()
        try:
            times, profiler = measure(app, args.learners, args.attempts, args.profile)
        finally:
            app.extensions["portal.engine"].dispose()
    noop = statistics.median(times["noop"])
    load.log(f"\n{args.database}: CPU per request inside the app (ms), {len(times['noop'])} of each")
    load.log(f"{'request':8s} {'median':>7s} {'mean':>7s} {'no-ops':>7s}")
    for kind in KINDS:
        values = times[kind]
        load.log(f"{kind:8s} {statistics.median(values) * 1000:7.2f} {statistics.mean(values) * 1000:7.2f} "
                 f"{statistics.median(values) / noop:7.2f}")
    flow = statistics.median(times["open"]) + statistics.median(times["submit"])
    load.log(f"2 × no-op / (open + submit): {2 * noop / flow:.2f} (goal of load.py: ≥ 0.5)")
    info = machine()
    load.log(f"machine: {info['cpus']}, {info['memory']}; {info['python']}; load average before {before}, "
             f"after {load.load_average()}; portal/ sha1 {load.code_fingerprint()}")
    if profiler is not None:
        load.log(f"\ncProfile of {args.profile}, by cumulative time:")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(40)
    return 0


if __name__ == "__main__":
    sys.exit(main())
