"""The index schema: what a search result is made of."""

from __future__ import annotations

from whoosh.fields import ID, STORED, TEXT, Schema

from .analysis import french_analyzer


def make_schema(acronyms: frozenset[str]) -> Schema:
    stemmed = french_analyzer(stem=True, acronyms=acronyms)
    exact = french_analyzer(stem=False, acronyms=acronyms)
    return Schema(
        url=ID(stored=True, unique=True),
        page=ID(stored=True),  # the page's URL, to group a page's sections
        kind=ID(stored=True),  # "page" or "section"
        type=ID(stored=True),  # guide, template, glossary, podcast, talent, hub, quiz
        top=ID(stored=True),  # top-level section of the site (pilotage, modeles…)
        title=TEXT(analyzer=stemmed, stored=True, field_boost=3.0),
        section=TEXT(analyzer=stemmed, stored=True, field_boost=2.0),
        tags=TEXT(analyzer=stemmed, stored=True, field_boost=1.5),
        body=TEXT(analyzer=stemmed, stored=True),
        # Unstemmed words for spelling suggestions (a stemmed field can't suggest words).
        body_exact=TEXT(analyzer=exact, spelling=True),
        crumbs=STORED,
        description=STORED,
    )


SEARCH_FIELDS = ("title", "section", "tags", "body")
