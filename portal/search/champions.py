"""Champion lists: for each indexed word, the documents where it weighs most.

Whoosh's matchers are pure Python: a query costs a few microseconds for every
posting it touches, and on 10,000 pages a common word has thousands of them. So
the build also writes, beside the Whoosh index, the DEPTH documents where each
(field, word) weighs most, with its BM25 weight there: impact-ordered
"champion lists" (Manning, Raghavan & Schütze, *Introduction to Information
Retrieval*, 2008, § 7.1.3). A query gathers and ranks its candidates from these
lists in a few array operations (Whoosh's BM25F formula, idf and boosts); the
phrases of the best candidates are then checked on the Whoosh index's positions.

A word in DEPTH documents or fewer has its whole posting list here: on a site
the size of the shipped one nothing is cut. A word in more documents counts only
in the DEPTH where it weighs most; elsewhere its weight is lower than the list's
last and, the word being common, its idf small.

The phrases the glossary makes synonyms of (« valeur acquise », « earned
value », « comité de pilotage ») are also listed, with the documents where
their words follow each other in each field: a query reading a synonym checks
its phrase in these lists instead of decoding Whoosh's positions. Phrases a
reader types between quotes are still checked on the positions.
"""

from __future__ import annotations

import bisect
import json
from array import array
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

import numpy as np

from .per_index import PerIndex

DEPTH = 1000
FIELDS = ("title", "section", "tags", "body")
FOLDER = "champions"
# Whoosh's BM25F defaults, which the searcher uses.
B = 0.75
K1 = 1.2


@dataclass
class Postings:
    """Every posting of one field, by word then document: `docs[offsets[t]:offsets[t+1]]`
    hold word `names[t]`; posting i has the weight `weights[i]` (frequency × boosts)
    and the positions `positions[position_offsets[i]:position_offsets[i+1]]`."""

    names: list[str]
    offsets: np.ndarray
    docs: np.ndarray
    weights: np.ndarray
    position_offsets: np.ndarray
    positions: np.ndarray
    lengths: np.ndarray  # per document


