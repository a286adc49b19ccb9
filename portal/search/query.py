"""Querying the index (used only by the views).

User input is never handed to a query parser: it is cut into words and quoted
phrases, analysed like the documents, expanded with the glossary's synonyms,
and assembled into Whoosh query objects. Operators, wildcards and stray quotes
are plain text here, so no input can make the engine fail or scan everything.
"""

from __future__ import annotations

import bisect
import json
import re
import threading
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import numpy as np
import rapidfuzz
from whoosh import index
from whoosh.query import And, NullQuery, Or, Phrase, Prefix, Query, Term

from portal.build.generations import current_generation

from .analysis import fold, french_analyzer
from .champions import champion_lists
from .fields import SEARCH_FIELDS
from .indexer import META_FILE
from .per_index import PerIndex
from .snippets import snippet as make_snippet

MAX_QUERY_LENGTH = 500
MAX_UNITS = 12
MIN_PREFIX = 3
MAX_EXPANSIONS = 64  # words a prefix stands for, in the first ranking
SECTION_WORDS = 4  # words whose positions choose a result's section
RESCORED = 12  # best candidates whose scores are completed and phrases checked
PREFIX_FIELDS = {"title", "section", "tags"}
FIELD_WEIGHTS = {"title": 3.0, "section": 2.0, "tags": 1.5, "body": 1.0}
_UNIT_RE = re.compile(r'"([^"]*)"|(\S+)')
_CLEAN_RE = re.compile(r"[^\w\s'’\"-]+")


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
        self.spellings: dict[str, str] = meta.get("spellings", {})  # folded -> accented
        self.stemmed = self.index.schema["body"].analyzer
        self.exact = french_analyzer(stem=False, acronyms=self.stemmed.acronyms)
        self.synonyms = self._synonym_table(meta.get("synonyms", []))
        self.reader = self.searcher.reader()
        self.corrector = VocabularyCorrector(self.reader, self.stemmed,
                                             vocabulary(path, self.reader))
        self.champions = champion_lists(path) if self.searcher.is_atomic() else None

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
        return self._build(text, prefix)[0]

    def _build(self, text: str, prefix: bool = False) -> tuple[Query, dict[str, str]]:
        """The query, and the words unknown to the site that were read as close ones."""
        corrections: dict[str, str] = {}
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
                    corrections[words[index_]] = fixed
                    read_as = self._phrase_query([fixed])
                    q = Or([q, read_as]) if q is not None and read_as is not None else q
                if q is not None:
                    subqueries.append(q)
                index_ += 1
        if not subqueries:
            return NullQuery, corrections
        if len(subqueries) == 1:
            return subqueries[0], corrections
        return Or(subqueries, scale=0.9), corrections

    def _correction(self, word: str) -> str | None:
        """The closest indexed word for a word the index has never seen (a typo)."""
        if len(word) < 4 or not word.isalpha() or word in self.corrector:
            return None
        return self.corrector.correct(word)

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
        query, corrected = self._build(text, prefix=prefix)
        if query is NullQuery:
            return Results(text, 0)
        total, ranked = self.rank(query, types, sections, max(RESCORED, page * limit))
        terms, prefixes = query_terms(query)
        shown = ranked[(page - 1) * limit : page * limit]
        typed = frozenset(self.stemmed.terms(text))
        positions = self._positions([docnum for _score, docnum in shown], terms, typed)
        hits = [self._hit(docnum, score, terms, prefixes, positions[docnum], typed)
                for score, docnum in shown]
        found = Results(text, total, hits)
        if suggest and not prefix and corrected and total:
            found.suggestion = self._suggestion(text, corrected)
        return found

    # -- ranking ---------------------------------------------------------------------
    def rank(self, query: Query, types, sections, window: int) -> tuple[int, list[tuple[float, int]]]:
        """(documents found, [(score, document number)] of the `window` best, best first)."""
        champions = self.champions
        if champions is None:  # an index without champion lists: Whoosh alone
            results = self.searcher.search(query, limit=window, filter=self._filter(types, sections))
            return len(results), [(hit.score, hit.docnum) for hit in results]
        scores = np.zeros(champions.documents, dtype=np.float32)
        parts = list(leaves(query))
        prefixed: dict[int, np.ndarray] = {}  # documents holding a word each prefix begins
        for i, (node, boost) in enumerate(parts):
            if isinstance(node, Prefix):
                lists = [champions.postings(node.fieldname, term)[0]
                         for term in champions.expand(node.fieldname, node.text, MAX_EXPANSIONS)]
                if lists:
                    prefixed[i] = np.unique(np.concatenate(lists))
                    scores[prefixed[i]] += boost  # Whoosh scores a prefix match with its boost
                continue
            words = node.words if isinstance(node, Phrase) else [node.text]
            phrase_docs = self._known_phrase(node)
            for word in words:
                found = champions.postings(node.fieldname, word)
                if found is not None:
                    docs, weights = found
                    if phrase_docs is not None:  # only where the phrase stands
                        keep = np.isin(docs, phrase_docs, assume_unique=True)
                        docs, weights = docs[keep], weights[keep]
                    scores[docs] += boost * self.searcher.idf(node.fieldname, word) * weights
        allowed = champions.mask(types, sections)
        if allowed is not None:
            scores[~allowed] = 0
        candidates = np.flatnonzero(scores)
        found = len(candidates)
        if found > window:
            candidates = candidates[np.argpartition(-scores[candidates], window)[:window]]
        ranked = self._exact_scores(parts, prefixed, sorted(candidates.tolist()))
        ranked.sort(key=lambda item: (-item[0], item[1]))
        # Every candidate checked (a quoted phrase's order included): the count is exact.
        return (len(ranked) if found <= window else found), ranked

    def _exact_scores(self, parts, prefixed, docnums: list[int]) -> list[tuple[float, int]]:
        """The scores of these documents (ascending numbers): each word's BM25 weight
        from its list, times Whoosh's idf and the boosts above it; a phrase counts
        only where Whoosh's positions show its words following each other. Documents
        the query does not match are left out."""
        if not docnums:
            return []
        docs = np.array(docnums, dtype=np.int64)
        totals = np.zeros(len(docs))
        for i, (node, boost) in enumerate(parts):
            if isinstance(node, Prefix):
                if i in prefixed:
                    totals[np.isin(docs, prefixed[i])] += boost
                continue
            words = node.words if isinstance(node, Phrase) else [node.text]
            weights = [self._word_scores(node.fieldname, word, docs) for word in words]
            found = np.logical_and.reduce([w > 0 for w in weights])
            if isinstance(node, Phrase) and found.any():
                known = self._known_phrase(node)
                if known is None:
                    known = list(self._phrase_matches(node, docs[found].tolist()))
                found &= np.isin(docs, known)
            totals[found] += boost * np.add.reduce(weights)[found]
        return [(float(score), int(doc)) for doc, score in zip(docs, totals, strict=True) if score > 0]

    def _known_phrase(self, node) -> np.ndarray | None:
        """The documents holding a phrase of the glossary's synonyms, from the champion
        lists; None for a word, or a phrase to check on the positions."""
        if not isinstance(node, Phrase) or node.slop != 1:
            return None
        return self.champions.phrase_docs(node.fieldname, node.words)

    def _word_scores(self, field: str, word: str, docs: np.ndarray) -> np.ndarray:
        """idf × BM25 weight of a word in each of `docs`, from its champion list: 0
        where absent, or where the word is too common for the list to hold the
        document (its weight there is below the list's last, and its idf low)."""
        scores = np.zeros(len(docs))
        found = self.champions.postings(field, word)
        if found is None:
            return scores
        listed, weights = found
        _common, in_docs, in_list = np.intersect1d(docs, listed, return_indices=True)
        scores[in_docs] = self.searcher.idf(field, word) * np.asarray(weights)[in_list]
        return scores

    def _phrase_matches(self, phrase: Phrase, docnums: list[int]):
        """The documents (ascending numbers, all holding the words) where the
        phrase's words follow each other."""
        if self.champions is not None and self.champions.has_positions:
            places = [self.champions.positions(phrase.fieldname, w, docnums) for w in phrase.words]
            for docnum in docnums:
                if _within_slop([set(p[docnum].tolist()) for p in places], phrase.slop):
                    yield docnum
            return
        # An index written before the positions were kept beside it: Whoosh's postings.
        matchers = [self.reader.postings(phrase.fieldname, w) for w in phrase.words]
        for docnum in docnums:
            for matcher in matchers:
                matcher.skip_to(docnum)
            if not all(m.is_active() for m in matchers):
                return
            if any(m.id() != docnum for m in matchers):
                continue
            if _within_slop([set(m.value_as("positions")) for m in matchers], phrase.slop):
                yield docnum

    @staticmethod
    def _filter(types, sections) -> Query | None:
        filters = []
        if types:
            filters.append(Or([Term("type", t) for t in types]))
        if sections:
            filters.append(Or([Term("top", s) for s in sections]))
        return And(filters) if filters else None

    def _positions(self, docnums: list[int], terms,
                   typed: frozenset[str] = frozenset()) -> dict[int, dict[str, list[int]]]:
        """Where the query's words stand in the body of each of these documents: the
        words typed first (a synonym's words are rarer, but not what the reader wrote),
        the rarest first."""
        found: dict[int, dict[str, list[int]]] = {docnum: {} for docnum in docnums}
        ordered = sorted(docnums)
        # The rarest words tell sections apart; the commonest would only cost time.
        # Words absent from the bodies (a synonym's, a title's) would only take their place.
        frequency = {t: self.reader.doc_frequency("body", t) for t in terms}
        rarest = [(frequency[t], t) for t in sorted(
            (t for t in terms if frequency[t]), key=lambda t: (t not in typed, frequency[t], t))]
        if self.champions is not None and self.champions.has_positions:
            for _pages, term in rarest[:SECTION_WORDS]:
                for docnum, places in self.champions.positions("body", term, ordered).items():
                    found[docnum][term] = places.tolist()
            return found
        for _pages, term in rarest[:SECTION_WORDS]:  # an older index: Whoosh's postings
            holding = ordered
            if self.champions is not None:
                listed = self.champions.postings("body", term)
                if listed is None:
                    continue
                if len(listed[0]) < self.champions.depth:  # the whole list: look only there
                    holding = np.intersect1d(ordered, listed[0]).tolist()
            if not holding:
                continue
            matcher = self.reader.postings("body", term)
            for docnum in holding:
                matcher.skip_to(docnum)
                if not matcher.is_active():
                    break
                if matcher.id() == docnum:
                    found[docnum][term] = matcher.value_as("positions")
        return found

    def _hit(self, docnum: int, score: float, terms: frozenset[str], prefixes: frozenset[str],
             positions: dict[str, list[int]], typed: frozenset[str] = frozenset()) -> Hit:
        """A result pointing at the page's section that holds most of the query's words;
        at the page itself when the words typed are all in its title (the query names
        the page: a section repeating the title's words is not what it asks for)."""
        stored = self.searcher.stored_fields(docnum)
        sections = stored.get("sections") or [("", "", "")]
        bounds = stored.get("bounds") or []
        holding: list[set[str]] = [set() for _ in sections]
        if len(bounds) == len(sections):  # the words' positions say which section holds them
            for term, places in positions.items():
                for place in places:
                    holding[bisect.bisect_right(bounds, place) - 1].add(term)
        else:  # an index without section bounds: read the sections
            holding = [self.stemmed.terms(text) & terms for _a, _h, text in sections]
        starts = tuple(prefixes)
        best, best_matched, best_weight = sections[0], frozenset(), 0
        for (anchor, heading, text), found in zip(sections, holding, strict=True):
            heads = self.stemmed.terms(heading) if heading else set()
            matched = found | (heads & terms)
            if starts:
                matched |= {t for t in heads if t.startswith(starts)}
            weight = len(matched) + len(heads & matched)  # a word in the heading counts twice
            if weight > best_weight:
                best, best_matched, best_weight = (anchor, heading, text), frozenset(matched), weight
        anchor, heading, text = best
        snippet = ""
        if (best_matched or starts) and text:
            snippet = make_snippet(text, self._matcher(best_matched, starts))
        if not snippet:
            snippet = escape(stored.get("description") or text[:200])
        if stored["kind"] == "page" and self._names(stored["title"], typed, starts):
            anchor = heading = ""  # the page itself; the snippet still shows the best section
        url = f"{stored['page']}#{anchor}" if anchor else stored["url"]
        crumbs = " › ".join(p for p in [stored.get("crumbs") or "", stored["title"]] if p)
        return Hit(
            title=stored["title"],
            url=url,
            section=heading,
            crumbs=crumbs,
            type=stored["type"],
            snippet=snippet,
            score=round(float(score or 0.0), 4),
        )

    def _names(self, title: str, typed: frozenset[str], starts: tuple[str, ...]) -> bool:
        """Whether the words typed are all in the title; while typing, the word being
        typed may be the beginning of one of them."""
        if not typed:
            return False
        title_terms = self.stemmed.terms(title)
        rest = typed - title_terms
        return not rest or (len(rest) == 1 and bool(starts)
                            and any(t.startswith(starts) for t in title_terms))

    def _matcher(self, matched: frozenset[str], starts: tuple[str, ...]):
        """What a snippet marks: a word whose indexed term the query looks for, or
        begins with a prefix being typed."""
        indexed = self.stemmed.indexed_term

        def matches(raw: str) -> str | None:
            text = indexed(raw)
            if not text or not (text in matched or (starts and text.startswith(starts))):
                return None
            return text

        return matches

    def _suggestion(self, text: str, corrected: dict[str, str]) -> str:
        """The query as it was read: « Vouliez-vous dire : gouvernance ? ». Each
        corrected word is spelled as the site writes it (accents)."""
        words = []
        for word in text.split():
            tokens = self._exact_tokens(word)
            if '"' not in word and len(tokens) == 1 and tokens[0] in corrected:
                fixed = corrected[tokens[0]]
                word = self.spellings.get(fixed, fixed)
            words.append(word)
        return " ".join(words)


