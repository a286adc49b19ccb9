"""Build generations on disk, and the atomic swap that puts one in service.

Layout under var/:

    var/builds/<generation>/site/    the static site of one build
    var/builds/<generation>/index/   its search index
    var/current -> builds/<generation>   the one in service (swapped with os.replace)
    var/index -> current/index           stable names for other tools
    site -> var/current/site

A build writes a new generation and swaps `var/current` only when everything
succeeded: readers never see a half-written site or index, and a failed build
leaves the previous generation in service.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

KEEP_GENERATIONS = 3


def builds_dir(var_dir: Path) -> Path:
    return var_dir / "builds"


def current_link(var_dir: Path) -> Path:
    return var_dir / "current"


_resolved: dict[tuple[str, str], Path] = {}  # (link, its target) → the resolved generation


def current_generation(var_dir: Path) -> Path | None:
    """The generation in service, or None before the first build."""
    link = current_link(var_dir)
    try:
        target = os.readlink(link)
    except OSError:
        return None
    # Every request asks, several times: resolve each target once (the same target
    # names the same directory), then only readlink and stat.
    key = (str(link), target)
    path = _resolved.get(key)
    if path is None:
        if len(_resolved) > 100:
            _resolved.clear()
        path = _resolved[key] = (link.parent / target).resolve()
    return path if os.path.isdir(path) else None


def new_generation(var_dir: Path) -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    path = builds_dir(var_dir) / f"{stamp}-{os.getpid()}"
    path.mkdir(parents=True)
    return path


def _replace_symlink(link: Path, target: str) -> None:
    tmp = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, link)


def _ensure_stable_link(link: Path, target: str) -> None:
    """Point `link` at `target` unless it already does; a real directory is moved aside."""
    if link.is_symlink():
        if os.readlink(link) == target:
            return
    elif link.exists():
        aside = link.with_name(f"{link.name}.old-{os.getpid()}")
        link.rename(aside)
        shutil.rmtree(aside, ignore_errors=True)
    _replace_symlink(link, target)


def swap_in(var_dir: Path, generation: Path, site_link: Path) -> None:
    """Put `generation` in service atomically, then prune old generations."""
    relative = os.path.relpath(generation, var_dir)
    _replace_symlink(current_link(var_dir), relative)
    _ensure_stable_link(var_dir / "index", "current/index")
    _ensure_stable_link(site_link, os.path.relpath(current_link(var_dir) / "site", site_link.parent))
    prune(var_dir, keep=generation)


def prune(var_dir: Path, keep: Path) -> None:
    generations = sorted(p for p in builds_dir(var_dir).iterdir() if p.is_dir())
    old = [p for p in generations if p != keep][: max(0, len(generations) - KEEP_GENERATIONS)]
    for path in old:
        shutil.rmtree(path, ignore_errors=True)


def discard(generation: Path) -> None:
    shutil.rmtree(generation, ignore_errors=True)


@contextmanager
def build_lock(var_dir: Path) -> Iterator[None]:
    """One build at a time on a host."""
    var_dir.mkdir(parents=True, exist_ok=True)
    with open(var_dir / "build.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
