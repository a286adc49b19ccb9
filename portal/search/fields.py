"""The index schema: what a search result is made of.

One document per page (its title, its h2/h3 headings, its text), one per
glossary entry, one per quiz; the page's sections are stored with it so that a
result can point at the section that matches best. One last document holds the
vocabulary of the site, unstemmed, for spelling suggestions.
"""

from __future__ import annotations

from whoosh.fields import ID, KEYWORD, STORED, Schema

from .analysis import FrenchText, french_analyzer

VOCABULARY_URL = "#vocabulaire"


def make_schema(acronyms: frozenset[str]) -> Schema:
    stemmed = french_analyzer(stem=True, acronyms=acronyms)
    return Schema(
        url=ID(stored=True, unique=True),
        page=ID(stored=True),  # the page's URL: a glossary's entries share it
        kind=ID(stored=True),  # "page", "entry" (of the glossary) or "vocabulary"
        type=ID(stored=True),  # guide, template, glossary, podcast, talent, hub, quiz
        top=ID(stored=True),  # top-level section of the site (pilotage, modeles…)
        title=FrenchText(stemmed, field_boost=3.0, stored=True),
        section=FrenchText(stemmed, field_boost=2.0),  # the h2/h3 headings
        tags=FrenchText(stemmed, field_boost=1.5, stored=True),
        body=FrenchText(stemmed),
        # Every word of the site, folded but not stemmed: what a typo is corrected to.
        words=KEYWORD(),
        crumbs=STORED,
        description=STORED,
        sections=STORED,  # [(anchor, heading, text)], anchor "" for the introduction
        bounds=STORED,  # the body position at which each section begins
    )


SEARCH_FIELDS = ("title", "section", "tags", "body")
