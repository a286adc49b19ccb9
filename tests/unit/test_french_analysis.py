"""French analysis: what the index and queries agree a word is."""

from __future__ import annotations

import pytest

from portal.search.analysis import french_analyzer, normalize_query
from portal.search.query import split_units
from portal.search.synonyms import abbreviation_groups, glossary_groups


def terms(text: str, **kwargs) -> list[str]:
    return [t.text for t in french_analyzer(**kwargs)(text)]


def test_accents_and_case_fold_alike():
    assert terms("Délai") == terms("delai") == terms("DELAIS".lower())


def test_elisions_are_removed():
    assert terms("l'équipe") == terms("équipe")
    assert terms("d’avancement") == terms("avancement")
    assert terms("jusqu'au jalon") == terms("au jalon")


def test_stop_words_are_dropped_including_les():
    assert terms("les risques de la mission") == terms("risques mission")


def test_acronyms_are_kept_whole():
    assert terms("RACI") == ["raci"]
    assert terms("SPI et COPIL") == ["spi", "copil"]
    assert terms("raci", acronyms=frozenset({"raci"})) == ["raci"]


def test_stemming_groups_inflections():
    assert terms("indicateurs") == terms("indicateur")
    assert terms("piloter") == terms("pilote")


def test_normalized_query_is_folded_without_stop_words():
    assert normalize_query("Comment préparer un COPIL ?") == "preparer copil"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('"plan de charge" risques', [(["plan", "de", "charge"], True), (["risques"], False)]),
        ('"plan de charge', [(["plan"], False), (["de"], False), (["charge"], False)]),
        ("AND OR NOT", [(["AND"], False), (["OR"], False), (["NOT"], False)]),
        ("*", []),
        ("<script>alert(1)</script>", [(["script"], False), (["alert"], False), (["1"], False), (["script"], False)]),
    ],
)
def test_queries_are_split_into_plain_words_and_phrases(raw, expected):
    assert [(u.words, u.quoted) for u in split_units(raw)] == expected


def test_glossary_headings_give_synonym_groups():
    text = "### Valeur acquise (earned value, EV) {#valeur-acquise}\n### Jalon {#jalon}\n"
    assert glossary_groups(text) == [["valeur acquise", "earned value", "ev"]]


def test_abbreviations_give_synonyms_and_acronyms():
    groups, acronyms = abbreviation_groups(
        "*[COPIL]: Comité de pilotage\n*[SPI]: Schedule Performance Index — indice de performance des délais\n"
    )
    assert groups[0] == ["copil", "comite de pilotage"]
    assert groups[1] == ["spi", "schedule performance index", "indice de performance des delais"]
    assert acronyms == {"copil", "spi"}


# -- the one-pass analyser against the chain of Whoosh filters it replaces -------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from portal.search.analysis import reference_chain  # noqa: E402

WORDS = ["l'équipe", "L’ÉQUIPE", "COPIL", "copil", "RACI", "les", "de", "à", "planifier",
         "planification", "délais", "2026", "v1.2", "arc-en-ciel", "qu'il", "jusqu'au", "SPI",
         "été", "Été", "ÉTÉ", "x", "B", "œuvre", "naïve", "«", "»", "!", "—", "_", "1er"]
texts = st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=8)), max_size=30).map(
    lambda parts: " ".join(parts)
)


def token_view(analyzer, text: str, **options) -> list[tuple]:
    return [
        (t.text, getattr(t, "pos", None), getattr(t, "startchar", None),
         getattr(t, "endchar", None), t.stopped)
        for t in analyzer(text, **options)
    ]


@settings(max_examples=300, deadline=None)
@given(text=texts, stem=st.booleans(), positions=st.booleans(), chars=st.booleans(),
       removestops=st.booleans(), start_pos=st.integers(0, 5), start_char=st.integers(0, 5))
def test_one_pass_analyser_equals_the_filter_chain(text, stem, positions, chars, removestops,
                                                   start_pos, start_char):
    acronyms = frozenset({"pmo", "raci"})
    options = dict(positions=positions, chars=chars, removestops=removestops,
                   start_pos=start_pos, start_char=start_char)
    fast = french_analyzer(stem=stem, acronyms=acronyms)
    assert token_view(fast, text, **options) == token_view(reference_chain(stem, acronyms), text,
                                                            **options)
    # Twice: the second pass answers from the analyser's memory of raw words.
    assert token_view(fast, text, **options) == token_view(reference_chain(stem, acronyms), text,
                                                            **options)


def test_one_pass_analyser_without_tokenizing_equals_the_chain():
    for value in ["Délais", "les", "COPIL", "l'équipe"]:
        assert token_view(french_analyzer(), value, tokenize=False, positions=True, chars=True) \
            == token_view(reference_chain(), value, tokenize=False, positions=True, chars=True)


def test_analyser_survives_pickling_with_an_empty_memory():
    import pickle

    analyzer = french_analyzer(acronyms=frozenset({"pmo"}))
    list(analyzer("planification du PMO"))
    copy = pickle.loads(pickle.dumps(analyzer))
    assert copy == analyzer and copy._cache == {}
    assert [t.text for t in copy("planification du PMO")] == terms("planification du PMO")


@settings(max_examples=300, deadline=None)
@given(text=texts, stem=st.booleans())
def test_term_positions_are_the_postings_the_chain_would_write(text, stem):
    chain: dict[str, list[int]] = {}
    for token in reference_chain(stem, frozenset({"pmo"}))(text, positions=True):
        chain.setdefault(token.text, []).append(token.pos)
    analyzer = french_analyzer(stem=stem, acronyms=frozenset({"pmo"}))
    assert analyzer.term_positions(text) == chain
    assert analyzer.terms(text) == set(chain)


@settings(max_examples=200, deadline=None)
@given(parts=st.lists(texts, max_size=6))
def test_a_sectioned_text_is_indexed_as_its_joined_parts_and_knows_where_each_begins(parts):
    from portal.search.analysis import Sectioned

    analyzer = french_analyzer()
    text = Sectioned(parts)
    found = analyzer.term_positions(text)
    assert found == analyzer.term_positions(" ".join(parts))
    assert len(text.bounds) == len(parts) and text.bounds == sorted(text.bounds)
    for k, part in enumerate(parts):
        upper = text.bounds[k + 1] if k + 1 < len(parts) else float("inf")
        for term in analyzer.terms(part):
            assert any(text.bounds[k] <= p < upper for p in found[term])


@settings(max_examples=500, deadline=None)
@given(text=st.text(alphabet=st.sampled_from("ab'’-. \té1_"), max_size=40) | texts)
def test_the_word_pattern_cuts_words_as_the_earlier_one_did(text):
    """`\\w+(?:['’]\\w+)?…` reads each word once; `(?:\\w+['’])?\\w+…`, the pattern it
    replaced, read the words without an apostrophe twice. Same words."""
    import re

    from portal.search.analysis import TOKEN_PATTERN

    assert re.findall(TOKEN_PATTERN, text) == re.findall(r"(?:\w+['’])?\w+(?:[-.]\w+)*", text)
