"""Querying the index (used only by the views).

User input is never handed to a query parser: it is cut into words and quoted
phrases, analysed like the documents, expanded with the glossary's synonyms,
and assembled into Whoosh query objects. Operators, wildcards and stray quotes
are plain text here, so no input can make the engine fail or scan everything.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import highlight, index
from whoosh.query import And, NullQuery, Or, Phrase, Prefix, Query, Term

from portal.build.generations import current_generation

from .analysis import fold
from .fields import SEARCH_FIELDS
from .indexer import META_FILE

MAX_QUERY_LENGTH = 500
MAX_UNITS = 12
MIN_PREFIX = 3
PREFIX_FIELDS = {"title", "section", "tags"}
COLLAPSE_WINDOW = 200  # `total` counts the distinct pages among this many best matches
FIELD_WEIGHTS = {"title": 3.0, "section": 2.0, "tags": 1.5, "body": 1.0}
_UNIT_RE = re.compile(r'"([^"]*)"|(\S+)')
_CLEAN_RE = re.compile(r"[^\w\s'’\"-]+")
_formatter = highlight.HtmlFormatter(tagname="mark", between=" … ")
_fragmenter = highlight.ContextFragmenter(maxchars=220, surround=60, charlimit=8000)


@dataclass
class Hit:
    title: str
    url: str
    section: str
    crumbs: str
    type: str
    snippet: str
    score: float


@dataclass
class Results:
    query: str
    total: int
    hits: list[Hit] = field(default_factory=list)
    suggestion: str | None = None


@dataclass
class Unit:
    """One word, or one quoted phrase (never expanded with synonyms)."""

    words: list[str]
    quoted: bool = False


def split_units(text: str) -> list[Unit]:
    """Words and quoted phrases; an unbalanced quote is ignored."""
    text = _CLEAN_RE.sub(" ", text)
    if text.count('"') % 2:
        last = text.rfind('"')
        text = text[:last] + " " + text[last + 1 :]
    units = []
    for match in _UNIT_RE.finditer(text):
        if match.group(1) is not None:
            words = match.group(1).split()
            if words:
                units.append(Unit(words, quoted=True))
        else:
            units.append(Unit([match.group(2)]))
    return units[:MAX_UNITS]


class Searcher:
    """One open index generation: its searcher, synonyms and analysers."""

    def __init__(self, path: Path) -> None:
        self.index = index.open_dir(str(path))
        self.searcher = self.index.searcher()
        meta = json.loads((path / META_FILE).read_text(encoding="utf-8"))
        self.documents = int(meta.get("documents", self.searcher.doc_count()))
        self.stemmed = self.index.schema["body"].analyzer
        self.exact = self.index.schema["body_exact"].analyzer
        self.synonyms = self._synonym_table(meta.get("synonyms", []))
        self.reader = self.searcher.reader()
        self.corrector = self.searcher.corrector("body_exact")

    def close(self) -> None:
        self.searcher.close()

    # -- analysis --------------------------------------------------------------------
    def _exact_tokens(self, text: str) -> list[str]:
        return [t.text for t in self.exact(text)]

    def _synonym_table(self, groups: list[list[str]]) -> dict[tuple[str, ...], list[list[str]]]:
        table: dict[tuple[str, ...], list[list[str]]] = {}
        for group in groups:
            phrases = [self._exact_tokens(term) for term in group]
            phrases = [p for p in phrases if p]
            for phrase in phrases:
                table.setdefault(tuple(phrase), []).extend(
                    p for p in phrases if p != phrase and p not in table[tuple(phrase)]
                )
        return table

    def _stem_words(self, words: list[str]) -> list[str]:
        return [t.text for t in self.stemmed(" ".join(words))]

    # -- query building ----------------------------------------------------------------
    def _phrase_query(self, words: list[str], prefix_last: bool = False) -> Query | None:
        """Best field match for one sequence of (unstemmed) words."""
        stems = self._stem_words(words)
        if not stems:
            return None
        per_field = []
        for name in SEARCH_FIELDS:
            weight = FIELD_WEIGHTS[name]
            if len(stems) == 1:
                q: Query = Term(name, stems[0], boost=weight)
                if prefix_last and name in PREFIX_FIELDS:
                    # While typing: a word begun in a title or heading. Bodies are left
                    # out and prefixes are at least 3 letters, so one keystroke can't
                    # expand into hundreds of posting lists.
                    starts = {p for p in (fold(words[-1]).lower(), stems[0]) if len(p) >= MIN_PREFIX}
                    if starts:
                        q = Or([q] + [Prefix(name, p, boost=weight * 0.8) for p in sorted(starts)])
            else:
                q = Phrase(name, stems, slop=1, boost=weight)
            per_field.append(q)
        return Or(per_field)

    def build_query(self, text: str, prefix: bool = False) -> Query:
        units = split_units(text)
        tokens: list[tuple[str, bool]] = []  # (exact token, from a quoted unit)
        subqueries: list[Query] = []
        for unit in units:
            if unit.quoted:
                q = self._phrase_query(unit.words)
                if q is not None:
                    subqueries.append(q)
            else:
                tokens += [(t, False) for t in self._exact_tokens(unit.words[0])]
        words = [t for t, _ in tokens]
        index_ = 0
        while index_ < len(words):
            match = None
            for length in range(min(4, len(words) - index_), 0, -1):
                key = tuple(words[index_ : index_ + length])
                if key in self.synonyms:
                    match = (length, key)
                    break
            last = index_ == len(words) - 1 and prefix and bool(units) and not units[-1].quoted
            if match:
                length, key = match
                alternatives = [list(key)] + self.synonyms[key]
                queries = [self._phrase_query(alt) for alt in alternatives]
                queries = [q for q in queries if q is not None]
                if last:
                    extra = self._phrase_query([words[index_]], prefix_last=True)
                    if extra is not None:
                        queries.append(extra)
                subqueries.append(Or(queries))
                index_ += length
            else:
                q = self._phrase_query([words[index_]], prefix_last=last)
                fixed = None if last else self._correction(words[index_])
                if fixed is not None:
                    corrected = self._phrase_query([fixed])
                    q = Or([q, corrected]) if q is not None and corrected is not None else q
                if q is not None:
                    subqueries.append(q)
                index_ += 1
        if not subqueries:
            return NullQuery
        if len(subqueries) == 1:
            return subqueries[0]
        return Or(subqueries, scale=0.9)

    def _correction(self, word: str) -> str | None:
        """The closest indexed word for a word the index has never seen (a typo)."""
        if len(word) < 4 or not word.isalpha() or self.reader.doc_frequency("body_exact", word):
            return None
        options = self.corrector.suggest(word, limit=1, maxdist=2)
        return options[0] if options and options[0] != word else None

    # -- searching ---------------------------------------------------------------------
    def search(
        self,
        text: str,
        page: int = 1,
        limit: int = 10,
        types: list[str] | None = None,
        sections: list[str] | None = None,
        prefix: bool = False,
        suggest: bool = True,
    ) -> Results:
        query = self.build_query(text, prefix=prefix)
        if query is NullQuery:
            return Results(text, 0)
        filters = []
        if types:
            filters.append(Or([Term("type", t) for t in types]))
        if sections:
            filters.append(Or([Term("top", s) for s in sections]))
        filter_query = And(filters) if filters else None
        # Whoosh's own collapsing drops results inside its top-N window, so the
        # best document of each page is kept here, from a window wide enough.
        window = max(COLLAPSE_WINDOW, page * limit * 3)
        results = self.searcher.search(query, limit=window, filter=filter_query)
        results.fragmenter = _fragmenter
        results.formatter = _formatter
        best: list = []
        seen: set[str] = set()
        for hit in results:
            key = hit["page"]
            if key not in seen:
                seen.add(key)
                best.append(hit)
        total = len(best)
        hits = [self._hit(hit) for hit in best[(page - 1) * limit : page * limit]]
        found = Results(text, total, hits)
        if suggest and not prefix and total < 3:
            found.suggestion = self.suggest(text, total, filter_query)
        return found

    def _hit(self, hit) -> Hit:
        stored = hit.fields()
        snippet = hit.highlights("body", top=2)
        if not snippet:
            from html import escape

            snippet = escape(stored.get("description") or stored.get("body", "")[:200])
        section = stored.get("section") or ""
        crumbs = " › ".join(p for p in [stored.get("crumbs") or "", stored["title"]] if p)
        return Hit(
            title=stored["title"],
            url=stored["url"],
            section=section,
            crumbs=crumbs,
            type=stored["type"],
            snippet=snippet,
            score=round(float(hit.score or 0.0), 4),
        )

    def suggest(self, text: str, total: int, filter_query=None) -> str | None:
        corrector = self.corrector
        words = text.split()
        changed = False
        corrected = []
        for word in words:
            folded = fold(word)
            if len(folded) < 4 or '"' in word or not self._exact_tokens(word):
                corrected.append(word)
                continue
            options = corrector.suggest(folded, limit=1, maxdist=2)
            if options and options[0] != folded:
                corrected.append(options[0])
                changed = True
            else:
                corrected.append(word)
        if not changed:
            return None
        candidate = " ".join(corrected)
        better = self.searcher.search(self.build_query(candidate), limit=1, filter=filter_query)
        return candidate if len(better) > total else None


class SearchEngine:
    """Per-process access to the index in service; one searcher per thread,
    reopened when `pmo-portal build` swaps in a new generation."""

    def __init__(self, var_dir: Path) -> None:
        self.var_dir = Path(var_dir)
        self._local = threading.local()

    def current(self) -> Searcher | None:
        generation = current_generation(self.var_dir)
        state = getattr(self._local, "state", None)
        if state is not None and state[0] == generation:
            searcher = state[1]
            searcher.searcher = searcher.searcher.refresh()
            return searcher
        if state is not None:
            state[1].close()
            self._local.state = None
        if generation is None or not index.exists_in(str(generation / "index")):
            return None
        searcher = Searcher(generation / "index")
        self._local.state = (generation, searcher)
        return searcher