class ChampionBuilder:
    """Collects (word, document, weight) while the index is written."""

    def __init__(self, phrases=(), first: int = 0) -> None:
        self.docnum = first - 1
        # Known phrases (tuples of indexed words), by first word.
        self.phrases: dict[str, set[tuple[str, ...]]] = {}
        for phrase in phrases:
            if len(phrase) > 1:
                self.phrases.setdefault(phrase[0], set()).add(tuple(phrase))
        self.phrase_docs: dict[str, dict[tuple[str, ...], array]] = {f: {} for f in FIELDS}
        self.boosts = array("d")  # per document
        self.field_boosts: dict[str, float] = {}
        self.attributes: list[tuple[str, str]] = []  # (type, top) per document
        self.ids: dict[str, dict[str, int]] = {f: {} for f in FIELDS}
        self.term = {f: array("I") for f in FIELDS}
        self.doc = {f: array("I") for f in FIELDS}
        self.count = {f: array("I") for f in FIELDS}  # positions of each posting
        self.positions = {f: array("I") for f in FIELDS}  # all of them, posting after posting
        self.length = {f: array("I") for f in FIELDS}  # per document
        self._sorted: dict[str, Postings] = {}

    def start(self, doc_type: str, top: str, boost: float) -> None:
        """A new document: the next Whoosh document number."""
        self.docnum += 1
        self.boosts.append(boost)
        self.attributes.append((doc_type, top))
        for lengths in self.length.values():
            lengths.append(0)

    def add(self, field: str, found: dict[str, list[int]], field_boost: float) -> int:
        """The terms of one field of the current document, with their positions;
        returns the field's length (its words, stop words left out)."""
        ids = self.ids[field]
        self.field_boosts[field] = field_boost
        counts = [len(p) for p in found.values()]
        self.term[field].extend([ids.setdefault(t, len(ids)) for t in found])
        self.doc[field].extend([self.docnum] * len(found))
        self.count[field].extend(counts)
        self.positions[field].extend(chain.from_iterable(found.values()))
        length = self.length[field][-1] = sum(counts)  # the current document's
        for first in self.phrases.keys() & found.keys():
            for phrase in self.phrases[first]:
                if all(w in found for w in phrase[1:]) and _consecutive(found, phrase):
                    self.phrase_docs[field].setdefault(phrase, array("I")).append(self.docnum)
        return length

    def analyse(self, values: dict, analyzer, boosts: dict[str, float]) -> dict[str, int]:
        """Analyse and add the text fields of the current document (`values` as given
        to the writer: a `Sectioned` body records where its sections begin); returns
        each field's length."""
        return {field: self.add(field, analyzer.term_positions(values.get(field) or ""),
                                boosts[field])
                for field in FIELDS}

    def merge(self, other: ChampionBuilder) -> None:
        """Append what `other` collected, on the documents that follow this builder's."""
        assert other.docnum - len(other.boosts) == self.docnum, "documents out of order"
        for field in FIELDS:
            ids = self.ids[field]
            names = sorted(other.ids[field], key=other.ids[field].__getitem__)
            renumber = np.array([ids.setdefault(name, len(ids)) for name in names] or [0],
                                dtype=np.uint32)
            self.term[field].frombytes(
                renumber[np.frombuffer(other.term[field], dtype=np.uint32)].tobytes())
            for mine, theirs in ((self.doc, other.doc), (self.count, other.count),
                                 (self.positions, other.positions),
                                 (self.length, other.length)):
                mine[field].extend(theirs[field])
            for phrase, docs in other.phrase_docs[field].items():
                self.phrase_docs[field].setdefault(phrase, array("I")).extend(docs)
        self.field_boosts.update(other.field_boosts)
        self.boosts.extend(other.boosts)
        self.attributes.extend(other.attributes)
        self.docnum = other.docnum

    def postings(self, field: str) -> Postings:
        """Every posting of a field, by word (in alphabetical order) then document."""
        if field in self._sorted:
            return self._sorted[field]
        names = sorted(self.ids[field], key=self.ids[field].__getitem__)
        order = sorted(range(len(names)), key=names.__getitem__)
        rank = np.empty(len(names), dtype=np.int64)
        rank[order] = np.arange(len(names))  # term id -> position in sorted order
        terms = rank[np.frombuffer(self.term[field], dtype=np.uint32)] if names else \
            np.empty(0, dtype=np.int64)
        by = np.argsort(terms, kind="stable")  # documents were added in order
        counts = np.frombuffer(self.count[field], dtype=np.uint32)
        starts = np.cumsum(counts, dtype=np.int64) - counts  # where each posting's positions are
        counts = counts[by]
        ends = np.cumsum(counts, dtype=np.int64)
        gather = np.repeat(starts[by] - (ends - counts), counts) + np.arange(ends[-1] if len(ends) else 0)
        offsets = np.zeros(len(names) + 1, dtype=np.int64)
        np.cumsum(np.bincount(terms, minlength=len(names)), out=offsets[1:])
        docs = np.frombuffer(self.doc[field], dtype=np.uint32)[by]
        # Whoosh's weight: frequency × the field's boost × the document's.
        scale = np.frombuffer(self.boosts, dtype=np.float64)[docs] if len(docs) else np.empty(0)
        weights = (counts * self.field_boosts.get(field, 1.0) * scale).astype(np.float32)
        found = self._sorted[field] = Postings(
            names=[names[i] for i in order], offsets=offsets, docs=docs, weights=weights,
            position_offsets=np.concatenate(([0], ends)).astype(np.int64),
            positions=np.frombuffer(self.positions[field], dtype=np.uint32)[gather],
            lengths=np.frombuffer(self.length[field], dtype=np.uint32),
        )
        return found

    def write(self, index_dir: Path) -> None:
        folder = index_dir / FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        count = self.docnum + 1
        meta: dict[str, object] = {"documents": count, "depth": DEPTH, "fields": {}}
        for field in FIELDS:
            every = self.postings(field)
            names = every.names
            terms = np.repeat(np.arange(len(names)), np.diff(every.offsets))
            docs = every.docs
            tf = every.weights.astype(np.float64)
            lengths = every.lengths.astype(np.float64)
            average = lengths.sum() / count if count else 1.0
            dl = lengths[docs] if len(docs) else np.empty(0)
            weights = tf * (K1 + 1) / (tf + K1 * ((1 - B) + B * dl / (average or 1.0)))
            # By term, then by weight, best first; keep the first DEPTH of each term.
            by = np.lexsort((docs, -weights, terms))
            terms, docs, weights = terms[by], docs[by], weights[by]
            starts = every.offsets[:-1]
            keep = (np.arange(len(terms)) - starts[terms]) < DEPTH if len(terms) else \
                np.empty(0, dtype=bool)
            terms, docs, weights = terms[keep], docs[keep], weights[keep]
            offsets = np.zeros(len(names) + 1, dtype=np.int64)
            np.cumsum(np.bincount(terms, minlength=len(names)), out=offsets[1:])
            np.save(folder / f"{field}.docs.npy", docs.astype(np.uint32))
            np.save(folder / f"{field}.weights.npy", weights.astype(np.float32))
            np.save(folder / f"{field}.offsets.npy", offsets)
            meta["fields"][field] = names
            # Every posting with its positions: where a result's words stand, and phrases.
            np.save(folder / f"{field}.all_docs.npy", every.docs)
            np.save(folder / f"{field}.all_offsets.npy", every.offsets)
            np.save(folder / f"{field}.position_offsets.npy", every.position_offsets)
            np.save(folder / f"{field}.positions.npy", every.positions)
            # Every known phrase, with the documents (ascending) where it stands.
            phrases = sorted({p for group in self.phrases.values() for p in group})
            found = [np.frombuffer(self.phrase_docs[field].get(p, array("I")), dtype=np.uint32)
                     for p in phrases]
            offsets = np.zeros(len(phrases) + 1, dtype=np.int64)
            np.cumsum([len(d) for d in found], out=offsets[1:])
            np.save(folder / f"{field}.phrase_docs.npy",
                    np.concatenate(found) if found else np.empty(0, dtype=np.uint32))
            np.save(folder / f"{field}.phrase_offsets.npy", offsets)
            meta.setdefault("phrases", {})[field] = [" ".join(p) for p in phrases]
        types = sorted({t for t, _ in self.attributes})
        tops = sorted({p for _, p in self.attributes})
        np.save(folder / "types.npy", np.array([types.index(t) for t, _ in self.attributes],
                                               dtype=np.uint16))
        np.save(folder / "tops.npy", np.array([tops.index(p) for _, p in self.attributes],
                                              dtype=np.uint16))
        meta["types"], meta["tops"] = types, tops
        (folder / "terms.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


class ChampionLists:
    """The lists of one index generation, read-only and shared by every thread."""

    def __init__(self, index_dir: Path) -> None:
        folder = index_dir / FOLDER
        meta = json.loads((folder / "terms.json").read_text(encoding="utf-8"))
        self.documents = int(meta["documents"])
        self.depth = int(meta["depth"])
        self.terms = {f: meta["fields"][f] for f in FIELDS}
        self.position = {f: {t: i for i, t in enumerate(self.terms[f])} for f in FIELDS}
        self.docs = {f: np.load(folder / f"{f}.docs.npy", mmap_mode="r") for f in FIELDS}
        self.weights = {f: np.load(folder / f"{f}.weights.npy", mmap_mode="r") for f in FIELDS}
        self.offsets = {f: np.load(folder / f"{f}.offsets.npy") for f in FIELDS}
        self.phrases: dict[str, dict[tuple[str, ...], int]] | None = None
        if "phrases" in meta:  # lists written before phrases were: none
            self.phrases = {f: {tuple(p.split(" ")): i for i, p in enumerate(meta["phrases"][f])}
                            for f in FIELDS}
            self.phrase_docs_ = {f: np.load(folder / f"{f}.phrase_docs.npy") for f in FIELDS}
            self.phrase_offsets = {f: np.load(folder / f"{f}.phrase_offsets.npy") for f in FIELDS}
        self.all_docs = self.all_offsets = self.position_offsets = self.positions_ = None
        if (folder / "body.positions.npy").is_file():  # lists written before positions were: none
            self.all_docs = {f: np.load(folder / f"{f}.all_docs.npy", mmap_mode="r") for f in FIELDS}
            self.all_offsets = {f: np.load(folder / f"{f}.all_offsets.npy") for f in FIELDS}
            self.position_offsets = {f: np.load(folder / f"{f}.position_offsets.npy", mmap_mode="r")
                                     for f in FIELDS}
            self.positions_ = {f: np.load(folder / f"{f}.positions.npy", mmap_mode="r")
                               for f in FIELDS}
        self.types = np.load(folder / "types.npy")
        self.tops = np.load(folder / "tops.npy")
        self.type_names = list(meta["types"])
        self.top_names = list(meta["tops"])

    def postings(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(documents, BM25 weights without the idf) of a word in a field, best first."""
        found = self.position.get(field, {}).get(term)
        if found is None:
            return None
        start, end = self.offsets[field][found], self.offsets[field][found + 1]
        return self.docs[field][start:end], self.weights[field][start:end]

    @property
    def has_positions(self) -> bool:
        return self.positions_ is not None

    def positions(self, field: str, term: str, docnums) -> dict[int, np.ndarray]:
        """Where the word stands in each of these documents (ascending numbers) that
        hold it."""
        found = self.position.get(field, {}).get(term)
        if found is None:
            return {}
        start, end = self.all_offsets[field][found], self.all_offsets[field][found + 1]
        docs = self.all_docs[field][start:end]
        wanted = np.asarray(docnums, dtype=np.int64)
        at = np.searchsorted(docs, wanted)
        offsets, positions = self.position_offsets[field], self.positions_[field]
        where = {}
        for doc, i in zip(wanted.tolist(), at.tolist(), strict=True):
            if i < len(docs) and docs[i] == doc:
                where[doc] = positions[offsets[start + i] : offsets[start + i + 1]]
        return where

    def phrase_docs(self, field: str, words) -> np.ndarray | None:
        """The documents (ascending) where these words follow each other in the field,
        if the phrase is a known one; None otherwise (check it on the positions)."""
        found = self.phrases.get(field, {}).get(tuple(words)) if self.phrases else None
        if found is None:
            return None
        start, end = self.phrase_offsets[field][found], self.phrase_offsets[field][found + 1]
        return self.phrase_docs_[field][start:end]

    def expand(self, field: str, prefix: str, limit: int) -> list[str]:
        """Up to `limit` words of the field that begin with `prefix`."""
        terms = self.terms.get(field, [])
        start = bisect.bisect_left(terms, prefix)
        found = []
        for term in terms[start : start + limit]:
            if not term.startswith(prefix):
                break
            found.append(term)
        return found

    def mask(self, types: list[str] | None, tops: list[str] | None) -> np.ndarray | None:
        """Documents allowed by the type and section filters (None: all)."""
        allowed = None
        for values, names, codes in ((types, self.type_names, self.types),
                                     (tops, self.top_names, self.tops)):
            if not values:
                continue
            wanted = [names.index(v) for v in values if v in names]
            part = np.isin(codes, wanted)
            allowed = part if allowed is None else allowed & part
        return allowed


def _consecutive(found: dict[str, list[int]], phrase: tuple[str, ...]) -> bool:
    """Whether the phrase's words stand one after the other somewhere (a Whoosh
    phrase with slop 1; positions skip stop words)."""
    following = [set(found[w]) for w in phrase[1:]]
    return any(all(start + k in places for k, places in enumerate(following, 1))
               for start in found[phrase[0]])


def _load(index_dir: Path) -> ChampionLists | None:
    if not (index_dir / FOLDER / "terms.json").is_file():
        return None  # an index written before the lists were
    return ChampionLists(index_dir)


_lists = PerIndex(_load)


def champion_lists(index_dir: Path) -> ChampionLists | None:
    """The lists of an index, loaded once per process; None for an index without."""
    return _lists.get(index_dir)
