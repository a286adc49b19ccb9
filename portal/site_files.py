"""Serving the built static site in front of the Flask routes, with WhiteNoise.

WhiteNoise reads a directory once; after `pmo-portal build` swaps `var/current`
to a new generation, the next request notices the link's new target and gets a
WhiteNoise over the new site, in every worker, without a restart.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

from whitenoise import WhiteNoise

from portal import security
from portal.build.generations import current_generation

# mkdocs-material's own assets carry a content hash in their names.
_HASHED = re.compile(r"\.[0-9a-f]{8}\.min\.(js|css)$")


def _is_immutable(_path: str, url: str) -> bool:
    return bool(_HASHED.search(url))


def _header_adder(security: dict[str, str]):
    def add(headers, path: str, _url: str) -> None:
        if path.endswith(".html"):
            headers["Cache-Control"] = "no-cache"
        for name, value in security.items():
            headers[name] = value

    return add


class SiteFiles:
    """WSGI middleware: a static file if the current site has one, else the app."""

    def __init__(self, app, var_dir: Path, https: bool = False) -> None:
        self.app = app
        self.var_dir = Path(var_dir)
        self.https = https
        self.csp = security.policy(None)
        self._lock = threading.Lock()
        self._generation: Path | None = None
        self._static: WhiteNoise | None = None

    def current(self) -> tuple[Path | None, WhiteNoise | None]:
        generation = current_generation(self.var_dir)
        if generation != self._generation:
            with self._lock:
                if generation != self._generation:
                    static = None
                    self.csp = security.policy(generation)
                    if generation is not None:
                        static = WhiteNoise(
                            self.app,
                            root=str(generation / "site"),
                            index_file=True,
                            max_age=300,
                            immutable_file_test=_is_immutable,
                            add_headers_function=_header_adder(
                                security.headers(self.csp, self.https)
                            ),
                        )
                    self._static, self._generation = static, generation
        return self._generation, self._static

    def __call__(self, environ, start_response):
        _generation, static = self.current()
        if static is None:
            return self.app(environ, start_response)
        return static(environ, start_response)
