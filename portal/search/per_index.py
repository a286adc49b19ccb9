"""What the threads of one process share about an index generation, read once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

T = TypeVar("T")


class PerIndex(Generic[T]):
    """`load(index_dir, *args)`, called once per process and index generation; the
    last `keep` generations are kept (a build replaces the one in service, and
    searchers opened on the previous one may still be answering)."""

    def __init__(self, load: Callable[..., T], keep: int = 3) -> None:
        self.load = load
        self.keep = keep
        self._found: dict[Path, T] = {}
        self._lock = threading.Lock()

    def get(self, index_dir: Path, *args) -> T:
        key = Path(index_dir).resolve()
        with self._lock:
            if key not in self._found:
                while len(self._found) >= self.keep:  # the earliest generation first
                    del self._found[next(iter(self._found))]
                self._found[key] = self.load(key, *args)
            return self._found[key]
