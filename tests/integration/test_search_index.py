"""The index written in bulk (`portal.search.writer`) is the index Whoosh's own
writer writes, posting for posting, with the positions kept beside it."""

from __future__ import annotations

import numpy as np
import pytest
from whoosh import index
from whoosh.query import Term

from portal.search.champions import FIELDS, ChampionLists
from portal.search.fields import VOCABULARY_URL, make_schema
from portal.search.indexer import index_documents, quiz_documents, site_documents
from portal.search.synonyms import load_synonyms


@pytest.fixture(scope="module")
def both(real_build, tmp_path_factory):
    """The shipped content indexed twice: in bulk, and by Whoosh's own writer."""
    settings, result = real_build
    groups, acronyms = load_synonyms(settings.content_dir)
    documents = (list(site_documents(result.generation / "site"))
                 + list(quiz_documents(settings.quizzes_dir)))
    tmp = tmp_path_factory.mktemp("indexes")
    (tmp / "whoosh").mkdir()
    index_documents(documents, tmp / "bulk", groups, acronyms)
    reference = index.create_in(str(tmp / "whoosh"), make_schema(frozenset(acronyms)))
    bulk = index.open_dir(str(tmp / "bulk"))
    with bulk.reader() as reader:  # the last document: the site's words, for typos
        words = b" ".join(reader.lexicon("words")).decode("utf-8")
    writer = reference.writer()
    for document in documents:
        writer.add_document(**document.fields())
    writer.add_document(url=VOCABULARY_URL, page=VOCABULARY_URL, kind="vocabulary", words=words)
    writer.commit()
    with bulk.reader() as ours, reference.reader() as theirs:
        yield ours, theirs, documents, tmp / "bulk", bulk, reference


def postings(reader, field: str, term: bytes) -> list[tuple[int, float]]:
    matcher = reader.postings(field, term)
    found = []
    while matcher.is_active():
        found.append((matcher.id(), round(matcher.weight(), 4)))
        matcher.next()
    return found


def test_every_posting_and_its_statistics_are_whooshs(both):
    ours, theirs, documents, *_ = both
    assert len(documents) > 100
    for field in FIELDS:
        words = list(theirs.lexicon(field))
        assert words and list(ours.lexicon(field)) == words
        for word in words:
            assert postings(ours, field, word) == postings(theirs, field, word), (field, word)
            mine, whooshs = ours.term_info(field, word), theirs.term_info(field, word)
            assert (mine.doc_frequency(), mine.min_length(), mine.max_length(), mine.min_id(),
                    mine.max_id()) == (whooshs.doc_frequency(), whooshs.min_length(),
                                       whooshs.max_length(), whooshs.min_id(), whooshs.max_id())
            assert mine.weight() == pytest.approx(whooshs.weight())
            assert mine.max_weight() == pytest.approx(whooshs.max_weight())
        assert ours.field_length(field) == theirs.field_length(field)
        for docnum in range(len(documents) + 1):
            assert ours.doc_field_length(docnum, field) == theirs.doc_field_length(docnum, field)


def test_the_other_fields_and_the_stored_values_are_whooshs(both):
    ours, theirs, documents, *_ = both
    for field in ("url", "page", "kind", "type", "top", "words"):
        words = list(theirs.lexicon(field))
        assert words and list(ours.lexicon(field)) == words
        for word in words:
            assert postings(ours, field, word) == postings(theirs, field, word), (field, word)
            mine, whooshs = ours.term_info(field, word), theirs.term_info(field, word)
            assert (mine.doc_frequency(), mine.min_length(), mine.max_length()) == \
                (whooshs.doc_frequency(), whooshs.min_length(), whooshs.max_length())
    for docnum in range(len(documents) + 1):
        assert ours.stored_fields(docnum) == theirs.stored_fields(docnum)


def test_whooshs_own_searcher_ranks_alike_on_both(both):
    *_, bulk, reference = both
    for field, word in (("body", "risqu"), ("title", "comit"), ("body", "spi")):
        with bulk.searcher() as ours, reference.searcher() as theirs:
            mine = [(h.docnum, round(h.score, 4)) for h in ours.search(Term(field, word), limit=20)]
            whooshs = [(h.docnum, round(h.score, 4))
                       for h in theirs.search(Term(field, word), limit=20)]
        assert mine and mine == whooshs


def test_the_positions_beside_the_index_are_the_analysers(both):
    ours, theirs, documents, folder, bulk, _reference = both
    lists = ChampionLists(folder)
    analyzer = bulk.schema["body"].analyzer
    docnums = np.arange(len(documents))
    expected: dict[tuple[str, str], dict[int, list[int]]] = {}
    for docnum, document in enumerate(documents):
        values = document.fields()
        for field in FIELDS:
            for word, places in analyzer.term_positions(values[field]).items():
                expected.setdefault((field, word), {})[docnum] = places
    assert len(expected) > 1000
    for (field, word), where in expected.items():
        found = lists.positions(field, word, docnums)
        assert {d: p.tolist() for d, p in found.items()} == where, (field, word)
    assert lists.positions("body", "motquinexistepas", docnums) == {}


def test_analysing_in_several_processes_writes_the_same_index(both, real_build, tmp_path):
    ours, _theirs, documents, folder, *_ = both
    groups, acronyms = load_synonyms(real_build[0].content_dir)
    index_documents(documents, tmp_path / "parallel", groups, acronyms, workers=2)
    parallel = index.open_dir(str(tmp_path / "parallel"))
    with parallel.reader() as shared:
        for field in ours.indexed_field_names():
            words = list(ours.lexicon(field))
            assert list(shared.lexicon(field)) == words, field
            for word in words:
                assert postings(shared, field, word) == postings(ours, field, word), (field, word)
        for docnum in range(len(documents) + 1):
            assert shared.stored_fields(docnum) == ours.stored_fields(docnum)
            for field in FIELDS:
                assert shared.doc_field_length(docnum, field) == ours.doc_field_length(docnum, field)
    files = sorted(p.relative_to(folder) for p in folder.rglob("*") if p.suffix in {".npy", ".json"})
    assert len(files) > 20
    for name in files:
        if name.suffix == ".npy":
            assert np.array_equal(np.load(folder / name), np.load(tmp_path / "parallel" / name)), name
        else:
            assert (folder / name).read_text() == (tmp_path / "parallel" / name).read_text(), name
