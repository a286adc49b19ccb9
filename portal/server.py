"""`pmo-portal serve`: the portal under gunicorn, a production WSGI server."""

from __future__ import annotations

from gunicorn.app.base import BaseApplication

from portal.config import Settings


class PortalServer(BaseApplication):
    def __init__(self, settings: Settings, options: dict) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        # Each worker builds its own app (and database engine) after the fork.
        from portal import create_app

        return create_app(self.settings)


def run_server(settings: Settings, host: str, port: int, workers: int, threads: int = 2) -> None:
    """gunicorn's `gthread` workers. Two threads each by default: on two cores, four
    workers of two threads served 12 % more quiz attempts and 5 % more no-ops a second
    than four workers of four, with a lower latency (`benchmarks/README.md`, session 9);
    more threads help when the database is far away (its round trips leave a core idle)."""
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": 60,
        "graceful_timeout": 20,
        "accesslog": "-",
        # No shared control socket: several servers may run on one machine.
        "control_socket_disable": True,
        "forwarded_allow_ips": ",".join(settings.trusted_proxies) or "127.0.0.1",
    }
    PortalServer(settings, options).run()
