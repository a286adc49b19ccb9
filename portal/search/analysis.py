"""French text analysis for the index and the queries alike.

Tokens: words split on spaces and punctuation, elisions removed (« l'équipe » →
« équipe »), lower-cased, accents folded (« délai » = « delai »), French stop
words dropped, then Snowball-stemmed — except acronyms (COPIL, SPI, RACI),
which are kept whole so that « RACI » never becomes « rac ».
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from functools import lru_cache

from whoosh.analysis import (
    Analyzer,
    CharsetFilter,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StopFilter,
    Token,
    Tokenizer,
)
from whoosh.fields import TEXT
from whoosh.formats import Format, Positions
from whoosh.lang import stemmer_for_language, stopwords_for_language
from whoosh.support.charset import accent_map

# Whoosh's French list lacks « les » and a few frequent function words.
STOP_WORDS = frozenset(stopwords_for_language("fr")) | {
    "les", "aux", "cette", "cet", "ces", "comment", "quoi", "quel", "quelle",
    "quels", "quelles", "est-ce", "faire", "fait", "doit", "peut", "tout",
    "tous", "toute", "toutes", "plus", "moins", "entre", "sans", "sous",
}
# Words are compared once their accents are folded: « à » arrives as « a ».
STOP_WORDS = STOP_WORDS | {w.translate(accent_map) for w in STOP_WORDS}
ELISION = re.compile(r"^(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu)['’]", re.IGNORECASE)
# Words, keeping an elided prefix attached so the filter can strip it.
# (The elision follows the first run of letters: written this way, the pattern never
# reads a word twice, as `(?:\w+['’])?\w+…` did when the word had no apostrophe.)
TOKEN_PATTERN = r"\w+(?:['’]\w+)?(?:[-.]\w+)*"
_TOKEN_RE = re.compile(TOKEN_PATTERN)
# Snowball in pure Python is the costliest step of indexing and highlighting;
# a vocabulary is small, so stems are cached.
_stem = lru_cache(maxsize=200_000)(stemmer_for_language("fr"))


class FrenchAnalyzer(Tokenizer):
    """The whole chain in one pass: words, elisions, case, accents, stop words, stems.

    It behaves exactly like `reference_chain` (a test holds the two equal) but
    handles each token once instead of through five generators, and remembers
    what a raw word becomes: indexing a large site spends its time here.
    Positions skip stop words, as Whoosh's StopFilter numbers them."""

    CACHE_SIZE = 500_000

    def __init__(self, stem: bool = True, acronyms: frozenset[str] = frozenset()) -> None:
        self.stem = stem
        self.acronyms = frozenset(acronyms)
        self._cache: dict[str, tuple[str, bool, bool]] = {}
        self._indexed: dict[str, str] = {}  # raw word -> indexed term, "" for a stop word
        self.seen: set[str] | None = None  # while indexing: every raw word met

    def __eq__(self, other) -> bool:
        return (self.__class__ is other.__class__ and self.stem == other.stem
                and self.acronyms == other.acronyms)

    def __hash__(self) -> int:
        return hash((self.stem, self.acronyms))

    def __getstate__(self):
        return {"stem": self.stem, "acronyms": self.acronyms}

    def __setstate__(self, state) -> None:
        self.__init__(state["stem"], state["acronyms"])

    def term(self, raw: str) -> tuple[str, bool, bool]:
        """(indexed text, is a stop word, is an acronym) of one raw word."""
        found = self._cache.get(raw)
        if found is not None:
            return found
        if self.seen is not None:
            self.seen.add(raw)
        text = ELISION.sub("", raw) if ("'" in raw or "’" in raw) else raw
        acronym = (len(text) > 1 and text.isupper() and text.isalpha()) or (
            text.lower() in self.acronyms
        )
        text = text.lower().translate(accent_map)
        stopped = text in STOP_WORDS
        if self.stem and not acronym and not text.isdigit():
            text = _stem(text)
        found = (text, stopped, acronym)
        if len(self._cache) >= self.CACHE_SIZE:
            self._cache.clear()
        self._cache[raw] = found
        return found

    def term_positions(self, value: str) -> dict[str, list[int]]:
        """Each indexed term of `value` with its positions: what the index stores,
        without building a token per word. For a `Sectioned` text, also records
        where each of its parts begins."""
        parts = value.parts if isinstance(value, Sectioned) else [value]
        bounds = value.bounds if isinstance(value, Sectioned) else []
        found: dict[str, list[int]] = defaultdict(list)
        indexed = self._indexed
        at = 0  # the next kept word's position; stop words count only before the first
        started = False
        for part in parts:
            bounds.append(at)
            for raw in _TOKEN_RE.findall(part):
                text = indexed.get(raw)
                if text is None:
                    text = self.indexed_term(raw)
                if text:
                    found[text].append(at)
                    at += 1
                    started = True
                elif not started:
                    at += 1
        return found

    def indexed_term(self, raw: str) -> str:
        """What the index keeps of a raw word: `term`'s text, "" for a stop word."""
        found = self._indexed.get(raw)
        if found is not None:
            return found
        text, stopped, _acronym = self.term(raw)
        if len(self._indexed) >= self.CACHE_SIZE:
            self._indexed.clear()
        text = self._indexed[raw] = "" if stopped else text
        return text

    def terms(self, value: str) -> set[str]:
        """The distinct indexed terms of `value`."""
        terms = set(map(self.indexed_term, _TOKEN_RE.findall(value)))
        terms.discard("")
        return terms

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        token.boost = 1.0
        term = self.term
        if not tokenize:
            matches = [(value, 0, len(value))]
        else:
            matches = ((m.group(), m.start(), m.end()) for m in _TOKEN_RE.finditer(value))
        pos = None
        for i, (raw, start, end) in enumerate(matches):
            text, stopped, acronym = term(raw)
            token.text = text
            token.acronym = acronym
            if keeporiginal:
                token.original = raw
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            if stopped:
                if removestops:
                    continue
                token.stopped = True
                if positions:
                    token.pos = start_pos + i
            else:
                token.stopped = False
                if positions:
                    pos = start_pos + i if pos is None else pos + 1
                    token.pos = pos
            yield token


