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
