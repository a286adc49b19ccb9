"""`pmo-portal build`: check, build the site and its index aside, swap them in."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config
from mkdocs.exceptions import MkDocsException
from whitenoise.compress import Compressor

from portal.catalog.checks import run_checks
from portal.catalog.problems import Problem, errors
from portal.catalog.site import load_site
from portal.config import Settings
from portal.learning.checks import read_learning
from portal.learning.quizzes import CATALOG_FILE, Catalog
from portal.search.indexer import index_site
from portal.security import write_policy

from . import generations

log = logging.getLogger(__name__)


class BuildError(Exception):
    """A build that did not go into service; `problems` says why."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


@dataclass
class BuildResult:
    generation: Path
    problems: list[Problem] = field(default_factory=list)  # warnings only
    documents: int = 0


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def read_content(settings: Settings) -> tuple[Catalog, list[Problem]]:
    """The quiz catalogue and every problem in content/, quizzes/ and paths, sorted."""
    site = load_site(settings.root)
    problems = run_checks(site)
    catalog, learning_problems = read_learning(settings, site)
    return catalog, sorted(set(problems + learning_problems))


def check_content(settings: Settings) -> list[Problem]:
    return read_content(settings)[1]


def run_mkdocs(settings: Settings, site_dir: Path) -> None:
    collector = _Collect()
    mkdocs_logger = logging.getLogger("mkdocs")
    mkdocs_logger.addHandler(collector)
    previous = os.getcwd()
    os.chdir(settings.root)
    try:
        config = load_config(
            config_file=str(settings.mkdocs_file), site_dir=str(site_dir), strict=True
        )
        mkdocs_build(config)
    except (MkDocsException, SystemExit, OSError) as exc:
        details = "\n".join(f"  mkdocs : {m}" for m in collector.messages)
        raise BuildError(f"la construction du site a échoué : {exc}\n{details}".rstrip()) from exc
    finally:
        os.chdir(previous)
        mkdocs_logger.removeHandler(collector)


def compress_site(site_dir: Path) -> None:
    compressor = Compressor(quiet=True)
    for folder, _dirs, files in os.walk(site_dir):
        for name in files:
            if compressor.should_compress(name):
                compressor.compress(os.path.join(folder, name))


def build(settings: Settings) -> BuildResult:
    """Build a new generation and put it in service; raise BuildError otherwise."""
    catalog, problems = read_content(settings)
    if errors(problems):
        raise BuildError("le contenu comporte des erreurs", problems)
    with generations.build_lock(settings.var_dir):
        generation = generations.new_generation(settings.var_dir)
        try:
            (generation / CATALOG_FILE).write_text(catalog.to_json(), encoding="utf-8")
            run_mkdocs(settings, generation / "site")
            documents = build_search_index(settings, generation)
            write_policy(generation, settings.repo_url)
            compress_site(generation / "site")
        except BaseException:
            generations.discard(generation)
            raise
        generations.swap_in(settings.var_dir, generation, settings.site_dir)
    return BuildResult(generation=generation, problems=problems, documents=documents)


def build_search_index(settings: Settings, generation: Path) -> int:
    """Index the freshly built site; returns the number of documents."""
    return index_site(
        generation / "site", generation / "index", settings.content_dir, settings.quizzes_dir
    )
