"""Synonym groups from the glossary: French terms, English equivalents, acronyms.

Two sources, both written once by the PMO: glossary headings
`### Valeur acquise (earned value, EV) {#valeur-acquise}` and the site-wide
abbreviations `*[COPIL]: Comité de pilotage`.
"""

from __future__ import annotations

import re
from pathlib import Path

from .analysis import fold

_HEADING = re.compile(r"^###\s+(.+?)\s*(?:\{[^}]*\})?\s*$")
_ABBR = re.compile(r"^\*\[([^\]]+)\]:\s*(.+)$")


def _clean(term: str) -> str:
    return re.sub(r"\s+", " ", fold(term).replace("’", "'")).strip()


def glossary_groups(text: str) -> list[list[str]]:
    groups = []
    for line in text.splitlines():
        match = _HEADING.match(line)
        if not match:
            continue
        heading = match.group(1)
        main, _, rest = heading.partition("(")
        aliases = [a for a in rest.rstrip(")").split(",")] if rest else []
        group = [_clean(main)] + [_clean(a) for a in aliases if a.strip()]
        if len(group) > 1:
            groups.append(group)
    return groups


def abbreviation_groups(text: str) -> tuple[list[list[str]], set[str]]:
    groups, acronyms = [], set()
    for line in text.splitlines():
        match = _ABBR.match(line)
        if not match:
            continue
        abbr, expansion = match.group(1), match.group(2)
        acronyms.add(abbr.lower())
        # « Schedule Performance Index — indice de performance des délais »: each part.
        parts = [p for p in re.split(r"\s+[—–-]\s+|\s*\(|\)", expansion) if p and p.strip()]
        groups.append([_clean(abbr)] + [_clean(p) for p in parts])
    return groups, acronyms


def load_synonyms(content_dir: Path) -> tuple[list[list[str]], set[str]]:
    """(synonym groups, acronyms) from content/glossaire.md and the abbreviations."""
    groups: list[list[str]] = []
    acronyms: set[str] = set()
    glossary = content_dir / "glossaire.md"
    if glossary.is_file():
        groups += glossary_groups(glossary.read_text(encoding="utf-8"))
    for snippet in sorted((content_dir / "_snippets").glob("*.md")):
        more, found = abbreviation_groups(snippet.read_text(encoding="utf-8"))
        groups += more
        acronyms |= found
    return groups, acronyms
