"""Building the search index from the rendered site (used only by the build).

Indexing the HTML mkdocs produced means anchors, includes and generated parts
are the real ones. Each page is a document, and so is each of its h2/h3
sections, linked as `page/#anchor`. Quizzes are indexed by title and
description only: their questions and answers never enter the index.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import lxml.html
import yaml
from whoosh import index

from .fields import make_schema
from .synonyms import load_synonyms

SKIP_FILES = {"404.html", "portail.html"}
# Link lists: in the page's own document, but no result of their own.
SKIP_SECTIONS = {"pour aller plus loin", "sources", "voir aussi"}
BLOCK_REMOVE = ".//a[contains(@class,'headerlink')] | .//script | .//style | .//nav | .//audio"
META_FILE = "search-meta.json"
PAGE_BOOST = 0.8
# Definitions and hub pages answer many queries a little: guides should win a tie.
TYPE_BOOST = {"glossary": 0.4, "hub": 0.7}


@dataclass
class Document:
    url: str
    page: str
    kind: str
    type: str
    top: str
    title: str
    section: str
    tags: str
    body: str
    crumbs: str
    description: str

    def fields(self) -> dict[str, object]:
        values: dict[str, object] = self.__dict__.copy()
        values["body_exact"] = " ".join([self.title, self.section, self.body])
        boost = TYPE_BOOST.get(self.type, 1.0)
        if self.kind == "page" and self.type != "quiz":
            # A page matches whatever its sections match; on a par, the section
            # (the exact place to read) should come first.
            boost *= PAGE_BOOST
        if boost != 1.0:
            values["_boost"] = boost
        return values


def _meta(doc, name: str) -> str:
    found = doc.xpath(f"//meta[@name='{name}']/@content")
    return str(found[0]) if found else ""


def _text(element) -> str:
    return " ".join(element.text_content().split())


def page_documents(html: str, url: str) -> Iterator[Document]:
    """The page document and one document per h2/h3 section."""
    doc = lxml.html.fromstring(html)
    page_type = _meta(doc, "portal-type")
    if not page_type or _meta(doc, "portal-search") == "exclude":
        return
    articles = doc.xpath("//article[contains(@class,'md-content__inner')]")
    if not articles:
        return
    article = articles[0]
    for junk in article.xpath(BLOCK_REMOVE + " | .//p[contains(@class,'portal-page-meta')]"):
        junk.drop_tree()
    title = _meta(doc, "portal-title")
    top = _meta(doc, "portal-section")
    tags = _meta(doc, "portal-tags")
    description = _meta(doc, "portal-description")
    crumbs = top if top and top != title else ""

    sections: list[tuple[str, str, list[str]]] = []  # (anchor, heading, texts)
    intro: list[str] = []
    for child in article:
        if child.tag in {"h2", "h3"} and child.get("id"):
            sections.append((child.get("id"), _text(child), []))
        elif child.tag == "h1":
            continue
        else:
            (sections[-1][2] if sections else intro).append(_text(child))
    # The page document holds its introduction and headings; the text of each
    # section is indexed once, in the section's own document.
    all_text = " ".join(intro + [h for _a, h, _t in sections])
    if page_type != "glossary":  # the glossary is searched term by term
        yield Document(url, url, "page", page_type, top, title, "", tags,
                       all_text, crumbs, description)
    for anchor, heading, texts in sections:
        if heading.lower() in SKIP_SECTIONS or (page_type == "glossary" and not texts):
            continue
        yield Document(f"{url}#{anchor}", url, "section", page_type, top, title, heading,
                       tags, " ".join(texts), crumbs, description)


def site_documents(site_dir: Path) -> Iterator[Document]:
    for path in sorted(site_dir.rglob("*.html")):
        rel = path.relative_to(site_dir).as_posix()
        if rel in SKIP_FILES:
            continue
        url = "/" + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)
        yield from page_documents(path.read_text(encoding="utf-8"), url)


def quiz_documents(quizzes_dir: Path) -> Iterator[Document]:
    for path in sorted(quizzes_dir.glob("*.yml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError:
            continue  # the check reports it; a build never gets here with one
        if not isinstance(data, dict) or "id" not in data:
            continue
        url = f"/quiz/{data['id']}"
        yield Document(url, url, "page", "quiz", "formation", str(data.get("title", "")),
                       "", "quiz", str(data.get("description", "")), "Formation › Quiz",
                       str(data.get("description", "")))


def index_documents(documents, index_dir: Path, groups, acronyms) -> int:
    index_dir.mkdir(parents=True, exist_ok=True)
    ix = index.create_in(str(index_dir), make_schema(frozenset(acronyms)))
    count = 0
    with ix.writer(limitmb=256) as writer:
        for document in documents:
            writer.add_document(**document.fields())
            count += 1
    (index_dir / META_FILE).write_text(
        json.dumps({"synonyms": groups, "documents": count}, ensure_ascii=False),
        encoding="utf-8",
    )
    return count


def index_site(site_dir: Path, index_dir: Path, content_dir: Path, quizzes_dir: Path) -> int:
    """Index the built site and the quiz catalogue; returns the number of documents."""
    groups, acronyms = load_synonyms(content_dir)
    documents = list(site_documents(site_dir)) + list(quiz_documents(quizzes_dir))
    return index_documents(documents, index_dir, groups, acronyms)
