"""Snippets: passages around the query's words, escaped, the words marked."""

from __future__ import annotations

import re

from portal.search.analysis import french_analyzer
from portal.search.snippets import BETWEEN, SIZE, snippet

STEMMED = french_analyzer(stem=True)


def marking(*words: str, starts: tuple[str, ...] = ()):
    wanted = {STEMMED.term(w)[0] for w in words}

    def matches(raw: str) -> str | None:
        text, stopped, _acronym = STEMMED.term(raw)
        if stopped or not (text in wanted or (starts and text.startswith(starts))):
            return None
        return text

    return matches


def marked(html: str) -> list[str]:
    return re.findall(r"<mark>(.*?)</mark>", html)


def test_every_form_of_a_word_is_marked_and_only_those():
    text = "Le SPI compare la valeur acquise à la valeur planifiée ; les valeurs varient."
    html = snippet(text, marking("valeur"))
    assert marked(html) == ["valeur", "valeur", "valeurs"]
    assert html.startswith("Le SPI compare la <mark>valeur</mark> acquise")


def test_an_elided_article_stays_outside_the_mark():
    assert marked(snippet("Réunir l'équipe du projet.", marking("équipe"))) == ["équipe"]
    assert "l'<mark>équipe</mark>" in snippet("Réunir l'équipe du projet.", marking("équipe"))


def test_the_text_is_escaped_around_and_inside_the_marks():
    text = "<script>alert(1)</script> Le risque <b>majeur</b> & le risque R&D."
    html = snippet(text, marking("risque", "R&D"))
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html and "&amp;" in html
    assert marked(html) == ["risque", "risque"]


def test_nothing_matched_gives_nothing():
    assert snippet("Un texte sans rapport.", marking("gouvernance")) == ""


def test_a_word_being_typed_is_marked_by_its_beginning():
    html = snippet("La gouvernance du programme.", marking(starts=("gouv",)))
    assert marked(html) == ["gouvernance"]


def test_far_apart_matches_give_two_passages_in_the_text_order():
    filler = " ".join(["texte"] * 200)
    text = f"Le budget initial. {filler} Le calendrier révisé. {filler}"
    html = snippet(text, marking("budget", "calendrier"))
    first, second = html.split(BETWEEN)
    assert marked(first) == ["budget"] and marked(second) == ["calendrier"]
    assert len(first) < SIZE + 40 and len(second) < SIZE + 40


def test_the_passage_holding_most_distinct_words_is_chosen():
    filler = " ".join(["texte"] * 100)
    text = (f"Le risque seul. {filler} Le risque et le risque encore. {filler} "
            f"Le risque pèse sur le budget. {filler} Le jalon.")
    html = snippet(text, marking("risque", "budget"))
    passages = html.split(BETWEEN)
    assert any(marked(p) == ["risque", "budget"] for p in passages)


def test_a_long_section_is_read_only_so_far():
    text = "mot " * 100_000 + "budget"
    assert snippet(text, marking("budget")) == ""
    assert marked(snippet("budget " + text, marking("budget")))[0] == "budget"
