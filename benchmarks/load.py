"""Load benchmark: learners registering and taking quizzes through a real server.

    .venv/bin/python benchmarks/load.py                          # 200 learners × 20 attempts, SQLite
    .venv/bin/python benchmarks/load.py --quick                  # 20 learners × 5 attempts
    .venv/bin/python benchmarks/load.py --database postgresql    # PORTAL_TEST_DATABASE_URL
    .venv/bin/python benchmarks/load.py --learners 500 --attempts 10 --workers 8

It builds the shipped site into a temporary var/ (`portal.build.pipeline.build`),
starts `pmo-portal serve --workers N` on a free loopback port with a fresh
database (a SQLite file, or PostgreSQL with its public schema dropped and created
again) and PORTAL_RATE_LIMITS=false. Client threads (standard library only:
`http.client`, one keep-alive connection and one cookie jar per learner) then
register every learner and make each one take M quizzes (open the quiz: a
single-use signed token; submit answers, some right and some wrong), while other threads
search and read pages. The quiz phase runs in slices (8 by default), with a burst
of requests to a no-op endpoint (GET /api/health) of the same server, under the
same concurrency, before each slice and after the last, so that both rates are
measured over the same minutes of a machine whose speed drifts. The no-op is then
measured once more with the background searches and page reads, and a static file.
Every phase is bounded in requests and in time and stops by itself.

Afterwards it reads the database directly: exactly the acknowledged attempts,
no duplicate token, every attempt with all its answers (after the item analysis's
catch-up, which copies them from the attempts' results), each attempt owned by the
learner who got it, with the score the client computes for the answers it sent.
It prints throughput and latency (p50/p95/p99) per kind of request, the ratio of
the submission rate to the no-op rate (goal: at least one half), the machine and
the date. The test suite imports this module (tests/integration/test_load_and_crash.py).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import http.cookies
import json
import math
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import server_cpu  # benchmarks/server_cpu.py, beside this script
import sqlalchemy as sa
import yaml
from machine import machine  # benchmarks/machine.py, beside this script

from portal.build.generations import current_generation
from portal.config import PROJECT_ROOT, Settings
from portal.learning.quizzes import Catalog, Quiz, load_catalog
from portal.learning.scoring import expected_answer, grade_attempt

HOST = "127.0.0.1"
SECRET_KEY = "banc-de-charge-du-portail"
PASSWORD = "Charge-du-portail-2026"
NETWORK_ERRORS = (OSError, http.client.HTTPException)

# -- HTTP client (standard library) ----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body)


class HttpClient:
    """One keep-alive connection and its cookies: one browser, not thread-safe.

    A connection idle for more than `idle` seconds is replaced before use, as gunicorn
    closes idle keep-alive connections after 2 s (its `keepalive` default).
    """

    def __init__(self, port: int, timeout: float = 60.0, idle: float = 1.5) -> None:
        self.port = port
        self.timeout = timeout
        self.idle = idle
        self.cookies: dict[str, str] = {}
        self.retries = 0
        self._conn: http.client.HTTPConnection | None = None
        self._reused = False
        self._last_used = 0.0

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self._reused = False

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def _store_cookies(self, headers: http.client.HTTPMessage) -> None:
        for raw in headers.get_all("Set-Cookie") or []:
            jar = http.cookies.SimpleCookie()
            jar.load(raw)
            for name, morsel in jar.items():
                if morsel.value == "" or morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> Response:
        sent = {"Host": f"{HOST}:{self.port}", "Accept": "*/*", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        while True:
            if self._conn is not None and time.monotonic() - self._last_used > self.idle:
                self.close()
            if self._conn is None:
                self._conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
                self._reused = False
            reused = self._reused
            start = time.perf_counter()
            try:
                self._conn.request(method, path, body=body, headers=sent)
                response = self._conn.getresponse()
                data = response.read()
            except NETWORK_ERRORS:
                self.close()
                # A keep-alive connection the server closed while idle: send again once,
                # on a new connection. (Quiz submissions are idempotent by their token.)
                if reused:
                    self.retries += 1
                    continue
                raise
            seconds = time.perf_counter() - start
            self._reused = True
            self._last_used = time.monotonic()
            self._store_cookies(response.headers)
            if response.will_close:
                self.close()
            return Response(response.status, response.headers, data, seconds)

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post_form(self, path: str, fields: dict[str, str]) -> Response:
        body = urllib.parse.urlencode(fields).encode()
        return self.request("POST", path, body,
                            {"Content-Type": "application/x-www-form-urlencoded"})

    def post_json(self, path: str, payload: Any, csrf: str) -> Response:
        body = json.dumps(payload).encode()
        return self.request("POST", path, body,
                            {"Content-Type": "application/json", "X-CSRFToken": csrf})


# -- measurements -----------------------------------------------------------------------------


class Recorder:
    """Every response (status, latency) and every network error, by kind of request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, Counter] = defaultdict(Counter)
        self.errors: dict[str, Counter] = defaultdict(Counter)
        self.server_errors: list[str] = []

    def add(self, kind: str, method: str, path: str, response: Response) -> None:
        with self._lock:
            self.latencies[kind].append(response.seconds)
            self.statuses[kind][response.status] += 1
            if response.status >= 500:
                self.server_errors.append(
                    f"{response.status} {method} {path}: {response.body[:300]!r}")

    def error(self, kind: str, exc: BaseException) -> None:
        with self._lock:
            self.errors[kind][type(exc).__name__] += 1

    def count(self, kind: str) -> int:
        return sum(self.statuses[kind].values())

    def count_5xx(self) -> int:
        return sum(n for c in self.statuses.values() for s, n in c.items() if s >= 500)

    def total_errors(self) -> int:
        return sum(sum(c.values()) for c in self.errors.values())


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


# -- where the CPU goes ------------------------------------------------------------------------


