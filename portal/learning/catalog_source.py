"""The quiz and path catalogue of the generation in service, cached per generation."""

from __future__ import annotations

import threading
from pathlib import Path

from portal.build.generations import current_generation

from .quizzes import Catalog, load_catalog


class CatalogSource:
    def __init__(self, var_dir: Path) -> None:
        self.var_dir = Path(var_dir)
        self._lock = threading.Lock()
        self._generation: Path | None = None
        self._catalog = Catalog()

    def current(self) -> Catalog:
        generation = current_generation(self.var_dir)
        if generation != self._generation:
            with self._lock:
                if generation != self._generation:
                    self._catalog = load_catalog(generation) if generation else Catalog()
                    self._generation = generation
        return self._catalog
