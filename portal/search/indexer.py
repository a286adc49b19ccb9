"""Building the search index from the rendered site (used only by the build).

Indexing the HTML mkdocs produced means anchors, includes and generated parts
are the real ones. Each page is one document holding its headings and text,
with its h2/h3 sections stored beside it: a result points at the section that
matches best (`page/#anchor`). Glossary entries are documents of their own.
Quizzes are indexed by title and description only: their questions and answers
never enter the index.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import lxml.html
import yaml
from whoosh import index

from .analysis import ELISION, Sectioned, french_analyzer
from .champions import FIELDS as CHAMPION_FIELDS
from .champions import ChampionBuilder
from .fields import VOCABULARY_URL, make_schema
from .synonyms import load_synonyms
from .writer import BulkWriter

SKIP_FILES = {"404.html", "portail.html"}
# Link lists: neither a section to point at nor text of the page (their words are
# other pages' titles).
SKIP_SECTIONS = {"pour aller plus loin", "sources", "voir aussi"}
# Diagrams go too: their source (« A[...] --> B[...] ») is no prose to show in a snippet.
BLOCK_REMOVE = (".//a[contains(@class,'headerlink')] | .//script | .//style | .//nav | .//audio"
                " | .//pre[contains(@class,'mermaid')]")
META_FILE = "search-meta.json"
PARALLEL_FROM = 500  # pages
PARALLEL_DOCUMENTS = 4000
# Definitions and hub pages answer many queries a little: guides should win a tie.
# A glossary entry is a short document, which BM25 favours over a whole guide;
# 0.1 was the best of 0.4, 0.2 and 0.1 on tests/search/relevance.yml.
TYPE_BOOST = {"glossary": 0.1, "hub": 0.7}


@dataclass
class Section:
    anchor: str  # "" for the text before the first heading
    heading: str
    text: str


@dataclass
class Document:
    url: str
    page: str
    kind: str  # "page" or "entry" (one term of the glossary)
    type: str
    top: str
    title: str
    tags: str
    crumbs: str
    description: str
    sections: list[Section] = field(default_factory=list)

    @property
    def headings(self) -> str:
        return " ".join(s.heading for s in self.sections if s.heading)

    @property
    def body(self) -> str:
        return " ".join(s.text for s in self.sections if s.text)

    def fields(self) -> dict[str, object]:
        bounds: list[int] = []  # filled while the body is indexed: where each section begins
        values: dict[str, object] = {
            "url": self.url, "page": self.page, "kind": self.kind, "type": self.type,
            "top": self.top, "title": self.title, "section": self.headings, "tags": self.tags,
            "body": Sectioned([s.text for s in self.sections], bounds),
            "crumbs": self.crumbs, "description": self.description,
            "sections": [(s.anchor, s.heading, s.text) for s in self.sections], "bounds": bounds,
        }
        boost = TYPE_BOOST.get(self.type, 1.0)
        if boost != 1.0:
            values["_boost"] = boost
        return values


def _meta(doc, name: str) -> str:
    found = doc.xpath(f"//meta[@name='{name}']/@content")
    return str(found[0]) if found else ""


def _text(element) -> str:
    return " ".join(element.text_content().split())


def page_documents(html: str, url: str) -> Iterator[Document]:
    """The page's document, or one document per entry for the glossary."""
    doc = lxml.html.fromstring(html)
    page_type = _meta(doc, "portal-type")
    if not page_type or _meta(doc, "portal-search") == "exclude":
        return
    articles = doc.xpath("//article[contains(@class,'md-content__inner')]")
    if not articles:
        return
    article = articles[0]
    for junk in article.xpath(BLOCK_REMOVE + " | .//p[contains(@class,'portal-page-meta')]"):
        junk.drop_tree()
    title = _meta(doc, "portal-title")
    top = _meta(doc, "portal-section")
    tags = _meta(doc, "portal-tags")
    description = _meta(doc, "portal-description")
    crumbs = top if top and top != title else ""

    sections = [Section("", "", "")]
    texts: list[list[str]] = [[]]
    for child in article:
        if child.tag in {"h2", "h3"} and child.get("id"):
            sections.append(Section(child.get("id"), _text(child), ""))
            texts.append([])
        elif child.tag != "h1":
            texts[-1].append(_text(child))
    for section, parts in zip(sections, texts, strict=True):
        section.text = " ".join(p for p in parts if p)
    sections = [s for s in sections if s.heading.lower() not in SKIP_SECTIONS]
    if page_type == "glossary":  # searched term by term
        for s in sections:
            if s.anchor and s.text:
                yield Document(f"{url}#{s.anchor}", url, "entry", page_type, top, title, tags,
                               crumbs, description, [s])
        return
    yield Document(url, url, "page", page_type, top, title, tags, crumbs, description,
                   [s for s in sections if s.anchor or s.text])


