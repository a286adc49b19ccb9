"""CPU per request inside a running server, by kind of request (`load.py --server-cpu`).

    .venv/bin/python benchmarks/server_cpu.py <folder> serve --host … --port … --workers N

Runs `pmo-portal serve` (the same command, the same gunicorn settings) with two
measures added in every worker: the CPU time of the thread that handles each request
(`time.thread_time`), once for gunicorn's handling of it once its headers are parsed
(the WSGI environment, the app, writing the response, the access log) and once for the
WSGI app alone, summed by kind of request: the no-op (`GET /api/health`), opening a quiz,
submitting one, anything else. Each worker writes its sums to `<folder>/<pid>.json`
every 100 requests and when it stops; `read_sums` adds them up.

What it leaves out is the reading and parsing of the request line and headers, the CPU
of the worker's other threads (gunicorn's poller, which hands keep-alive connections to
the handling threads) and of the master: `load.py`
prints the whole server's CPU beside it. Nothing here changes what a request does.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

KINDS = ("noop", "open", "submit", "other")


def kind_of(path: str) -> str:
    if path == "/api/health":
        return "noop"
    if path.startswith("/api/quizzes/") and path.endswith("/attempts"):
        return "submit"
    if path.startswith("/api/quizzes/"):
        return "open"
    return "other"


class Sums:
    """Per kind: requests, CPU seconds of gunicorn's handling, of the WSGI app alone."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.lock = threading.Lock()
        self.by_kind: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
        self.handled = 0

    def handling(self, kind: str, seconds: float) -> None:
        """One request handled; written out every 100."""
        with self.lock:
            sums = self.by_kind[kind]
            sums[0] += 1
            sums[1] += seconds
            self.handled += 1
            if self.handled % 100 == 0:
                self.write()

    def app(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.by_kind[kind][2] += seconds

    def write(self) -> None:
        path = self.folder / f"{os.getpid()}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(dict(self.by_kind)), encoding="utf-8")
        os.replace(tmp, path)


def install(folder: Path) -> None:
    """Wrap gunicorn's request handling and the app of every worker (before the fork)."""
    from gunicorn.workers import gthread

    from portal.server import PortalServer

    sums = Sums(folder)
    handle_request = gthread.ThreadWorker.handle_request
    load_app = PortalServer.load

    def timed_handle_request(self, req, conn):
        started = time.thread_time()
        try:
            return handle_request(self, req, conn)
        finally:
            sums.handling(kind_of(req.path), time.thread_time() - started)

    def timed_load(self):
        app = load_app(self)
        atexit.register(sums.write)

        def timed_app(environ, start_response):
            started = time.thread_time()
            try:
                return app(environ, start_response)
            finally:
                sums.app(kind_of(environ.get("PATH_INFO", "")), time.thread_time() - started)

        return timed_app

    gthread.ThreadWorker.handle_request = timed_handle_request
    PortalServer.load = timed_load


def read_sums(folder: Path) -> dict[str, tuple[int, float, float]]:
    """Every worker's sums added up: kind → (requests, handling CPU s, app CPU s)."""
    total: dict[str, list[float]] = {kind: [0, 0.0, 0.0] for kind in KINDS}
    for path in Path(folder).glob("*.json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for kind, values in data.items():
            row = total.setdefault(kind, [0, 0.0, 0.0])
            for i in range(3):
                row[i] += values[i]
    return {kind: (int(n), handling, app) for kind, (n, handling, app) in total.items()}


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit("usage: server_cpu.py <folder for the sums> serve --host … --port … --workers N")
    folder = Path(sys.argv[1])
    folder.mkdir(parents=True, exist_ok=True)
    install(folder)
    from portal.cli import main as portal_main

    sys.argv = ["pmo-portal", *sys.argv[2:]]
    portal_main()


if __name__ == "__main__":
    main()
