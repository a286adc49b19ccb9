"""Search benchmark: the portal's search (Whoosh, through /api/search and alone)
against two anchors, SQLite FTS5 and lunr, on the shipped content and on a
synthetic corpus of N pages derived from it.

    .venv/bin/python benchmarks/search.py            # 10 000 synthetic pages (many minutes)
    .venv/bin/python benchmarks/search.py --quick    # 1 000 pages, fewer repetitions
    .venv/bin/python benchmarks/search.py --pages 3000

It prints figures and asserts nothing. Everything is written to a temporary
folder, removed at the end (unless --keep). See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import gc
import hashlib
import html
import io
import math
import os
import pstats
import random
import re
import resource
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import lxml.html
import yaml
from machine import machine  # benchmarks/machine.py, beside this script

from portal import create_app
from portal.build import generations
from portal.build.pipeline import build
from portal.config import Settings
from portal.migrations import upgrade
from portal.search.indexer import (
    SKIP_FILES,
    Document,
    index_documents,
    index_site,
    quiz_documents,
    site_documents,
)
from portal.search.query import Searcher
from portal.search.synonyms import load_synonyms

ROOT = Path(__file__).resolve().parent.parent
RELEVANCE_FILE = ROOT / "tests" / "search" / "relevance.yml"
GOAL_P95_MS = 20.0
LUNR_SAMPLE_PAGES = 2000
PREFIX_LETTERS = 4


# -- small helpers -------------------------------------------------------------------------


def log(message: str = "") -> None:
    print(message, flush=True)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def folder_mb(path: Path) -> float:
    total = 0
    for folder, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.path.getsize(os.path.join(folder, name))
    return total / 1e6


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": math.nan, "p95": math.nan, "p99": math.nan, "mean": math.nan, "n": 0}
    return {
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "mean": sum(values) / len(values),
        "n": len(values),
    }


def fmt(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.{digits}f}"


def distinct_pages(urls: Iterable[str]) -> list[str]:
    """Result URLs without their #anchor, first occurrence only."""
    pages: list[str] = []
    for url in urls:
        page = url.split("#", 1)[0]
        if page not in pages:
            pages.append(page)
    return pages


def code_fingerprint() -> str:
    """The search and build code measured (the figures belong to this version of it)."""
    digest = hashlib.sha1()
    files = sorted((ROOT / "portal" / "search").glob("*.py"))
    files += sorted((ROOT / "portal" / "build").glob("*.py"))
    for path in files:
        digest.update(path.read_bytes())
    newest = max(path.stat().st_mtime for path in files)
    stamp = dt.datetime.fromtimestamp(newest).astimezone().isoformat(timespec="seconds")
    return f"portal/search + portal/build sha1 {digest.hexdigest()[:12]}, newest file {stamp}"


# -- queries ---------------------------------------------------------------------------------


@dataclass
class Case:
    query: str
    expected: list[str]


def load_cases() -> list[Case]:
    data = yaml.safe_load(RELEVANCE_FILE.read_text(encoding="utf-8"))
    return [Case(str(item["query"]), [str(p) for p in item["expected"]]) for item in data]


def latency_items(cases: list[Case]) -> list[tuple[str, bool]]:
    """The relevance queries, then their first letters as prefix (search-as-you-type) queries."""
    full = list(dict.fromkeys(c.query for c in cases))
    prefixes = list(dict.fromkeys(q[:PREFIX_LETTERS].strip() for q in full))
    return [(q, False) for q in full] + [(p, True) for p in prefixes if p]


# -- latency and relevance -----------------------------------------------------------------


@dataclass
class Latency:
    reps: int
    full: list[float] = field(default_factory=list)
    prefix: list[float] = field(default_factory=list)
    per_query: dict[tuple[str, bool], list[float]] = field(default_factory=dict)

    @property
    def all(self) -> list[float]:
        return self.full + self.prefix


