"""Snippets: the passages of a section that hold a query's words, escaped, with
those words in `<mark>`.

Whoosh's highlighter builds a token object per word and scores fragments in
Python generators: about a millisecond per result on a long section, most of a
query's time on a large site. Here a section's words are matched through the
analyser's cache (one dictionary lookup per word), and the passages chosen with
a few comparisons.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape

from .analysis import ELISION, TOKEN_PATTERN

SIZE = 220  # characters in a passage, about
BEFORE = 60  # characters of context before a passage's first matched word
PASSAGES = 2
READ_LIMIT = 20_000  # characters of a section read for its passages
MAX_HITS = 300  # matched words considered
BETWEEN = " … "
_WORD_RE = re.compile(TOKEN_PATTERN)


def snippet(text: str, matches: Callable[[str], str | None]) -> str:
    """Up to two passages of `text` around the words `matches` recognises (it returns
    the word's indexed term, or None), best first by the distinct terms they hold
    then by their matched words, shown in the text's order and joined by « … ».
    "" when no word of the text matches."""
    hits: list[tuple[int, int, str]] = []  # (start, end, term)
    for match in _WORD_RE.finditer(text, 0, min(len(text), READ_LIMIT)):
        raw = match.group()
        term = matches(raw)
        if term is None:
            continue
        start = match.start()
        elided = ELISION.match(raw)
        if elided:  # « l'équipe »: the mark covers « équipe »
            start += elided.end()
        hits.append((start, match.end(), term))
        if len(hits) >= MAX_HITS:
            break
    if not hits:
        return ""
    passages: list[tuple[int, int]] = []
    for _ in range(PASSAGES):
        best = _best_passage(hits, passages)
        if best is None:
            break
        passages.append(best)
    passages.sort()
    return BETWEEN.join(_render(text, begin, end, hits) for begin, end in passages)


def _best_passage(hits: list[tuple[int, int, str]],
                  taken: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The passage beginning a little before one matched word that holds the most
    distinct terms, then the most matched words, and overlaps none of `taken`
    (a window sliding over the hits, which are in the text's order)."""
    best, best_rank = None, (0, 0)
    counts: dict[str, int] = {}
    j = 0
    for i, (start, _stop, term) in enumerate(hits):
        begin = max(0, start - BEFORE)
        end = begin + SIZE
        while j < len(hits) and (j <= i or hits[j][1] <= end):
            counts[hits[j][2]] = counts.get(hits[j][2], 0) + 1
            j += 1
        if not any(begin < t_end and t_begin < end for t_begin, t_end in taken):
            rank = (len(counts), j - i)
            if rank > best_rank:
                best, best_rank = (begin, end), rank
        counts[term] -= 1
        if not counts[term]:
            del counts[term]
    return best


def _render(text: str, begin: int, end: int, hits: list[tuple[int, int, str]]) -> str:
    """The passage [begin, end), widened to whole words, escaped, its matches marked."""
    if begin > 0:
        space = text.rfind(" ", 0, begin + 1)
        begin = space + 1 if space >= 0 else 0
    if end < len(text):
        space = text.find(" ", end)
        end = space if space >= 0 else len(text)
    parts, at = [], begin
    for start, stop, _term in hits:
        if start < begin or stop > end:
            continue
        parts += [escape(text[at:start], quote=False), "<mark>",
                  escape(text[start:stop], quote=False), "</mark>"]
        at = stop
    parts.append(escape(text[at:end], quote=False))
    return "".join(parts).strip()
