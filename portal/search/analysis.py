"""French text analysis for the index and the queries alike.

Tokens: words split on spaces and punctuation, elisions removed (« l'équipe » →
« équipe »), lower-cased, accents folded (« délai » = « delai »), French stop
words dropped, then Snowball-stemmed — except acronyms (COPIL, SPI, RACI),
which are kept whole so that « RACI » never becomes « rac ».
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from whoosh.analysis import (
    Analyzer,
    CharsetFilter,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StopFilter,
)
from whoosh.lang import stemmer_for_language, stopwords_for_language
from whoosh.support.charset import accent_map

# Whoosh's French list lacks « les » and a few frequent function words.
STOP_WORDS = frozenset(stopwords_for_language("fr")) | {
    "les", "aux", "cette", "cet", "ces", "comment", "quoi", "quel", "quelle",
    "quels", "quelles", "est-ce", "faire", "fait", "doit", "peut", "tout",
    "tous", "toute", "toutes", "plus", "moins", "entre", "sans", "sous",
}
ELISION = re.compile(r"^(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu)['’]", re.IGNORECASE)
# Words, keeping an elided prefix attached so the filter can strip it.
TOKEN_PATTERN = r"(?:\w+['’])?\w+(?:[-.]\w+)*"
# Snowball in pure Python is the costliest step of indexing and highlighting;
# a vocabulary is small, so stems are cached.
_stem = lru_cache(maxsize=200_000)(stemmer_for_language("fr"))


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


def french_analyzer(stem: bool = True, acronyms: frozenset[str] = frozenset()) -> Analyzer:
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