def measure(
    run: Callable[[str, bool], object],
    items: list[tuple[str, bool]],
    reps: int,
    budget_s: float,
) -> Latency:
    """One warm-up pass, then up to `reps` timed passes (fewer if a pass is slow)."""
    started = time.perf_counter()
    for text, prefix in items:
        run(text, prefix)
    warm = time.perf_counter() - started
    reps = max(1, min(reps, int(budget_s // max(warm, 1e-6))))
    result = Latency(reps=reps, per_query=defaultdict(list))
    # Long-lived objects (parsed documents, indexes) are moved out of the collector's
    # reach, as they would be in a server after its first full collections.
    gc.collect()
    gc.freeze()
    try:
        for _ in range(reps):
            for text, prefix in items:
                t0 = time.perf_counter_ns()
                run(text, prefix)
                ms = (time.perf_counter_ns() - t0) / 1e6
                (result.prefix if prefix else result.full).append(ms)
                result.per_query[(text, prefix)].append(ms)
    finally:
        gc.unfreeze()
    return result


@dataclass
class Relevance:
    success5: float
    mrr10: float
    misses: list[str]


def relevance(pages_for: Callable[[str], list[str]], cases: list[Case]) -> Relevance:
    found5, reciprocal, misses = 0, 0.0, []
    for case in cases:
        pages = pages_for(case.query)[:10]
        rank = next((i for i, page in enumerate(pages, 1) if page in case.expected), None)
        if rank is not None and rank <= 5:
            found5 += 1
        else:
            misses.append(case.query)
        if rank is not None:
            reciprocal += 1 / rank
    return Relevance(found5 / len(cases), reciprocal / len(cases), misses)


# -- the engines -------------------------------------------------------------------------------


class PortalApp:
    """The real WSGI app (create_app), called through Flask's test client."""

    name = "portal /api/search"

    def __init__(self, settings: Settings) -> None:
        upgrade(settings.database_url)
        self.app = create_app(settings)
        self.client = self.app.test_client()
        self.errors = 0

    def get(self, text: str, prefix: bool = False, limit: int | None = None):
        query = {"q": text}
        if prefix:
            query["prefix"] = "1"
        if limit:
            query["limit"] = str(limit)
        response = self.client.get("/api/search", query_string=query, buffered=True)
        if response.status_code != 200:
            self.errors += 1
            if self.errors <= 3:
                log(f"  app answered {response.status_code} to {query}: "
                    f"{response.get_data(as_text=True)[:200]}")
        return response

    def run(self, text: str, prefix: bool) -> object:
        return self.get(text, prefix)

    def pages(self, text: str) -> list[str]:
        response = self.get(text, limit=10)
        if response.status_code != 200:
            return []
        return distinct_pages(hit["url"] for hit in response.get_json()["results"])

    def close(self) -> None:
        state = getattr(self.app.extensions["portal.search"]._local, "state", None)
        if state is not None:
            state[1].close()
        self.app.extensions["portal.engine"].dispose()


class PortalEngine:
    """portal.search.query.Searcher alone: no HTTP, no log, no JSON."""

    name = "portal Searcher (engine)"

    def __init__(self, index_dir: Path) -> None:
        self.searcher = Searcher(index_dir)

    def run(self, text: str, prefix: bool) -> object:
        return self.searcher.search(text, prefix=prefix)

    def pages(self, text: str) -> list[str]:
        return distinct_pages(hit.url for hit in self.searcher.search(text, limit=10).hits)

    def close(self) -> None:
        self.searcher.close()


_WORD = re.compile(r"\w+")


class Fts5Engine:
    """SQLite FTS5, unicode61 with diacritics removed, bm25 with column weights."""

    name = "SQLite FTS5"
    SQL = (
        "SELECT url, snippet(docs, 3, '<mark>', '</mark>', ' … ', 16) FROM docs "
        "WHERE docs MATCH ? ORDER BY bm25(docs, 0.0, 3.0, 2.0, 1.0) LIMIT 40"
    )

    def __init__(self, path: Path) -> None:
        self.path = path
        self.con: sqlite3.Connection | None = None

    def build(self, documents: list[Document]) -> float:
        started = time.perf_counter()
        con = sqlite3.connect(self.path)
        con.execute(
            "CREATE VIRTUAL TABLE docs USING fts5(url UNINDEXED, title, section, body, "
            "tokenize='unicode61 remove_diacritics 2')"
        )
        with con:
            con.executemany(
                "INSERT INTO docs (url, title, section, body) VALUES (?, ?, ?, ?)",
                ((f"{d.page}#{sec.anchor}" if sec.anchor else d.url, d.title, sec.heading, sec.text)
                 for d in documents for sec in d.sections),
            )
        with con:
            con.execute("INSERT INTO docs (docs) VALUES ('optimize')")
        elapsed = time.perf_counter() - started
        self.con = con
        return elapsed

    @staticmethod
    def match(text: str, prefix: bool) -> str | None:
        words = _WORD.findall(text)
        if not words:
            return None
        terms = ['"' + w.replace('"', '""') + '"' for w in words]
        if prefix:
            terms[-1] += "*"
        return " OR ".join(terms)

    def rows(self, text: str, prefix: bool) -> list[tuple[str, str]]:
        expression = self.match(text, prefix)
        if expression is None or self.con is None:
            return []
        return self.con.execute(self.SQL, (expression,)).fetchall()

    def run(self, text: str, prefix: bool) -> object:
        return self.rows(text, prefix)

    def pages(self, text: str) -> list[str]:
        return distinct_pages(url for url, _snippet in self.rows(text, False))[:10]

    def close(self) -> None:
        if self.con is not None:
            self.con.close()


class LunrTimeout(Exception):
    pass


@contextlib.contextmanager
def stderr_to(sink: io.StringIO):
    """Capture fd 2: NLTK reports its failed download attempt there, at every build."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            sink.write(capture.read().decode("utf-8", "replace"))


def prepare_nltk(folder: Path) -> int:
    """The French stop words lunr's pipeline asks NLTK for, from the stop-words package."""
    from stop_words import get_stop_words

    words = get_stop_words("fr")
    target = folder / "corpora" / "stopwords"
    target.mkdir(parents=True, exist_ok=True)
    (target / "french").write_text("\n".join(words) + "\n", encoding="utf-8")
    os.environ["NLTK_DATA"] = str(folder)
    if "nltk" in sys.modules:  # imported already: tell it too
        sys.modules["nltk"].data.path.insert(0, str(folder))
    return len(words)


_LUNR_SYNTAX = re.compile(r"[:~^+\-*]")


class LunrEngine:
    """lunr.py with languages="fr" (trimmer, NLTK stop words, Snowball French stemmer)."""

    name = "lunr (fr)"

    def __init__(self) -> None:
        self.index = None
        self.errors = 0
        self.nltk_messages = io.StringIO()

    def build(self, documents: list[dict], timeout_s: float | None = None) -> float:
        from lunr import lunr

        def expired(_signum, _frame):
            raise LunrTimeout

        previous = signal.signal(signal.SIGALRM, expired) if timeout_s else None
        started = time.perf_counter()
        try:
            if timeout_s:
                signal.setitimer(signal.ITIMER_REAL, timeout_s)
            with stderr_to(self.nltk_messages):
                index = lunr(
                    ref="id",
                    fields=[{"field_name": "title", "boost": 3}, "body"],
                    documents=documents,
                    languages="fr",
                )
        finally:
            if timeout_s:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
        elapsed = time.perf_counter() - started
        self.index = index
        return elapsed

    @staticmethod
    def query(text: str, prefix: bool) -> str | None:
        words = _LUNR_SYNTAX.sub(" ", text).split()
        if not words:
            return None
        if prefix:
            words[-1] += "*"
        return " ".join(words)

    def results(self, text: str, prefix: bool) -> list[dict]:
        from lunr.exceptions import BaseLunrException

        expression = self.query(text, prefix)
        if expression is None or self.index is None:
            return []
        try:
            return self.index.search(expression)
        except BaseLunrException:
            self.errors += 1
            return []

    def run(self, text: str, prefix: bool) -> object:
        return self.results(text, prefix)[:10]

    def pages(self, text: str) -> list[str]:
        return [r["ref"] for r in self.results(text, False)[:10]]

    def close(self) -> None:
        self.index = None


def page_level(documents: Iterable[Document]) -> list[dict]:
    """One lunr document per page: its headings and text (a glossary's entries joined)."""
    pages: dict[str, dict] = {}
    for doc in documents:
        entry = pages.setdefault(doc.page, {"id": doc.page, "title": doc.title, "parts": []})
        entry["parts"] += [f"{s.heading} {s.text}".strip() for s in doc.sections]
    return [{"id": e["id"], "title": e["title"], "body": " ".join(e["parts"])}
            for e in pages.values()]


# -- the synthetic corpus ----------------------------------------------------------------------

_ARTICLE = re.compile(r'<article\b[^>]*class="[^"]*md-content__inner[^"]*"[^>]*>')
_META = '<meta name="{}" content="([^"]*)"'
_TEXT = re.compile(r">([^<]+)<")
_NUMBER = re.compile(r"(?<![#\w])\d+")
_POOL_TAGS = {"p", "ul", "ol", "table", "blockquote", "dl"}
SHUFFLE_RATE = 0.5
SUFFIX_WORDS = ["édition", "version", "variante", "révision", "lot", "volet", "tome"]


@dataclass
class SourcePage:
    rel: str
    type: str
    head: str  # everything up to the article's content
    blocks: list[tuple[str, bool]]  # (html, may be swapped with another page's block)
    tail: str


def _poolable(element) -> bool:
    classes = (element.get("class") or "").split()
    if element.tag in _POOL_TAGS:
        return not any(c.startswith("portal-") for c in classes)
    return (element.tag == "div" and "admonition" in classes) or element.tag == "details"


def source_pages(site_dir: Path) -> list[SourcePage]:
    """The built site's searchable pages, cut around the article's top-level blocks."""
    sources = []
    for path in sorted(site_dir.rglob("*.html")):
        rel = path.relative_to(site_dir).as_posix()
        text = path.read_text(encoding="utf-8")
        page_type = re.search(_META.format("portal-type"), text)
        if rel in SKIP_FILES or not page_type:
            continue
        excluded = re.search(_META.format("portal-search"), text)
        opening = _ARTICLE.search(text)
        if (excluded and excluded.group(1) == "exclude") or not opening:
            continue
        end = text.index("</article>", opening.end())
        blocks = []
        for item in lxml.html.fragments_fromstring(text[opening.end():end]):
            if isinstance(item, str):
                blocks.append((html.escape(item, quote=False), False))
            else:
                blocks.append((lxml.html.tostring(item, encoding="unicode"), _poolable(item)))
        sources.append(SourcePage(rel, page_type.group(1), text[: opening.end()], blocks,
                                  text[end:]))
    return sources


def _vary_numbers(block: str, rng: random.Random) -> str:
    def number(match: re.Match) -> str:
        value = int(match.group())
        return str(rng.randint(value // 2, value * 2 + 1))

    return _TEXT.sub(lambda m: ">" + _NUMBER.sub(number, m.group(1)) + "<", block)


def generate_synthetic(sources: list[SourcePage], out_dir: Path, count: int, seed: int) -> int:
    """Write `count` distinct pages under out_dir/synthetic/<round>/<original path>.

    Each copy keeps its source's headings (so its sections), swaps half of its text
    blocks for blocks of other pages of the same type, varies the numbers in its text
    and gets a numbered suffix on its title. Returns the bytes written."""
    pools: dict[str, list[str]] = defaultdict(list)
    for src in sources:
        pools[src.type] += [b for b, poolable in src.blocks if poolable]
    written = 0
    for n in range(count):
        src = sources[n % len(sources)]
        round_ = n // len(sources)
        rng = random.Random(f"{seed}-{n}")
        rel = f"synthetic/{round_}/{src.rel}"
        url = "/" + rel.removesuffix("index.html")
        suffix = f" · {rng.choice(SUFFIX_WORDS)} {rng.randint(1, 9999)}"
        head = re.sub(_META.format("portal-title"),
                      lambda m, s=suffix: m.group(0)[:-1] + html.escape(s) + '"', src.head, count=1)
        head = re.sub(_META.format("portal-page"),
                      lambda m, url=url: m.group(0).replace(m.group(1), url), head, count=1)
        head = head.replace("</title>", html.escape(suffix) + "</title>", 1)
        parts = []
        for block, poolable in src.blocks:
            if poolable:
                if rng.random() < SHUFFLE_RATE:
                    block = rng.choice(pools[src.type])
                block = _vary_numbers(block, rng)
            elif block.startswith("<h1"):
                block = block.replace("</h1>", html.escape(suffix) + "</h1>", 1)
            parts.append(block)
        target = out_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        content = head + "".join(parts) + src.tail
        target.write_text(content, encoding="utf-8")
        written += len(content.encode("utf-8"))
    return written


# -- a corpus and its measurements -------------------------------------------------------------


@dataclass
class Row:
    engine: str
    corpus: str
    docs: int
    build_s: float | None
    latency: Latency | None
    relevance: Relevance | None = None
    note: str = ""


@dataclass
class Corpus:
    label: str
    pages: int
    documents: list[Document]
    settings: Settings  # var_dir/current -> a generation with site/ and index/
    index_dir: Path
    portal_build_s: float
    work: Path


def run_corpus(corpus: Corpus, items, cases, args, rows: list[Row]) -> dict:
    """Latency (and relevance on the shipped content) of the four engines on one corpus."""
    details: dict = {}
    ndocs = len(corpus.documents)
    with_relevance = cases is not None
    log(f"\n== {corpus.label}: {corpus.pages} pages, {ndocs} documents ==")

    # FTS5 is built from the Documents first, so that they can be freed before timing.
    fts = Fts5Engine(corpus.work / "fts5.db")
    fts_build = fts.build(corpus.documents)
    log(f"FTS5 build: {fts_build:.1f} s ({(corpus.work / 'fts5.db').stat().st_size / 1e6:.0f} MB)")
    lunr_docs = page_level(corpus.documents)
    corpus.documents = []
    gc.collect()

    app = PortalApp(corpus.settings)
    app_lat = measure(app.run, items, args.reps, args.budget)
    app_rel = relevance(app.pages, cases) if with_relevance else None
    log(f"portal app: p50 {summary(app_lat.all)['p50']:.1f} ms, "
        f"p95 {summary(app_lat.all)['p95']:.1f} ms ({app_lat.reps} passes)")
    engine = PortalEngine(corpus.index_dir)
    eng_lat = measure(engine.run, items, args.reps, args.budget)
    eng_rel = relevance(engine.pages, cases) if with_relevance else None
    log(f"portal engine: p50 {summary(eng_lat.all)['p50']:.1f} ms, "
        f"p95 {summary(eng_lat.all)['p95']:.1f} ms ({eng_lat.reps} passes)")
    rows.append(Row(PortalApp.name, corpus.label, ndocs, corpus.portal_build_s, app_lat, app_rel))
    rows.append(Row(PortalEngine.name, corpus.label, ndocs, corpus.portal_build_s, eng_lat,
                    eng_rel))
    details["portal"] = (app, engine, app_lat, eng_lat)
    details["app_errors"] = app.errors

    fts_lat = measure(fts.run, items, args.reps, args.budget)
    fts_rel = relevance(fts.pages, cases) if with_relevance else None
    log(f"FTS5: p50 {summary(fts_lat.all)['p50']:.1f} ms, p95 {summary(fts_lat.all)['p95']:.1f} ms")
    rows.append(Row(Fts5Engine.name, corpus.label, ndocs, fts_build, fts_lat, fts_rel))
    fts.close()

    # lunr: on the whole corpus if its build should fit in the limit, else on a sample.
    lunr = LunrEngine()
    note = ""
    docs = lunr_docs
    if len(lunr_docs) > LUNR_SAMPLE_PAGES + 50:
        sample = random.Random(args.seed).sample(lunr_docs, LUNR_SAMPLE_PAGES)
        sample_s = lunr.build(sample)
        estimate = sample_s * len(lunr_docs) / len(sample)
        log(f"lunr on a {len(sample)}-page sample: {sample_s:.1f} s; "
            f"estimate for {len(lunr_docs)} pages: {estimate:.0f} s")
        docs, lunr_build, note = sample, sample_s, f"{len(sample)}-page sample"
        if estimate <= args.lunr_limit:
            lunr.close()
            gc.collect()
            try:
                lunr_build = lunr.build(lunr_docs, timeout_s=args.lunr_limit * 1.5)
                docs, note = lunr_docs, ""
            except LunrTimeout:
                log(f"lunr: full build stopped after {args.lunr_limit * 1.5:.0f} s")
                lunr.build(sample)
                note = (f"{len(sample)}-page sample: full build > {args.lunr_limit * 1.5:.0f} s")
        else:
            note = (f"{len(sample)}-page sample: full build estimated at {estimate:.0f} s "
                    f"> {args.lunr_limit:.0f} s")
    else:
        lunr_build = lunr.build(lunr_docs)
    log(f"lunr build: {lunr_build:.1f} s on {len(docs)} pages; peak RSS {peak_rss_mb():.0f} MB")
    lunr_lat = measure(lunr.run, items, args.reps, args.budget)
    lunr_rel = relevance(lunr.pages, cases) if with_relevance else None
    log(f"lunr: p50 {summary(lunr_lat.all)['p50']:.1f} ms, "
        f"p95 {summary(lunr_lat.all)['p95']:.1f} ms ({lunr_lat.reps} passes)")
    rows.append(Row(LunrEngine.name, corpus.label, len(docs), lunr_build, lunr_lat, lunr_rel,
                    note))
    details["lunr_errors"] = lunr.errors
    details["lunr_pages"] = len(docs)
    details["nltk"] = lunr.nltk_messages.getvalue()
    lunr.close()
    gc.collect()
    return details


# -- profiling -------------------------------------------------------------------------------

LANDMARKS = [  # (path suffix, function, label): third-party steps worth naming
    ("flask/testing.py", "open", "whole request through the test client"),
    ("portal/search/query.py", "rank", "portal: candidates and scores (champion lists)"),
    ("portal/search/query.py", "_positions", "portal: words' positions (section choice)"),
    ("portal/search/snippets.py", "snippet", "portal: snippets"),
    ("portal/search/query.py", "correct", "portal: typo correction (RapidFuzz)"),
    ("whoosh/codec/whoosh3.py", "stored_fields", "whoosh: stored fields"),
    ("whoosh/searching.py", "refresh", "whoosh: searcher refresh"),
    ("sqlalchemy/orm/session.py", "commit", "SQLAlchemy commit (search log)"),
    ("flask/json/__init__.py", "jsonify", "Flask jsonify"),
]


def profile_app(app: PortalApp, items, label: str, latency: Latency) -> list[str]:
    """cProfile one pass over a latency-stratified quarter of the queries (the three
    slowest left out: they are looked at one by one). Returns summary lines."""
    medians = {key: percentile(values, 50) for key, values in latency.per_query.items()}
    ordered = sorted(items, key=lambda item: -medians.get(item, 0.0))
    slowest, rest = ordered[:3], ordered[3:]
    sample = rest[::4]
    profiler = cProfile.Profile()

    def one_pass() -> None:
        for text, prefix in sample:
            app.run(text, prefix)

    profiler.runcall(one_pass)
    buffer = io.StringIO()
    stats = pstats.Stats(profiler, stream=buffer)
    entries = stats.stats  # type: ignore[attr-defined]
    total = sum(v[3] for k, v in entries.items() if k[2] == "one_pass")
    n = len(sample)
    per = sum(medians.get(item, 0.0) for item in sample) / n
    log(f"\n== cProfile of /api/search on {label}: {n} queries (every 4th by latency, "
        "the 3 slowest apart) ==")
    log(f"{total:.1f} s under the profiler, {total / n * 1000:.1f} ms per request "
        f"({per:.1f} ms without it); cumulative times, nested calls included")
    log(f"{'function':66} {'ms/req':>8} {'share':>6}")

    def line(name: str, ct: float) -> None:
        log(f"{name[:66]:66} {ct / n * 1000:8.2f} {ct / total * 100:5.0f}%")

    landmarks = []
    for path, func, title in LANDMARKS:
        found = [v for k, v in entries.items() if k[2] == func and k[0].endswith(path)]
        if found:
            ct = sum(v[3] for v in found)
            line(title, ct)
            landmarks.append((title, ct / total))
    portal_dir = str(ROOT / "portal") + os.sep
    own = [(v[3], k) for k, v in entries.items()
           if k[0].startswith(portal_dir) and not k[2].startswith("<")]
    for ct, (path, lineno, func) in sorted(own, reverse=True)[:12]:
        line(f"{os.path.relpath(path, ROOT)}:{lineno} {func}", ct)
    stats.strip_dirs().sort_stats("tottime").print_stats(12)
    body = buffer.getvalue()
    start = body.find("   ncalls")
    log("top functions by own time:")
    log(body[start:].rstrip() if start >= 0 else body.rstrip())

    lines = [f"profile of typical queries on {label} ({total / n * 1000:.0f} ms/req under "
             "cProfile): " + ", ".join(f"{title} {share * 100:.0f}%"
                                       for title, share in landmarks[1:] if share >= 0.005)]
    log(f"\n== The slowest queries on {label}, one by one ==")
    searcher = app.app.extensions["portal.search"].current()
    reader = searcher.searcher.reader() if searcher else None
    for text, prefix in slowest:
        ms = medians[(text, prefix)]
        described = f"{'prefix ' if prefix else ''}{text!r}: {ms:.0f} ms"
        if searcher is not None:
            t0 = time.perf_counter()
            query = searcher.build_query(text, prefix=prefix)
            built = (time.perf_counter() - t0) * 1000
            try:  # prefixes expanded: one posting list per term to merge
                terms = sum(len(list(leaf.expanded_terms(reader))) for leaf in query.leaves())
            except Exception as exc:  # noqa: BLE001 - informative only
                terms = f"? ({type(exc).__name__})"
            described += (f" (build_query {built:.1f} ms; {terms} term posting lists "
                          "once prefixes are expanded)")
        log(described)
        lines.append(f"slow: {described}")
    return lines


# -- report ----------------------------------------------------------------------------------


def print_details(rows: list[Row], items) -> None:
    log("\n== Latency details (ms; full = relevance queries, prefix = first "
        f"{PREFIX_LETTERS} letters with prefix=1) ==")
    log(f"{'engine':26} {'corpus':22} {'set':6} {'n':>5} {'p50':>7} {'p95':>7} {'p99':>7} "
        f"{'mean':>7}")
    for row in rows:
        if row.latency is None:
            continue
        for name, values in (("all", row.latency.all), ("full", row.latency.full),
                             ("prefix", row.latency.prefix)):
            s = summary(values)
            log(f"{row.engine:26} {row.corpus:22} {name:6} {s['n']:5d} {fmt(s['p50'], 2):>7} "
                f"{fmt(s['p95'], 2):>7} {fmt(s['p99'], 2):>7} {fmt(s['mean'], 2):>7}")
    log("\n== Slowest queries (median ms) ==")
    for row in rows:
        if row.latency is None:
            continue
        worst = sorted(row.latency.per_query.items(), key=lambda kv: -percentile(kv[1], 50))[:3]
        shown = ", ".join(f"{'~' if p else ''}{q!r} {percentile(v, 50):.1f}" for (q, p), v in worst)
        log(f"{row.engine:26} {row.corpus:22} {shown}")
    log("\n== Relevance misses (no expected page in the top 5) ==")
    for row in rows:
        if row.relevance is not None:
            log(f"{row.engine:26} {len(row.relevance.misses):2d}: "
                + "; ".join(row.relevance.misses))


def print_table(rows: list[Row], info: dict[str, str], args, extra: list[str]) -> None:
    log("\n" + "=" * 108)
    log(f"SEARCH BENCHMARK — {info['date']} — {'quick' if args.quick else 'full'} mode, "
        f"{args.pages} synthetic pages")
    log(f"machine: {info['cpus']}, {info['memory']} RAM; {info['python']}; "
        f"SQLite {info['sqlite']}; {info['platform']}")
    log(f"code: {info['code']}")
    log("latency = all queries (relevance queries + their 4-letter prefixes), after a warm-up "
        "pass; build = from parsed Documents")
    log("-" * 108)
    header = (f"{'engine':26} {'corpus':22} {'docs':>7} {'build s':>8} {'p50 ms':>7} "
              f"{'p95 ms':>7} {'s@5':>5} {'MRR@10':>6}  note")
    log(header)
    log("-" * 108)
    for row in rows:
        s = summary(row.latency.all) if row.latency else {"p50": None, "p95": None}
        rel = row.relevance
        log(f"{row.engine:26} {row.corpus:22} {row.docs:7d} {fmt(row.build_s):>8} "
            f"{fmt(s['p50'], 2):>7} {fmt(s['p95'], 2):>7} "
            f"{fmt(rel.success5 if rel else None, 2):>5} {fmt(rel.mrr10 if rel else None, 2):>6}"
            f"  {row.note}")
    log("-" * 108)
    for line in extra:
        log(line)
    log("=" * 108)


# -- main ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="500 synthetic pages, one timed pass (a minute or two)")
    parser.add_argument("--pages", type=int, help="synthetic pages (default 10 000)")
    parser.add_argument("--reps", type=int, help="timed passes over the queries (default 5)")
    parser.add_argument("--budget", type=float,
                        help="seconds allowed per engine and corpus for the timed passes")
    parser.add_argument("--lunr-limit", type=float, default=300.0,
                        help="seconds: above this estimated build time, lunr is measured on "
                        f"{LUNR_SAMPLE_PAGES} pages (default 300)")
    parser.add_argument("--profile", action="store_true",
                        help="profile /api/search even if its p95 meets the goal")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    args.pages = args.pages or (500 if args.quick else 10_000)
    args.reps = args.reps or (1 if args.quick else 5)
    args.budget = args.budget or (5.0 if args.quick else 120.0)

    info = machine()
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="bench-search-"))
    log(f"search benchmark, work folder {tmp}")
    info["code"] = code_fingerprint()
    log(f"code: {info['code']}")
    stop_words = prepare_nltk(tmp / "nltk_data")
    cases = load_cases()
    items = latency_items(cases)
    log(f"{len(cases)} relevance queries, {len(items)} latency queries "
        f"({sum(1 for _q, p in items if p)} prefixes); {stop_words} French stop words for lunr")
    extra: list[str] = []
    rows: list[Row] = []
    try:
        # 1. The real site, built by the project's own pipeline.
        settings = Settings(root=ROOT, var_dir=tmp / "var", site_dir=tmp / "site",
                            database_url=f"sqlite:///{tmp}/b.db", secret_key="bench",
                            rate_limits=False)  # a reader types fewer than 300 a minute
        t0 = time.perf_counter()
        result = build(settings)
        pipeline_s = time.perf_counter() - t0
        generation = result.generation
        site_dir = generation / "site"
        t0 = time.perf_counter()
        count = index_site(site_dir, tmp / "index-again", settings.content_dir,
                           settings.quizzes_dir)
        index_site_s = time.perf_counter() - t0
        groups, acronyms = load_synonyms(settings.content_dir)
        t0 = time.perf_counter()
        real_docs = list(site_documents(site_dir)) + list(quiz_documents(settings.quizzes_dir))
        real_parse_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        index_documents(real_docs, tmp / "index-from-docs", groups, acronyms)
        real_index_s = time.perf_counter() - t0
        real_pages = len({d.page for d in real_docs if d.type != "quiz"})
        quizzes = sum(1 for d in real_docs if d.type == "quiz")
        log(f"pipeline build: {pipeline_s:.1f} s ({result.documents} documents, "
            f"{len(result.problems)} warnings); index_site again: {index_site_s:.2f} s "
            f"({count} documents); parse {real_parse_s:.2f} s + index {real_index_s:.2f} s")
        extra.append(f"shipped content: pipeline build {pipeline_s:.1f} s in all, of which "
                     f"index_site {index_site_s:.2f} s for {count} documents "
                     f"(HTML parsing {real_parse_s:.2f} s); index "
                     f"{folder_mb(generation / 'index'):.1f} MB")

        # 2. The synthetic corpus.
        t0 = time.perf_counter()
        sources = source_pages(site_dir)
        synth_site = tmp / "synthetic-site"
        written = generate_synthetic(sources, synth_site, args.pages, args.seed)
        gen_s = time.perf_counter() - t0
        log(f"synthetic: {args.pages} pages from {len(sources)} sources in {gen_s:.1f} s "
            f"({written / 1e6:.0f} MB of HTML)")
        t0 = time.perf_counter()
        synth_docs = list(site_documents(synth_site)) + list(quiz_documents(settings.quizzes_dir))
        synth_parse_s = time.perf_counter() - t0
        synth_pages = len({d.page for d in synth_docs if d.type != "quiz"})
        log(f"synthetic: parsed into {len(synth_docs)} documents ({synth_pages} pages + "
            f"{quizzes} quizzes) in {synth_parse_s:.1f} s; peak RSS {peak_rss_mb():.0f} MB")
        synth_var = tmp / "synth-var"
        synth_generation = generations.new_generation(synth_var)
        os.symlink(site_dir, synth_generation / "site")
        t0 = time.perf_counter()
        index_documents(synth_docs, synth_generation / "index", groups, acronyms)
        synth_index_s = time.perf_counter() - t0
        generations.swap_in(synth_var, synth_generation, tmp / "synth-site-link")
        synth_settings = Settings(root=ROOT, var_dir=synth_var, site_dir=tmp / "synth-site-link",
                                  database_url=f"sqlite:///{tmp}/synth.db", secret_key="bench",
                                  rate_limits=False)
        log(f"synthetic: portal index {synth_index_s:.1f} s "
            f"({folder_mb(synth_generation / 'index'):.0f} MB); peak RSS {peak_rss_mb():.0f} MB")
        extra.append(f"synthetic corpus: {args.pages} pages generated from {len(sources)} pages "
                     f"in {gen_s:.1f} s ({written / 1e6:.0f} MB HTML); HTML parsing "
                     f"{synth_parse_s:.1f} s (not in 'build'); portal index "
                     f"{folder_mb(synth_generation / 'index'):.0f} MB")
        extra.append(f"both corpora also hold the {quizzes} quizzes (title and description); "
                     "lunr indexes one document per page, FTS5 one per section, the portal one per "
                     "page (glossary: per entry) with champion lists")

        real_label = f"shipped ({real_pages} p)"
        synth_label = f"synthetic ({args.pages} p)"
        real = Corpus(real_label, real_pages, real_docs, settings, generation / "index",
                      real_index_s, tmp / "real")
        synth = Corpus(synth_label, synth_pages, synth_docs, synth_settings,
                       synth_generation / "index", synth_index_s, tmp / "synth")
        del real_docs, synth_docs
        real.work.mkdir()
        synth.work.mkdir()

        # 3-5. Latency on both corpora, relevance on the shipped content.
        real_details = run_corpus(real, items, cases, args, rows)
        synth_details = run_corpus(synth, items, None, args, rows)
        for label, details in ((real_label, real_details), (synth_label, synth_details)):
            if details["app_errors"] or details["lunr_errors"]:
                extra.append(f"{label}: {details['app_errors']} non-200 answers from the app, "
                             f"{details['lunr_errors']} lunr query errors")
        if "Error loading stopwords" in real_details["nltk"]:
            extra.append("lunr: NLTK's download attempt failed as expected (offline); its French "
                         f"stop words came from NLTK_DATA ({stop_words} words of stop-words)")

        print_details(rows, items)

        # Profile the app where it misses the goal (or on request).
        for corpus, details in ((synth, synth_details), (real, real_details)):
            app, _engine, app_lat, _eng_lat = details["portal"]
            if args.profile or summary(app_lat.all)["p95"] > GOAL_P95_MS:
                extra += profile_app(app, items, corpus.label, app_lat)
                break
        for details in (real_details, synth_details):
            app, engine, *_ = details["portal"]
            app.close()
            engine.close()

        app_synth = next(r for r in rows if r.engine == PortalApp.name and r.corpus == synth_label)
        p95 = summary(app_synth.latency.all)["p95"]
        verdict = "meets" if p95 <= GOAL_P95_MS else "MISSES"
        extra.append(f"goal: /api/search p95 < {GOAL_P95_MS:.0f} ms on {args.pages} pages — "
                     f"{p95:.1f} ms, {verdict} it")
        extra.append(f"peak RSS {peak_rss_mb():.0f} MB; total run "
                     f"{(time.perf_counter() - started) / 60:.1f} min")
        print_table(rows, info, args, extra)
    finally:
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