def _within_slop(positions: list[set[int]], slop: int) -> bool:
    """Each word within `slop` places after the previous one, in order."""
    def follow(k: int, at: int) -> bool:
        if k == len(positions):
            return True
        return any(at < p <= at + slop and follow(k + 1, p) for p in positions[k])

    return any(follow(1, start) for start in positions[0])


def leaves(query: Query, boost: float = 1.0):
    """The terms, phrases and prefixes of a query, each with the product of the
    boosts above and on it."""
    boost *= getattr(query, "boost", 1.0)
    if isinstance(query, (Term, Phrase, Prefix)):
        if query.fieldname in SEARCH_FIELDS:
            yield query, boost
        return
    for sub in getattr(query, "subqueries", ()):
        yield from leaves(sub, boost)


def query_terms(query: Query) -> tuple[frozenset[str], frozenset[str]]:
    """The indexed words a query looks for, and the beginnings it completes."""
    terms, prefixes = set(), set()
    for node, _boost in leaves(query):
        if isinstance(node, Prefix):
            prefixes.add(node.text)
        else:
            terms.update(node.words if isinstance(node, Phrase) else [node.text])
    return frozenset(terms), frozenset(prefixes)


class VocabularyCorrector:
    """Words of the site within two edits of a typo, sharing its first letter: the
    nearest first, then the one in most pages, then the first in alphabetical order.

    The vocabulary is held in memory, grouped by first letter, and compared with
    RapidFuzz's Levenshtein distance (C++): Whoosh's automaton walked the index's
    word list in Python, which made a typo the slowest query there is."""

    def __init__(self, reader, stemmed, vocabulary: dict[str, list[str]]) -> None:
        self.reader = reader
        self.stemmed = stemmed
        self.by_letter = vocabulary

    def __contains__(self, word: str) -> bool:
        words = self.by_letter.get(word[:1], ())
        at = bisect.bisect_left(words, word)
        return at < len(words) and words[at] == word

    def correct(self, word: str, maxdist: int = 2) -> str | None:
        found = rapidfuzz.process.extract(
            word, self.by_letter.get(word[:1], ()), scorer=rapidfuzz.distance.Levenshtein.distance,
            score_cutoff=maxdist, limit=None,
        )
        found = [(distance, choice) for choice, distance, _i in found if choice != word]
        if not found:
            return None
        nearest = min(distance for distance, _choice in found)
        return min((-self._pages(choice), choice) for distance, choice in found
                   if distance == nearest)[1]

    def _pages(self, word: str) -> int:
        return self.reader.doc_frequency("body", self.stemmed.term(word)[0])


def _read_vocabulary(_index_dir: Path, reader) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for word in reader.lexicon("words"):  # in order
        text = word.decode("utf-8")
        found.setdefault(text[:1], []).append(text)
    return found


_vocabularies = PerIndex(_read_vocabulary)


def vocabulary(path: Path, reader) -> dict[str, list[str]]:
    """The words a typo may be corrected to, by first letter, sorted: read once per
    process and index generation (threads share it)."""
    return _vocabularies.get(path, reader)


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
