"""Relevance on the shipped content, measured on tests/search/relevance.yml."""

from __future__ import annotations

from pathlib import Path

import yaml

from portal.search.query import Searcher

RELEVANCE = Path(__file__).with_name("relevance.yml")


def ranked_pages(searcher: Searcher, query: str, depth: int = 10) -> list[str]:
    pages: list[str] = []
    for hit in searcher.search(query, limit=depth).hits:
        page = hit.url.split("#")[0]
        if page not in pages:
            pages.append(page)
    return pages


def evaluate(searcher: Searcher) -> tuple[float, float, list[str]]:
    cases = yaml.safe_load(RELEVANCE.read_text(encoding="utf-8"))
    hits5, reciprocal, misses = 0, 0.0, []
    for case in cases:
        pages = ranked_pages(searcher, case["query"])
        ranks = [pages.index(p) + 1 for p in case["expected"] if p in pages[:10]]
        if ranks and min(ranks) <= 5:
            hits5 += 1
        else:
            misses.append(f"{case['query']!r} → {pages[:5]}")
        reciprocal += 1 / min(ranks) if ranks else 0.0
    return hits5 / len(cases), reciprocal / len(cases), misses


def test_relevance_set_is_large_and_points_at_real_pages(real_build):
    cases = yaml.safe_load(RELEVANCE.read_text(encoding="utf-8"))
    assert len(cases) >= 40
    site = real_build[1].generation / "site"
    for case in cases:
        for page in case["expected"]:
            assert (site / page.strip("/") / "index.html").is_file(), page


def test_success_at_5_and_mrr_at_10_on_shipped_content(real_build):
    searcher = Searcher(real_build[1].generation / "index")
    success, mrr, misses = evaluate(searcher)
    print(f"\nsuccess@5 = {success:.3f}, MRR@10 = {mrr:.3f}")
    assert success >= 0.90, f"success@5 = {success:.3f}; manqués :\n" + "\n".join(misses)
    assert mrr >= 0.75, f"MRR@10 = {mrr:.3f}"


def test_results_found_through_a_corrected_word_name_it_with_its_accents(real_build):
    searcher = Searcher(real_build[1].generation / "index")
    for typed, meant in [("maturitée du pmo", "maturité du pmo"), ("valeur aquise", "valeur acquise"),
                         ("gouvernence", "gouvernance")]:
        found = searcher.search(typed)
        assert found.total >= 3 and found.suggestion == meant, (typed, found.suggestion)
    # A query whose words are all the site's own gets no suggestion.
    assert searcher.search("maturité du PMO").suggestion is None
    assert searcher.search("valeur acquise").suggestion is None


def test_snippets_show_the_words_typed_before_their_synonyms(real_build):
    """« valeur acquise » also reads its synonyms (earned value, EV, BCWP: « budgeted
    cost of work performed »), whose words are rarer; the extract still shows the words
    the reader typed, in the section that holds them."""
    searcher = Searcher(real_build[1].generation / "index")
    for hit in searcher.search("valeur acquise", limit=10).hits[:5]:
        assert "<mark>valeur</mark> <mark>acquise</mark>" in hit.snippet.lower() \
            or "<mark>valeur acquise</mark>" in hit.snippet.lower(), (hit.url, hit.snippet)


def test_diagrams_sources_are_not_text(real_build):
    searcher = Searcher(real_build[1].generation / "index")
    for query in ("flowchart", "cadrage charte plan de communication"):
        for hit in searcher.search(query, limit=10).hits:
            assert "flowchart" not in hit.snippet and "--&gt;" not in hit.snippet, hit.url