def site_documents(site_dir: Path, parallel_from: int = PARALLEL_FROM) -> Iterator[Document]:
    """The documents of every page, in file order. Parsing HTML is most of the cost
    of indexing a large site: from `parallel_from` pages on, it is shared among
    processes, one per core."""
    pages = []
    for path in sorted(site_dir.rglob("*.html")):
        rel = path.relative_to(site_dir).as_posix()
        if rel not in SKIP_FILES:
            pages.append((str(path), "/" + (rel[: -len("index.html")] if rel.endswith("index.html")
                                            else rel)))
    workers = min(os.cpu_count() or 1, 8)
    if len(pages) < parallel_from or workers < 2:
        for page in pages:
            yield from _parse_page(page)
        return
    with ProcessPoolExecutor(max_workers=workers,
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        for documents in pool.map(_parse_page, pages, chunksize=32):
            yield from documents


def _parse_page(page: tuple[str, str]) -> list[Document]:
    path, url = page
    return list(page_documents(Path(path).read_text(encoding="utf-8"), url))


def quiz_documents(quizzes_dir: Path) -> Iterator[Document]:
    for path in sorted(quizzes_dir.glob("*.yml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError:
            continue  # the check reports it; a build never gets here with one
        if not isinstance(data, dict) or "id" not in data:
            continue
        url = f"/quiz/{data['id']}"
        description = str(data.get("description", ""))
        yield Document(url, url, "page", "quiz", "Formation", str(data.get("title", "")), "quiz",
                       "Formation › Quiz", description, [Section("", "", description)])


def index_documents(documents, index_dir: Path, groups, acronyms,
                    workers: int | None = None) -> int:
    """Write the index; returns the number of documents (pages, entries, quizzes).

    Analysing the text is half of the work: from `PARALLEL_DOCUMENTS` documents on
    (or when `workers` is given), it is shared among processes, one per core, each
    analysing a run of consecutive documents while this one writes the runs already
    analysed; the result is the same index (a test holds it so)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    ix = index.create_in(str(index_dir), make_schema(frozenset(acronyms)))
    documents = list(documents)
    phrases = known_phrases(groups, ix.schema["body"].analyzer)
    builder = ChampionBuilder(phrases)
    writer = BulkWriter(ix, builder, limitmb=256)
    boosts = {name: writer.schema[name].format.field_boost for name in CHAMPION_FIELDS}
    if workers is None:
        workers = min(os.cpu_count() or 1, 8) if len(documents) >= PARALLEL_DOCUMENTS else 1
    seen: set[str] = set()  # every raw word met, for the vocabulary
    try:
        for start, part, bounds, words_met in _analysed_runs(documents, phrases, acronyms,
                                                             boosts, workers):
            builder.merge(part)
            seen |= words_met
            for docnum, document in enumerate(documents[start : start + len(bounds)], start):
                values = document.fields()
                values["bounds"] = bounds[docnum - start]
                values["_lengths"] = {f: builder.length[f][docnum] for f in CHAMPION_FIELDS}
                writer.add_document(**values)
        builder.start("", "", 1.0)
        writer.add_document(url=VOCABULARY_URL, page=VOCABULARY_URL, kind="vocabulary",
                            words=" ".join(sorted(words := vocabulary(seen, acronyms))))
    except BaseException:
        writer.cancel()
        raise
    writer.commit()
    builder.write(index_dir)
    (index_dir / META_FILE).write_text(
        json.dumps({"synonyms": groups, "documents": len(documents),
                    "spellings": {w: a for w, a in words.items() if a != w}}, ensure_ascii=False),
        encoding="utf-8",
    )
    return len(documents)


def _analysed_runs(documents, phrases, acronyms, boosts, workers: int):
    """(first document number, its run's builder, the run's section bounds, the raw
    words met) for runs of consecutive documents, in order, analysed by `workers`
    processes (in this one when `workers` is 1). Runs are small enough for the
    writing to start early."""
    if workers <= 1:
        yield _analyse_run((0, documents, phrases, acronyms, boosts))
        return
    size = max(1, -(-len(documents) // (workers * 4)))
    runs = [(start, documents[start : start + size], phrases, acronyms, boosts)
            for start in range(0, len(documents), size)]
    with ProcessPoolExecutor(max_workers=workers,
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        yield from pool.map(_analyse_run, runs)


def _analyse_run(run) -> tuple[int, ChampionBuilder, list[list[int]], set[str]]:
    start, documents, phrases, acronyms, boosts = run
    analyzer = french_analyzer(stem=True, acronyms=frozenset(acronyms))
    analyzer.seen = set()
    builder = ChampionBuilder(phrases, first=start)
    bounds = []
    for document in documents:
        values = document.fields()
        builder.start(document.type, document.top, float(values.get("_boost", 1.0)))
        builder.analyse(values, analyzer, boosts)
        bounds.append(values["bounds"])
    return start, builder, bounds, analyzer.seen


def known_phrases(groups, stemmed) -> list[tuple[str, ...]]:
    """The synonyms of several words, as the query reads them (stop words out, then
    stemmed): the phrases whose documents the champion lists hold."""
    # Analysers of their own: the index's remembers the raw words it has seen, which
    # must be the site's only (the vocabulary).
    exact = french_analyzer(stem=False, acronyms=stemmed.acronyms)
    stemmed = french_analyzer(stem=True, acronyms=stemmed.acronyms)
    phrases = set()
    for group in groups:
        for term in group:
            words = " ".join(t.text for t in exact(term))
            stems = tuple(t.text for t in stemmed(words))
            if len(stems) > 1:
                phrases.add(stems)
    return sorted(phrases)


def vocabulary(raw_words, acronyms) -> dict[str, str]:
    """The words a typo may be corrected to (letters only): folded and unstemmed, as
    the index compares them, each with its accented spelling to show a reader."""
    exact = french_analyzer(stem=False, acronyms=frozenset(acronyms))
    words: dict[str, str] = {}
    for raw in sorted(raw_words):  # in order: the same spellings whatever the set's history
        text, stopped, _acronym = exact.term(raw)
        if not stopped and len(text) > 1 and text.isalpha():
            spelling = ELISION.sub("", raw).lower()
            # The site writes « maturité », rarely « maturite »: keep the accented form.
            if words.get(text, text) == text:
                words[text] = spelling
    return words


def index_site(site_dir: Path, index_dir: Path, content_dir: Path, quizzes_dir: Path) -> int:
    """Index the built site and the quiz catalogue; returns the number of documents."""
    groups, acronyms = load_synonyms(content_dir)
    documents = list(site_documents(site_dir)) + list(quiz_documents(quizzes_dir))
    return index_documents(documents, index_dir, groups, acronyms)