@dataclass
class CpuSample:
    """CPU seconds used so far, by whom (Linux /proc; zeros elsewhere)."""

    wall: float
    client: float
    server: float
    postgres: float
    machine: float

    def __sub__(self, other: CpuSample) -> CpuSample:
        return CpuSample(*(getattr(self, f) - getattr(other, f) for f in
                           ("wall", "client", "server", "postgres", "machine")))

    def __add__(self, other: CpuSample) -> CpuSample:
        return CpuSample(*(getattr(self, f) + getattr(other, f) for f in
                           ("wall", "client", "server", "postgres", "machine")))


def add_cpu(cpu: dict[str, CpuSample], phase: str, used: CpuSample) -> None:
    """Adds `used` to what `phase` used so far (a phase in several parts: slices, bursts)."""
    cpu[phase] = cpu[phase] + used if phase in cpu else used


class CpuMeter:
    """Samples the CPU time of this client, of the server's process group (gunicorn's
    master and workers), of every PostgreSQL process and of the whole machine, so that
    a phase's figures say whether the server, the client or something else had the CPUs."""

    def __init__(self, server_pgid: int | None) -> None:
        self.server_pgid = server_pgid
        self.tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def sample(self) -> CpuSample:
        own = os.times()
        server = postgres = 0.0
        for name, fields in processes():
            used = (int(fields[11]) + int(fields[12])) / self.tick  # utime + stime
            if self.server_pgid is not None and int(fields[2]) == self.server_pgid:
                server += used
            elif name == "postgres":
                postgres += used
        return CpuSample(time.monotonic(), own.user + own.system, server, postgres,
                         machine_busy_seconds(self.tick))


def machine_busy_seconds(tick: int) -> float:
    """CPU seconds all cores spent on anything but idle and iowait since boot."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return (sum(values[:8]) - values[3] - values[4]) / tick
    return 0.0


def cpu_line(label: str, used: CpuSample | None, requests: int) -> str:
    """Who used the CPUs during a phase, and the server's CPU time per request."""
    if used is None or used.wall <= 0:
        return f"{label:<24} (no measure)"
    cores = os.cpu_count() or 1
    other = max(0.0, used.machine - used.client - used.server - used.postgres)
    per_request = 1000 * (used.server + used.postgres) / requests if requests else math.nan
    return (f"{label:<24} {used.wall:>6.1f} s  machine {100 * used.machine / (cores * used.wall):>3.0f} %"
            f" of {cores} cores; client {used.client / used.wall:>4.2f} core, server "
            f"{used.server / used.wall:>4.2f}, PostgreSQL {used.postgres / used.wall:>4.2f}, "
            f"other processes {other / used.wall:>4.2f}; server+database CPU "
            f"{per_request:.2f} ms per request")


def server_cpu_lines(sums: dict[str, tuple[int, float, float]]) -> str:
    """The CPU of each kind of request in the server's handling threads (`server_cpu.py`),
    in ms and in no-ops, and the ratio it allows: what the server's own work costs,
    whatever the client and the rest of the machine do."""
    lines = ["CPU per request in the server's handling threads (ms; the parsing of its headers, "
             "gunicorn's poller thread and the master not included):",
             f"{'kind':<8} {'requests':>9} {'handling':>9} {'app':>7} {'in no-ops':>10}"]
    noop = sums.get("noop", (0, 0.0, 0.0))
    noop_ms = 1000 * noop[1] / noop[0] if noop[0] and noop[1] else math.nan
    per: dict[str, float] = {}
    for kind in server_cpu.KINDS:
        n, handling, app = sums.get(kind, (0, 0.0, 0.0))
        if not n:
            continue
        per[kind] = 1000 * handling / n
        lines.append(f"{kind:<8} {n:>9} {per[kind]:>9.3f} {1000 * app / n:>7.3f} "
                     f"{per[kind] / noop_ms:>10.2f}")
    if per.get("open") and per.get("submit"):
        lines.append(f"ratio these costs allow, 2 × no-op / (open + submit): "
                     f"{2 * noop_ms / (per['open'] + per['submit']):.2f}")
    return "\n".join(lines)


# -- the server ------------------------------------------------------------------------------


