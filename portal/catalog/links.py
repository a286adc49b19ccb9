"""Internal links and anchors of Markdown pages, found with their line numbers."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote

from .problems import Problem
from .site import Page, Site

_FENCE_RE = re.compile(r"^\s*(`{3,}|~{3,})")
_INLINE_CODE_RE = re.compile(r"(`+)(?:(?!\1).)+\1")
_INLINE_LINK_RE = re.compile(
    r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+[\"'][^\"']*[\"'])?\s*\)"
)
_REF_DEF_RE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
_SCHEME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


@dataclass(frozen=True)
class Link:
    target: str
    line: int


def iter_links(page: Page) -> Iterator[Link]:
    """Every Markdown link of the page's body outside code, with its file line."""
    fence: str | None = None
    for offset, raw in enumerate(page.front.body.splitlines()):
        line_no = page.front.body_line + offset
        match = _FENCE_RE.match(raw)
        if match:
            marker = match.group(1)
            if fence is None:
                fence = marker[0] * len(marker)
                continue
            if marker.startswith(fence):
                fence = None
                continue
        if fence is not None:
            continue
        line = _INLINE_CODE_RE.sub("", raw)
        for m in _INLINE_LINK_RE.finditer(line):
            yield Link(m.group(1), line_no)
        ref = _REF_DEF_RE.match(line)
        if ref:
            yield Link(ref.group(1), line_no)


def resolve(page_src: str, target: str) -> tuple[str, str]:
    """(path relative to content/, anchor) for a relative link target."""
    path, _, anchor = target.partition("#")
    path = unquote(path)
    if not path:
        return page_src, anchor
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(page_src), path))
    if path.endswith("/"):
        resolved = posixpath.join(resolved, "index.md")
    return resolved, unquote(anchor)


def check_target(site: Site, page_src: str, target: str) -> str | None:
    """The French problem with a relative link target, or None when it resolves."""
    path, anchor = resolve(page_src, target)
    if path.startswith("../"):
        return f"lien hors du site : « {target} »"
    if path.endswith(".md"):
        if path not in site.markdown_files:
            return f"lien vers une page introuvable : « {target} »"
    elif path not in site.other_files:
        return f"lien vers un fichier introuvable : « {target} »"
    if anchor and path in site.pages and anchor not in site.pages[path].anchors:
        return f"ancre introuvable : « #{anchor} » n'existe pas dans content/{path}"
    return None


def check_links(site: Site) -> list[Problem]:
    problems: list[Problem] = []
    for page in site.pages.values():
        for link in iter_links(page):
            target = link.target.strip()
            if not target or _SCHEME_RE.match(target) or target.startswith("/"):
                continue
            message = check_target(site, page.src_path, target)
            if message:
                problems.append(Problem(page.display_path, link.line, message))
    return problems
