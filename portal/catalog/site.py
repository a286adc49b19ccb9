"""The page catalogue: every Markdown page of `content/` read once, with its front matter.

`load_site(root)` never raises on bad content: a page whose front matter cannot
be read is recorded as a problem and left out of `pages`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import markdown
from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig

from .frontmatter import FrontMatter, FrontMatterError, split_front_matter
from .problems import Problem
from .schema import parse_date, validate_front_matter

SNIPPETS_DIR = "_snippets"
_ID_RE = re.compile(r'\bid="([^"]+)"')


def site_url(src_path: str) -> str:
    """The site path of a page, as mkdocs builds it with directory URLs."""
    if src_path == "index.md":
        return ""
    stem = src_path[: -len(".md")]
    if stem.endswith("/index") or stem == "index":
        return stem[: -len("index")]
    if stem.endswith("/README"):
        return stem[: -len("README")]
    return stem + "/"


@dataclass
class Page:
    src_path: str  # relative to content/, with forward slashes
    file: Path
    text: str
    front: FrontMatter
    site: Site = field(repr=False)
    valid: bool = True  # False when the front matter breaks the schema

    @property
    def meta(self) -> dict[str, Any]:
        return self.front.data

    @property
    def type(self) -> str:
        return str(self.meta.get("type", ""))

    @property
    def title(self) -> str:
        return str(self.meta.get("title", ""))

    @property
    def url(self) -> str:
        return site_url(self.src_path)

    @property
    def display_path(self) -> str:
        return f"content/{self.src_path}"

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()

    def next_review(self) -> dt.date | None:
        reviewed = parse_date(self.meta.get("reviewed"))
        if reviewed is None:
            return None
        months = self.meta.get("review_every", 12)
        if not isinstance(months, int) or months < 1:
            months = 12
        month_index = reviewed.month - 1 + months
        year, month = reviewed.year + month_index // 12, month_index % 12 + 1
        day = min(reviewed.day, _days_in_month(year, month))
        return dt.date(year, month, day)

    @cached_property
    def html(self) -> str:
        return self.site.render(self.front.body)

    @cached_property
    def anchors(self) -> set[str]:
        return set(_ID_RE.findall(self.html))


def _days_in_month(year: int, month: int) -> int:
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return (nxt - dt.timedelta(days=1)).day


@dataclass
class Site:
    root: Path
    config: MkDocsConfig
    pages: dict[str, Page] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    other_files: set[str] = field(default_factory=set)  # non-Markdown files under content/
    markdown_files: set[str] = field(default_factory=set)  # every .md, readable or not

    @property
    def content_dir(self) -> Path:
        return Path(self.config["docs_dir"])

    @cached_property
    def _markdown(self) -> markdown.Markdown:
        configs = {k: dict(v) for k, v in self.config["mdx_configs"].items()}
        snippets = configs.setdefault("pymdownx.snippets", {})
        snippets["base_path"] = [str(self.content_dir / SNIPPETS_DIR)]
        snippets["check_paths"] = False
        return markdown.Markdown(
            extensions=self.config["markdown_extensions"], extension_configs=configs
        )

    def render(self, body: str) -> str:
        md = self._markdown
        md.reset()
        return md.convert(body)

    @cached_property
    def nav_paths(self) -> list[str]:
        found: list[str] = []

        def walk(item: Any) -> None:
            if isinstance(item, str):
                if item.endswith(".md"):
                    found.append(item)
            elif isinstance(item, dict):
                for value in item.values():
                    walk(value)
            elif isinstance(item, list):
                for value in item:
                    walk(value)

        walk(self.config["nav"] or [])
        return found

    @property
    def extra(self) -> dict[str, Any]:
        return dict(self.config["extra"])

    def valid_pages(self) -> list[Page]:
        return [p for p in self.pages.values() if p.valid]

    def talents(self) -> dict[str, Page]:
        return {str(p.meta.get("id")): p for p in self.valid_pages() if p.type == "talent"}

    def episodes(self) -> list[Page]:
        eps = [p for p in self.valid_pages() if p.type == "podcast"]
        return sorted(eps, key=lambda p: (str(p.meta.get("date", "")), p.src_path), reverse=True)

    def page_for_url(self, url: str) -> Page | None:
        url = url.strip("/")
        for page in self.pages.values():
            if page.url.strip("/") == url:
                return page
        return None


def load_mkdocs_config(root: Path) -> MkDocsConfig:
    config = load_config(config_file=str(root / "mkdocs.yml"))
    return config


def load_site(root: Path, config: MkDocsConfig | None = None) -> Site:
    """Read every page under the site's docs_dir."""
    config = config or load_mkdocs_config(root)
    site = Site(root=root, config=config)
    content = site.content_dir
    for file in sorted(content.rglob("*")):
        if not file.is_file():
            continue
        rel = file.relative_to(content).as_posix()
        if rel.startswith(SNIPPETS_DIR + "/") or any(
            part.startswith(".") for part in Path(rel).parts
        ):
            continue
        if file.suffix != ".md":
            site.other_files.add(rel)
            continue
        site.markdown_files.add(rel)
        text = file.read_text(encoding="utf-8")
        display = f"content/{rel}"
        try:
            front = split_front_matter(text)
        except FrontMatterError as exc:
            site.problems.append(Problem(display, exc.line, exc.message))
            continue
        schema_problems = validate_front_matter(front.data)
        for key, message in schema_problems:
            site.problems.append(Problem(display, front.line_of(key), message))
        site.pages[rel] = Page(
            src_path=rel, file=file, text=text, front=front, site=site, valid=not schema_problems
        )
    return site