class Sectioned(str):
    """A page's text made of parts (its sections) joined by spaces. Indexing it
    appends to `bounds` the position at which each part begins, so that a word's
    positions tell which section holds it."""

    parts: list[str]
    bounds: list[int]

    def __new__(cls, parts: list[str], bounds: list[int] | None = None) -> Sectioned:
        text = super().__new__(cls, " ".join(parts))
        text.parts = parts
        text.bounds = [] if bounds is None else bounds
        return text


class FrenchPositions(Positions):
    """The format of the text fields of indexes written before their positions moved
    beside the index (`FrenchWeights`): kept so that such an index still opens and
    answers until the next build."""

    def __setstate__(self, state) -> None:
        state.pop("builder", None)
        state.pop("field_name", None)
        self.__dict__.update(state)


class FrenchWeights(Format):
    """Postings with their weight (frequency × boosts) and nothing else: the text
    fields' positions are kept beside the index, as arrays (`ChampionLists.positions`),
    and their postings written in bulk (`portal.search.writer`)."""

    posting_size = 0  # no value per posting

    def word_values(self, value, analyzer, **kwargs):
        boost = self.field_boost
        for word, positions in analyzer.term_positions(value).items():
            yield (word, len(positions), len(positions) * boost, b"")


class FrenchText(TEXT):
    """A TEXT field analysed by `FrenchAnalyzer`, whose postings hold weights only."""

    def __init__(self, analyzer: FrenchAnalyzer, field_boost: float = 1.0, **kwargs) -> None:
        super().__init__(analyzer=analyzer, field_boost=field_boost, **kwargs)
        self.format = FrenchWeights(field_boost=field_boost)


def french_analyzer(stem: bool = True, acronyms: frozenset[str] = frozenset()) -> FrenchAnalyzer:
    return FrenchAnalyzer(stem=stem, acronyms=frozenset(acronyms))


# -- the same analysis as a chain of Whoosh filters: the reference the tests compare with --
class ElisionFilter(Filter):
    """Drops French elided articles and pronouns, and marks acronyms."""

    def __init__(self, acronyms: frozenset[str] = frozenset()) -> None:
        self.acronyms = acronyms

    def __call__(self, tokens):
        for token in tokens:
            text = ELISION.sub("", token.text)
            token.text = text
            token.acronym = (len(text) > 1 and text.isupper() and text.isalpha()) or (
                text.lower() in self.acronyms
            )
            yield token


class FrenchStemFilter(Filter):
    """Snowball French stemming that leaves acronyms alone."""

    def __call__(self, tokens):
        for token in tokens:
            if not getattr(token, "acronym", False) and not token.text.isdigit():
                token.text = _stem(token.text)
            yield token


def reference_chain(stem: bool = True, acronyms: frozenset[str] = frozenset()) -> Analyzer:
    chain = (
        RegexTokenizer(TOKEN_PATTERN)
        | ElisionFilter(acronyms)
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | StopFilter(stoplist=STOP_WORDS, minsize=1)
    )
    return chain | FrenchStemFilter() if stem else chain


def fold(text: str) -> str:
    """Lower-case and strip accents: the key under which queries are grouped."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalize_query(text: str) -> str:
    """The query as the PMO reads it in reports: folded words, stop words out."""
    words = [t.text for t in french_analyzer(stem=False)(text)]
    return " ".join(words)[:500]