class Server:
    """`pmo-portal serve` in its own process group, its output in a log file."""

    def __init__(self, var_dir: Path, site_dir: Path, database_url: str, workers: int,
                 log_path: Path, port: int | None = None, cpu_folder: Path | None = None,
                 threads: int | None = None) -> None:
        self.var_dir, self.site_dir = Path(var_dir), Path(site_dir)
        self.cpu_folder = cpu_folder  # run through server_cpu.py, its sums written there
        self.database_url = database_url
        self.workers = workers
        self.threads = threads  # None: `pmo-portal serve`'s default
        self.log_path = Path(log_path)
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None
        self._log = None

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout: float = 90.0) -> Server:
        env = {
            **os.environ,
            "PORTAL_ROOT": str(PROJECT_ROOT),
            "PORTAL_VAR_DIR": str(self.var_dir),
            "PORTAL_SITE_DIR": str(self.site_dir),
            "PORTAL_DATABASE_URL": self.database_url,
            "PORTAL_SECRET_KEY": SECRET_KEY,
            "PORTAL_RATE_LIMITS": "false",
        }
        command = [str(Path(sys.executable).with_name("pmo-portal")), "serve", "--host", HOST,
                   "--port", str(self.port), "--workers", str(self.workers)]
        if self.threads is not None:
            command += ["--threads", str(self.threads)]
        if self.cpu_folder is not None:
            command[:1] = [sys.executable, str(Path(__file__).with_name("server_cpu.py")),
                           str(self.cpu_folder)]
        self._log = open(self.log_path, "ab")  # noqa: SIM115 -- closed in stop()/kill()
        self.process = subprocess.Popen(
            command, env=env, stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._close_log()
                raise RuntimeError(f"the server stopped at start-up:\n{self.log_tail()}")
            try:
                with HttpClient(self.port, timeout=5) as client:
                    if client.get("/api/health").status == 200 and self._all_workers_up():
                        return self
            except NETWORK_ERRORS:
                pass
            time.sleep(0.2)
        self.kill()
        raise RuntimeError(f"the server did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def _all_workers_up(self) -> bool:
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return text.count("Booting worker with pid") >= self.workers * self.starts()

    def starts(self) -> int:
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return max(1, text.count("Starting gunicorn"))

    def stop(self, timeout: float = 30.0, graceful: bool = True) -> None:
        """SIGTERM (graceful) or SIGINT (quick shutdown), then SIGKILL for the whole
        group if it lingers."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM if graceful else signal.SIGINT)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # any worker left behind
        self.process = None
        self._close_log()

    def kill(self) -> None:
        """kill -9 of the master and of every worker (the whole process group)."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self._wait_group_gone(self.process.pid)
        self.process = None
        self._close_log()

    @staticmethod
    def _wait_group_gone(pgid: int, timeout: float = 10.0) -> None:
        """Until no process of the group is alive (zombies waiting for init count as gone)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and group_alive(pgid):
            time.sleep(0.02)

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def log_problems(self) -> list[str]:
        """Tracebacks and worker timeouts in the server's output."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
        problems = []
        lines = text.splitlines()
        for i, line in enumerate(lines):
            if "Traceback" in line or "WORKER TIMEOUT" in line or "[ERROR]" in line:
                problems.append("\n".join(lines[max(0, i - 1): i + 25]))
        return problems

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()


def group_alive(pgid: int) -> bool:
    """Whether a live (not zombie) process belongs to the process group `pgid`."""
    if not Path("/proc").is_dir():  # not Linux: zombies count as alive
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True
    return any(int(fields[2]) == pgid and fields[0] != "Z" for _name, fields in processes())


def processes():
    """(command name, fields after it: state, ppid, pgrp, …) of every process in /proc;
    nothing where there is no /proc."""
    proc = Path("/proc")
    if not proc.is_dir():
        return
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        yield stat[stat.index("(") + 1: stat.rindex(")")], stat[stat.rindex(")") + 2:].split()


# -- sites, databases and answers -----------------------------------------------------------


def build_site(tmp: Path) -> tuple[Settings, Catalog]:
    """The shipped content, built with the project's pipeline into tmp/var."""
    from portal.build.pipeline import build

    settings = Settings(root=PROJECT_ROOT, var_dir=tmp / "var", site_dir=tmp / "site",
                        database_url=f"sqlite:///{tmp / 'unused.db'}", secret_key=SECRET_KEY)
    build(settings)
    return settings, site_catalog(settings.var_dir)


def site_catalog(var_dir: Path) -> Catalog:
    generation = current_generation(Path(var_dir))
    if generation is None:
        raise RuntimeError(f"no built site in {var_dir}")
    return load_catalog(generation)


def reset_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def other_sessions(url: str) -> int:
    """Other connections to the same PostgreSQL database (a concurrent benchmark?)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(sa.text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )) or 0
    finally:
        engine.dispose()


def wrong_answer(question: dict[str, Any], rng: random.Random) -> Any:
    kind, right = question["type"], expected_answer(question)
    if kind == "numeric":
        return float(right) + float(question.get("tolerance", 0)) + rng.choice([1, 7, 50])
    if kind == "true_false":
        return ["false" if right == ["true"] else "true"]
    if kind == "ordering":
        shown = list(right)
        while shown == right:
            rng.shuffle(shown)
        return shown
    wrong = [c["id"] for c in question["choices"] if not c.get("correct")]
    if kind == "single":
        return [rng.choice(wrong)]
    # multiple: one right choice dropped, or one wrong choice added
    if len(right) > 1 and (not wrong or rng.random() < 0.5):
        return right[1:]
    return right + [rng.choice(wrong)]


def make_answers(quiz: Quiz, skill: float, rng: random.Random) -> dict[str, Any]:
    """Each question answered right with probability `skill`, else wrong."""
    return {
        q["id"]: expected_answer(q) if rng.random() < skill else wrong_answer(q, rng)
        for q in quiz.questions
    }


def quiz_plan(catalog: Catalog, attempts: int, rng: random.Random) -> list[Quiz]:
    """`attempts` quizzes for one learner, never more than a quiz's max_attempts."""
    used: Counter = Counter()
    quizzes = sorted(catalog.quizzes.values(), key=lambda q: q.id)
    plan = []
    for _ in range(attempts):
        open_ = [q for q in quizzes if not q.max_attempts or used[q.id] < q.max_attempts]
        quiz = rng.choice(open_)
        used[quiz.id] += 1
        plan.append(quiz)
    return plan


@dataclass(frozen=True)
class PlannedAttempt:
    """One attempt as the client will make it: the answers it sends, the score it
    expects back, and whether it sends the same token again afterwards."""

    quiz: Quiz
    answers: dict[str, Any]
    score: float
    replay: bool


def attempt_plan(catalog: Catalog, attempts: int, rng: random.Random,
                 replay_share: float) -> list[PlannedAttempt]:
    """A learner's `attempts` attempts, drawn and graded before the quiz phase starts, so
    that the client's own work during the phase is only the HTTP exchanges and their checks."""
    plan = []
    for quiz in quiz_plan(catalog, attempts, rng):
        answers = make_answers(quiz, rng.choice([0.25, 0.5, 0.75, 0.9, 1.0]), rng)
        plan.append(PlannedAttempt(quiz, answers, grade_attempt(quiz, answers).score,
                                   rng.random() < replay_share))
    return plan


# -- learners --------------------------------------------------------------------------------


class LoadError(Exception):
    """A response the load did not expect (status and body are in the message)."""


@dataclass
class Ack:
    """A submission the server acknowledged with a 2xx."""

    attempt_id: str
    email: str
    quiz_id: str
    token: str
    score: float


class Learner:
    """One person: their own connection, cookies and CSRF token."""

    def __init__(self, port: int, email: str, name: str, recorder: Recorder) -> None:
        self.client = HttpClient(port)
        self.email, self.name = email, name
        self.recorder = recorder
        self.csrf = ""

    def close(self) -> None:
        self.client.close()

    def call(self, kind: str, method: str, path: str, send) -> Response:
        try:
            response = send()
        except NETWORK_ERRORS as exc:
            self.recorder.error(kind, exc)
            raise
        self.recorder.add(kind, method, path, response)
        return response

    def refresh_csrf(self, kind: str = "register") -> dict:
        response = self.call(kind, "GET", "/api/me", lambda: self.client.get("/api/me"))
        if response.status != 200:
            raise LoadError(f"GET /api/me: {response.status} {response.body[:200]!r}")
        body = response.json()
        self.csrf = body["csrf_token"]
        return body

    def register(self) -> None:
        self.refresh_csrf()
        fields = {"email": self.email, "name": self.name, "password": PASSWORD,
                  "csrf_token": self.csrf}
        response = self.call("register", "POST", "/register",
                             lambda: self.client.post_form("/register", fields))
        if response.status != 302:
            raise LoadError(f"POST /register {self.email}: {response.status} "
                            f"{response.body[:300]!r}")
        if self.refresh_csrf()["user"] is None:  # sign-in starts a new session
            raise LoadError(f"{self.email} is not signed in after registering")

    def open_quiz(self, quiz_id: str) -> str:
        path = f"/api/quizzes/{quiz_id}"
        response = self.call("open", "GET", path, lambda: self.client.get(path))
        body = response.json() if response.status == 200 else {}
        if not body.get("token"):
            raise LoadError(f"GET {path} ({self.email}): {response.status} {response.body[:300]!r}")
        return body["token"]

    def submit(self, quiz_id: str, token: str, answers: dict, kind: str = "submit") -> Response:
        path = f"/api/quizzes/{quiz_id}/attempts"
        payload = {"token": token, "answers": answers}
        return self.call(kind, "POST", path, lambda: self.client.post_json(path, payload, self.csrf))

    def result_page(self, quiz_id: str, attempt_id: str, kind: str = "owner") -> Response:
        path = f"/quiz/{quiz_id}/resultats/{attempt_id}"
        return self.call(kind, "GET", path, lambda: self.client.get(path))


@dataclass
class LoadResult:
    learners: int
    attempts: int
    concurrency: int
    recorder: Recorder = field(default_factory=Recorder)
    acks: dict[str, Ack] = field(default_factory=dict)
    pending: list[tuple[str, str, str, dict]] = field(default_factory=list)  # email, quiz, token, answers
    problems: list[str] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, CpuSample] = field(default_factory=dict)
    registered: int = 0
    replays: int = 0
    retries: int = 0
    stopped_early: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def problem(self, message: str) -> None:
        with self._lock:
            if len(self.problems) < 200:
                self.problems.append(message)

    def acknowledged(self) -> int:
        with self._lock:
            return len(self.acks)


class LoadRun:
    """N learners × M attempts on `concurrency` threads, plus searches and page reads.

    `stop` ends every thread early (the crash test sets it once the server is killed);
    every loop is also bounded by `deadline` (time.monotonic()).
    """

    def __init__(self, port: int, catalog: Catalog, learners: int, attempts: int,
                 concurrency: int = 32, seed: int = 1, background: int = 2,
                 replay_share: float = 0.05, deadline: float | None = None,
                 run_id: str | None = None, tolerate_errors: bool = False,
                 meter: CpuMeter | None = None) -> None:
        self.port, self.catalog = port, catalog
        self.n, self.m = learners, attempts
        self.concurrency = max(1, min(concurrency, learners))
        self.seed = seed
        self.background = background
        self.replay_share = replay_share
        self.deadline = deadline or time.monotonic() + 1800
        self.run_id = run_id or f"{os.getpid()}-{seed}"
        self.tolerate_errors = tolerate_errors
        self.meter = meter
        self.stop = threading.Event()
        self.result = LoadResult(learners, attempts, self.concurrency)
        self.people: list[Learner] = []

    def over(self) -> bool:
        return self.stop.is_set() or time.monotonic() > self.deadline

    # -- phases ----------------------------------------------------------------------------
    def run(self, between_slices=None, slices: int = 1) -> LoadResult:
        """Registration, then the quizzes with the background searches and page reads, in
        `slices` slices of as many attempts each; `between_slices()`, if given, runs before
        each slice and after the last one, without the background (main() measures the
        no-op there). The phase's time and CPU are those of its slices."""
        result = self.result
        rec = result.recorder
        self.people = [
            Learner(self.port, f"apprenant.{self.run_id}.{i:05d}@exemple.fr",
                    f"Apprenant {i:05d}", rec)
            for i in range(self.n)
        ]
        groups = [self.people[i::self.concurrency] for i in range(self.concurrency)]
        try:
            start = time.monotonic()
            self._threads([(self._register_slice, (g,)) for g in groups])
            result.phases["register"] = time.monotonic() - start
            # Drawn and graded here, outside the measured phase (one generator per learner).
            waiting = deque(
                (person, deque(attempt_plan(self.catalog, self.m,
                                            random.Random(self.seed * 100_003 + i), self.replay_share)))
                for i, person in enumerate(self.people)
            )
            total = sum(len(plan) for _person, plan in waiting)
            per_slice = -(-total // max(1, slices))
            lock = threading.Lock()
            result.phases["quizzes"] = result.phases["background"] = 0.0
            for _ in range(max(1, slices)):
                if between_slices is not None and not self.over():
                    between_slices()
                if not waiting or self.over():
                    break
                began = time.monotonic()
                cpu = self.meter.sample() if self.meter else None
                background = self.start_background()
                budget = [per_slice]
                self._threads([(self._quiz_worker, (waiting, lock, budget))] * self.concurrency)
                result.phases["quizzes"] += time.monotonic() - began
                if cpu is not None:
                    add_cpu(result.cpu, "quizzes", self.meter.sample() - cpu)
                self.stop_background(background)
                result.phases["background"] += time.monotonic() - began
            if between_slices is not None and not self.over():
                between_slices()
            if not self.over():
                self._check_ownership()
        finally:
            for person in self.people:
                result.retries += person.client.retries
                person.close()
        result.stopped_early = self.stop.is_set() or time.monotonic() > self.deadline
        return result

    def start_background(self, suffix: str = "") -> tuple[threading.Event, list]:
        """Searches and page reads (kinds "search" + suffix, "page" + suffix) until stopped."""
        done = threading.Event()
        jobs = [(self._searcher, (done, i, suffix)) for i in range(self.background)]
        jobs += [(self._reader, (done, i, suffix)) for i in range(self.background)]
        threads = [threading.Thread(target=self._guard, args=job, daemon=True) for job in jobs]
        for thread in threads:
            thread.start()
        return done, threads

    @staticmethod
    def stop_background(background: tuple[threading.Event, list]) -> None:
        done, threads = background
        done.set()
        for thread in threads:
            thread.join()

    def _threads(self, jobs) -> None:
        threads = [threading.Thread(target=self._guard, args=job, daemon=True) for job in jobs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _guard(self, function, args) -> None:
        try:
            function(*args)
        except (LoadError, *NETWORK_ERRORS, ValueError, KeyError) as exc:
            if not (self.tolerate_errors and self.stop.is_set()):
                self.result.problem(f"{function.__name__}: {type(exc).__name__}: {exc}")

    def _register_slice(self, people: list[Learner]) -> None:
        for person in people:
            if self.over():
                return
            person.register()
            with self.result._lock:
                self.result.registered += 1

    def _quiz_worker(self, waiting: deque, lock: threading.Lock, budget: list[int]) -> None:
        """Takes the learner at the head of the queue, makes their next attempt and puts
        them back at the end: every learner stays active, no learner is used by two threads
        at once, and all `concurrency` threads stay busy until fewer learners than threads
        have attempts left (static slices left a quarter of the threads idle for the last
        seventh of the phase), or until the slice's `budget` of attempts is taken."""
        while not self.over():
            with lock:
                if not waiting or budget[0] <= 0:
                    return
                budget[0] -= 1
                person, plan = waiting.popleft()
            self._one_attempt(person, plan.popleft())
            if plan:
                with lock:
                    waiting.append((person, plan))

    def _one_attempt(self, person: Learner, planned: PlannedAttempt) -> None:
        result, quiz, answers, score = self.result, planned.quiz, planned.answers, planned.score
        token = person.open_quiz(quiz.id)
        try:
            response = person.submit(quiz.id, token, answers)
        except NETWORK_ERRORS:
            with result._lock:
                result.pending.append((person.email, quiz.id, token, answers))
            raise
        if response.status not in (200, 201):
            raise LoadError(f"POST {quiz.id} ({person.email}): {response.status} "
                            f"{response.body[:300]!r}")
        body = response.json()
        if response.status == 200:
            result.problem(f"fresh token answered 200 (already recorded?): {person.email} {quiz.id}")
        if abs(body["score"] - score) > 1e-6:
            result.problem(f"attempt {body['attempt']}: score {body['score']}, expected {score}")
        with result._lock:
            if body["attempt"] in result.acks:
                result.problems.append(f"attempt id {body['attempt']} returned twice")
            result.acks[body["attempt"]] = Ack(body["attempt"], person.email, quiz.id, token, score)
        if planned.replay:  # the same token again: recorded once
            again = person.submit(quiz.id, token, answers, kind="replay")
            with result._lock:
                result.replays += 1
            if again.status != 200 or again.json().get("attempt") != body["attempt"]:
                result.problem(f"replayed token {token[:8]}…: {again.status} "
                               f"{again.body[:200]!r} (first: {body['attempt']})")

    def _searcher(self, done: threading.Event, index: int, suffix: str = "") -> None:
        queries = search_queries()
        rng = random.Random(self.seed * 7 + index)
        limit = max(50, self.n * self.m // 4)
        with HttpClient(self.port) as client:
            for _ in range(limit):
                if done.is_set() or self.over():
                    return
                q = rng.choice(queries)
                path = "/api/search?" + urllib.parse.urlencode({"q": q})
                self._background_get(client, "search" + suffix, path)
                time.sleep(0.02)

    def _reader(self, done: threading.Event, index: int, suffix: str = "") -> None:
        pages = sorted({url.split("#")[0] for url in self.catalog.titles}) or ["/"]
        rng = random.Random(self.seed * 11 + index)
        limit = max(50, self.n * self.m // 4)
        with HttpClient(self.port) as client:
            for _ in range(limit):
                if done.is_set() or self.over():
                    return
                self._background_get(client, "page" + suffix, rng.choice(pages))
                time.sleep(0.02)

    def _background_get(self, client: HttpClient, kind: str, path: str) -> None:
        try:
            response = client.get(path)
        except NETWORK_ERRORS as exc:
            self.result.recorder.error(kind, exc)
            if self.stop.is_set():
                return
            raise
        self.result.recorder.add(kind, "GET", path, response)
        if response.status != 200:
            self.result.problem(f"GET {path}: {response.status}")

    def _check_ownership(self) -> None:
        """One attempt per learner: its page is theirs (200) and nobody else's (404)."""
        by_email: dict[str, Ack] = {}
        for ack in self.result.acks.values():
            by_email.setdefault(ack.email, ack)
        people = [p for p in self.people if p.email in by_email]
        for i, person in enumerate(people):
            if self.over():
                return
            ack = by_email[person.email]
            mine = person.result_page(ack.quiz_id, ack.attempt_id)
            if mine.status != 200:
                self.result.problem(f"{person.email}: own attempt page {mine.status}")
            if len(people) > 1:
                other = people[(i + 1) % len(people)]
                theirs = other.result_page(ack.quiz_id, ack.attempt_id, kind="not-owner")
                if theirs.status != 404:
                    self.result.problem(
                        f"{other.email} sees {person.email}'s attempt: {theirs.status}")


_QUERIES: list[str] = []


def search_queries() -> list[str]:
    if not _QUERIES:
        path = PROJECT_ROOT / "tests" / "search" / "relevance.yml"
        try:
            items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
            _QUERIES.extend(str(item["query"]) for item in items if item.get("query"))
        except (OSError, yaml.YAMLError, TypeError):
            pass
        if not _QUERIES:
            _QUERIES.extend(["comite de pilotage", "valeur acquise", "registre des risques",
                             "charte projet", "rapport d'avancement"])
    return _QUERIES


# -- the no-op endpoint ----------------------------------------------------------------------


def hammer(port: int, path: str, kind: str, recorder: Recorder, concurrency: int,
           requests: int, seconds: float) -> float:
    """`requests` GETs of `path` on `concurrency` connections, at most `seconds`; wall time."""
    counter = iter(range(requests))
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    failures: list[BaseException] = []

    def worker() -> None:
        with HttpClient(port) as client:
            while time.monotonic() < stop_at:
                with lock:
                    if next(counter, None) is None:
                        return
                try:
                    response = client.get(path)
                except NETWORK_ERRORS as exc:
                    recorder.error(kind, exc)
                    failures.append(exc)
                    return
                recorder.add(kind, "GET", path, response)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - start


# -- the database, read directly ---------------------------------------------------------------


@dataclass
class DatabaseCheck:
    attempts: int = 0
    distinct_tokens: int = 0
    answers: int = 0
    legacy_tokens: int = 0  # attempt_tokens: written before tokens were signed, never now
    users: int = 0
    orphan_answers: int = 0
    attempts_without_answers: int = 0
    queued: int = 0  # attempts whose answers the item analysis had yet to copy
    integrity: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)


def integrity_problems(engine: sa.Engine) -> list[str]:
    """SQLite: integrity_check and foreign_key_check; both: orphans either way."""
    problems = []
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = [r[0] for r in conn.execute(sa.text("PRAGMA integrity_check"))]
            if rows != ["ok"]:
                problems.append(f"PRAGMA integrity_check: {rows[:10]}")
            fk = conn.execute(sa.text("PRAGMA foreign_key_check")).all()
            if fk:
                problems.append(f"PRAGMA foreign_key_check: {[tuple(r) for r in fk[:10]]}")
        orphans = conn.scalar(sa.text(
            "SELECT count(*) FROM answers a LEFT JOIN attempts t ON t.id = a.attempt_id "
            "WHERE t.id IS NULL"))
        if orphans:
            problems.append(f"{orphans} answer(s) without their attempt")
        empty = conn.scalar(sa.text(
            "SELECT count(*) FROM attempts t WHERE NOT EXISTS "
            "(SELECT 1 FROM answers a WHERE a.attempt_id = t.id)"))
        if empty:
            problems.append(f"{empty} attempt(s) without answers")
        for table, column in (("attempts", "user_id"), ("attempt_tokens", "user_id")):
            lost = conn.scalar(sa.text(
                f"SELECT count(*) FROM {table} x LEFT JOIN users u ON u.id = x.{column} "
                "WHERE u.id IS NULL"))
            if lost:
                problems.append(f"{lost} row(s) of {table} without their user")
    return problems


def check_database(url: str, catalog: Catalog, acks: dict[str, Ack],
                   exact: bool = True, allowed_extra: set[str] | None = None) -> DatabaseCheck:
    """Compare the database with what the server acknowledged.

    exact: the attempts are exactly `acks`; otherwise every ack is there and any other
    attempt must have a token in `allowed_extra` (submissions whose answer was lost).
    """
    from portal.db import make_engine
    from portal.learning.item_stats import catch_up_item_stats, queued_attempts

    check = DatabaseCheck()
    engine = make_engine(url)
    try:
        # A submission writes its answers in its attempt's result; they reach `answers`
        # when the item analysis catches up, as the reports do before reading.
        with engine.begin() as conn:
            check.queued = queued_attempts(conn)
            catch_up_item_stats(conn)
        with engine.connect() as conn:
            check.attempts = conn.scalar(sa.text("SELECT count(*) FROM attempts"))
            check.distinct_tokens = conn.scalar(sa.text("SELECT count(DISTINCT token) FROM attempts"))
            check.answers = conn.scalar(sa.text("SELECT count(*) FROM answers"))
            check.legacy_tokens = conn.scalar(sa.text("SELECT count(*) FROM attempt_tokens"))
            check.users = conn.scalar(sa.text("SELECT count(*) FROM users"))
            rows = conn.execute(sa.text(
                "SELECT t.id, t.token, t.quiz_id, t.score, u.email, "
                "(SELECT count(*) FROM answers a WHERE a.attempt_id = t.id) "
                "FROM attempts t JOIN users u ON u.id = t.user_id")).all()
        check.integrity = integrity_problems(engine)
    finally:
        engine.dispose()
    problems = check.problems
    if check.distinct_tokens != check.attempts:
        problems.append(f"{check.attempts - check.distinct_tokens} duplicate token(s)")
    by_id = {row[0]: row for row in rows}
    check.ids = set(by_id)
    missing = set(acks) - check.ids
    if missing:
        problems.append(f"{len(missing)} acknowledged attempt(s) missing from the database, "
                        f"e.g. {sorted(missing)[:3]}")
    extra = check.ids - set(acks)
    if exact and extra:
        problems.append(f"{len(extra)} attempt(s) in the database that no 2xx acknowledged")
    elif extra:
        unexplained = [i for i in extra if by_id[i][1] not in (allowed_extra or set())]
        if unexplained:
            problems.append(f"{len(unexplained)} attempt(s) in the database with a token "
                            "that was never submitted")
    for attempt_id, token, quiz_id, score, email, answers in rows:
        quiz = catalog.quizzes.get(quiz_id)
        expected = len(quiz.questions) if quiz else None
        if expected is None or answers != expected or not 10 <= answers <= 12:
            problems.append(f"attempt {attempt_id} ({quiz_id}): {answers} answer(s), "
                            f"expected {expected}")
        check.attempts_without_answers += answers == 0
        ack = acks.get(attempt_id)
        if ack is None:
            continue
        if ack.email != email:
            problems.append(f"attempt {attempt_id} belongs to {email}, was returned to {ack.email}")
        if ack.token != token or ack.quiz_id != quiz_id:
            problems.append(f"attempt {attempt_id}: token or quiz differs from the response")
        if abs(float(score) - ack.score) > 1e-6:
            problems.append(f"attempt {attempt_id}: score {score} in the database, "
                            f"{ack.score} expected")
    check.orphan_answers = sum("without their attempt" in p for p in check.integrity)
    return check


# -- report ---------------------------------------------------------------------------------


def code_fingerprint() -> str:
    """The portal's code and templates measured (the figures belong to this version)."""
    import hashlib

    digest = hashlib.sha1()
    root = PROJECT_ROOT / "portal"
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in {".py", ".html", ".js", ".css"}:
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def load_average() -> str:
    with contextlib.suppress(OSError):
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    return "?"


def log(message: str = "") -> None:
    print(message, flush=True)


def row(kind: str, label: str, rec: Recorder, seconds: float | None) -> str:
    lat = rec.latencies.get(kind, [])
    n = len(lat)
    rate = n / seconds if seconds and n else math.nan
    statuses = " ".join(f"{s}×{c}" for s, c in sorted(rec.statuses[kind].items()))
    errors = sum(rec.errors[kind].values())
    return (f"{label:<36} {n:>7} {rate:>8.1f} {1000 * percentile(lat, 50):>8.1f} "
            f"{1000 * percentile(lat, 95):>8.1f} {1000 * percentile(lat, 99):>8.1f}  "
            f"{statuses}{f'  network errors {errors}' if errors else ''}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--attempts", type=int, default=20, help="quiz attempts per learner")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=2,
                        help="threads per worker (`pmo-portal serve --threads`; 2 by default)")
    parser.add_argument("--concurrency", type=int, default=32,
                        help="client threads carrying the learners (and hitting the no-op)")
    parser.add_argument("--background", type=int, default=2,
                        help="threads searching, and as many reading pages, during the quizzes "
                             "and the second no-op run (0: none)")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--quick", action="store_true", help="20 learners × 5 attempts")
    parser.add_argument("--max-seconds", type=float, default=1800,
                        help="upper bound of the whole load, after the build")
    parser.add_argument("--slices", type=int, default=8,
                        help="slices of the quiz phase, with a burst of no-ops before each "
                             "one and after the last")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--server-cpu", action="store_true",
                        help="also measure each kind of request's CPU inside the server's "
                             "threads (benchmarks/server_cpu.py)")
    args = parser.parse_args(argv)
    if args.quick:
        args.learners, args.attempts = 20, 5

    url = ""
    if args.database == "postgresql":
        url = os.environ.get("PORTAL_TEST_DATABASE_URL", "")
        if not url.startswith("postgresql"):
            parser.error("--database postgresql needs PORTAL_TEST_DATABASE_URL "
                         "(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)")

    tmp = Path(tempfile.mkdtemp(prefix="pmo-load-"))
    info = machine()
    try:
        log(f"Load benchmark: {args.learners} learners × {args.attempts} attempts, "
            f"{args.workers} workers × {args.threads} threads, {args.database}, "
            f"{args.concurrency} client threads")
        start_load = load_average()
        fingerprint = code_fingerprint()
        log(f"temporary folder {tmp}; load average {start_load}")
        start = time.monotonic()
        settings, catalog = build_site(tmp)
        pages = {url.split("#")[0] for url in catalog.titles}
        log(f"site built in {time.monotonic() - start:.1f} s: {len(catalog.quizzes)} quizzes, "
            f"{len(pages)} pages")
        if args.database == "sqlite":
            url = f"sqlite:///{tmp / 'load.db'}"
        else:
            others = other_sessions(url)
            if others:
                log(f"warning: {others} other session(s) on this PostgreSQL database")
            reset_postgres(url)
        server = Server(settings.var_dir, settings.site_dir, url, args.workers,
                        tmp / "server.log", cpu_folder=tmp / "server-cpu" if args.server_cpu else None,
                        threads=args.threads)
        start = time.monotonic()
        with server:
            log(f"server up on {server.base} in {time.monotonic() - start:.1f} s")
            deadline = time.monotonic() + args.max_seconds
            meter = CpuMeter(server.process.pid)
            run = LoadRun(server.port, catalog, args.learners, args.attempts,
                          concurrency=args.concurrency, seed=args.seed, deadline=deadline,
                          background=args.background, meter=meter)
            # The no-op is measured in bursts between the slices of the quiz phase, before
            # the first and after the last, 2 × N×M requests in all (two per submission): the
            # speed of a shared virtual machine drifts by a quarter within seconds, and bursts
            # a second or two apart from the quizzes see the same drifts.
            count = max(1000, args.learners * args.attempts)
            slices = max(1, args.slices)
            per_burst = max(100, -(-2 * count // (slices + 1)))
            bursts: list[tuple[int, float]] = []  # (requests, seconds)

            def noop_burst() -> None:
                budget = max(10.0, deadline - time.monotonic())
                recorder = run.result.recorder
                done, cpu = recorder.count("noop"), meter.sample()
                seconds = hammer(server.port, "/api/health", "noop", recorder, run.concurrency,
                                 per_burst, min(budget, 120))
                add_cpu(run.result.cpu, "noop", meter.sample() - cpu)
                bursts.append((recorder.count("noop") - done, seconds))

            result = run.run(between_slices=noop_burst, slices=slices)
            rec = result.recorder
            budget = max(10.0, deadline - time.monotonic())
            background = run.start_background("@noop")
            cpu = meter.sample()
            noop_bg_s = hammer(server.port, "/api/health", "noop+bg", rec, run.concurrency,
                               count, min(budget, 120))
            result.cpu["noop+bg"] = meter.sample() - cpu
            run.stop_background(background)
            static_path = "/robots.txt" if (settings.site_dir / "robots.txt").exists() else "/"
            static_s = hammer(server.port, static_path, "static", rec, run.concurrency,
                              count, min(budget, 120))
            log_problems = server.log_problems()
        end_load = load_average()
        check = check_database(url, catalog, result.acks)
        expected = args.learners * args.attempts
        if check.attempts != expected:
            check.problems.insert(0, f"{check.attempts} attempts in the database, "
                                     f"expected {args.learners} × {args.attempts} = {expected}")
        if args.database == "postgresql":
            others = other_sessions(url)
            if others:
                log(f"warning: {others} other session(s) on this PostgreSQL database at the end")

        phases = result.phases

        noop_time = sum(seconds for _n, seconds in bursts)
        quiz_s = phases.get("quizzes", math.nan)
        log("")
        log(f"{'request':<36} {'count':>7} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
            f"{'p99 ms':>8}  statuses")
        log(row("register", "register (GET me, POST, GET me)", rec, phases.get("register")))
        log(row("open", "open quiz GET /api/quizzes/<id>", rec, quiz_s))
        log(row("submit", "submit POST …/attempts", rec, quiz_s))
        log(row("replay", "replayed token POST …/attempts", rec, quiz_s))
        log(row("search", "search GET /api/search (bg)", rec, phases.get("background")))
        log(row("page", "page GET <static page> (bg)", rec, phases.get("background")))
        log(row("owner", "own result GET /quiz/…/resultats", rec, None))
        log(row("not-owner", "other's result (expect 404)", rec, None))
        log(row("noop", f"no-op GET /api/health, {len(bursts)} bursts", rec, noop_time))
        log(row("noop+bg", "no-op, with the bg searches+pages", rec, noop_bg_s))
        log(row("search@noop", "  its bg searches", rec, noop_bg_s))
        log(row("page@noop", "  its bg page reads", rec, noop_bg_s))
        log(row("static", f"static GET {static_path}", rec, static_s))
        log("")
        quiz_requests = sum(rec.count(k) for k in ("open", "submit", "replay", "search", "page"))
        flow = rec.count("open") + rec.count("submit")
        # All the bursts together: their requests over their time.
        noop_rate = rec.count("noop") / noop_time if noop_time else math.nan
        burst_rates = [n / seconds for n, seconds in bursts if seconds]
        submit_rate = rec.count("submit") / quiz_s if quiz_s else math.nan
        flow_rate = flow / quiz_s if quiz_s else math.nan
        log(f"quiz phase: {quiz_s:.1f} s, {quiz_requests} requests "
            f"({quiz_requests / quiz_s:.1f} req/s with the background ones); "
            f"registration {phases.get('register', math.nan):.1f} s")
        log(f"submissions: {submit_rate:.1f} attempts/s (each = open + submit, "
            f"{flow_rate:.1f} req/s) over {len(bursts) - 1} slices; no-op: {noop_rate:.1f} req/s "
            f"over {len(bursts)} bursts between them (from {min(burst_rates, default=math.nan):.1f} "
            f"to {max(burst_rates, default=math.nan):.1f} req/s from one burst to another)")
        noop_bg_rate = rec.count("noop+bg") / noop_bg_s if noop_bg_s else math.nan
        per_request = flow_rate / noop_rate
        per_attempt = submit_rate / noop_rate
        goal = "met" if per_request >= 0.5 else "NOT met"
        log(f"ratio to the no-op rate: {per_request:.2f} per request (open + submit; goal ≥ 0.5: "
            f"{goal}), {per_attempt:.2f} per whole attempt (two requests)")
        log(f"same, against the no-op measured with the same background searches and page "
            f"reads ({noop_bg_rate:.1f} req/s): {flow_rate / noop_bg_rate:.2f} per request, "
            f"{submit_rate / noop_bg_rate:.2f} per attempt")
        p50_ratio = percentile(rec.latencies["submit"], 50) / percentile(rec.latencies["noop"], 50)
        log(f"submit p50 / no-op p50 latency: {p50_ratio:.1f}×")
        log("")
        log("where the CPU went (seconds of CPU per second of the phase; 'other processes' "
            "is the rest of the machine):")
        log(cpu_line("quiz phase", result.cpu.get("quizzes"), quiz_requests))
        log(cpu_line("no-op bursts", result.cpu.get("noop"), rec.count("noop")))
        log(cpu_line("no-op with bg", result.cpu.get("noop+bg"),
                     rec.count("noop+bg") + rec.count("search@noop") + rec.count("page@noop")))
        if server.cpu_folder is not None:
            log("")
            log(server_cpu_lines(server_cpu.read_sums(server.cpu_folder)))
        log("")
        log(f"database ({args.database}): {check.attempts} attempts (expected {expected}), "
            f"{check.distinct_tokens} distinct tokens, {check.answers} answers (those of "
            f"{check.queued} queued attempts copied from their results by the item analysis's catch-up), "
            f"{check.legacy_tokens} rows in attempt_tokens (tokens are signed), {check.users} users")
        log(f"acknowledged by a 2xx: {len(result.acks)}; replays {result.replays}; "
            f"client resends on a closed keep-alive connection {result.retries}")
        n5xx = rec.count_5xx()
        log(f"5xx responses: {n5xx}; network errors: {rec.total_errors()}; "
            f"server log tracebacks/timeouts: {len(log_problems)}")
        problems = check.problems + check.integrity + result.problems + rec.server_errors
        problems += log_problems
        if result.stopped_early:
            problems.insert(0, f"the load stopped at its time limit ({args.max_seconds:.0f} s)")
        if problems:
            log(f"PROBLEMS ({len(problems)}):")
            for problem in problems[:40]:
                log(f"  - {problem}")
        else:
            log("checks: all passed (N×M attempts, no duplicate, every answer, owners, "
                "scores, integrity, no 5xx)")
        log("")
        log(f"machine: {info['cpus']}, {info['memory']}; {info['python']}, SQLite "
            f"{info['sqlite']}, SQLAlchemy {info['sqlalchemy']}; {info['platform']}")
        log(f"date: {info['date']}; load average (1, 5, 15 min) before {start_load}, "
            f"after the load {end_load}")
        end_fingerprint = code_fingerprint()
        log(f"code: portal/ sha1 {fingerprint}"
            + ("" if end_fingerprint == fingerprint else
               f" — CHANGED during the run (now {end_fingerprint}): the figures are unreliable"))
        return 1 if problems else 0
    finally:
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
