"""The mkdocs plugin `portal`: thin glue between mkdocs events and our build code.

Handlers run in build order: `on_files` reads the catalogue and adds the podcast
feed; `on_page_markdown` adds the generated parts of episode, talent and hub
pages; `on_page_context` gives templates the owner's name and review dates;
`on_template_context` makes the portal shell use absolute URLs.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page as MkPage

from portal.catalog.site import Site, load_site

from . import feed, generated_pages, page_meta

SHELL_TEMPLATE = "portail.html"


class PortalPlugin(BasePlugin):
    site: Site | None = None

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        # Snippet paths are relative to the working directory; anchor them to the project.
        root = Path(config.config_file_path).parent
        snippets = config.mdx_configs.get("pymdownx.snippets")
        if snippets is not None:
            snippets["base_path"] = [
                str(root / p) for p in snippets.get("base_path", [])
            ]
        return config

    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files:
        root = Path(config.config_file_path).parent
        self.site = load_site(root, config)
        xml = feed.render_feed(self.site, config)
        files.append(File.generated(config, feed.FEED_PATH, content=xml))
        # The theme looks for a sitemap beside every <link rel="alternate"> (meant for
        # translations); the feed's folder gets an empty one instead of a 404 per page.
        files.append(File.generated(config, feed.FEED_SITEMAP_PATH, content=feed.EMPTY_SITEMAP))
        return files

    def on_page_markdown(self, markdown: str, /, *, page: MkPage, config: MkDocsConfig, files: Files) -> str:
        assert self.site is not None
        return generated_pages.extend_markdown(self.site, page.file.src_uri, markdown)

    def on_page_context(self, context, /, *, page: MkPage, config: MkDocsConfig, nav):
        assert self.site is not None
        info = page_meta.describe(self.site, page.file.src_uri)
        if info:
            ancestors = [a for a in page.ancestors if a.title]
            info["section"] = ancestors[-1].title if ancestors else page.title
        context["portal"] = info
        return context

    def on_template_context(self, context, /, *, template_name: str, config: MkDocsConfig):
        if template_name == SHELL_TEMPLATE:
            context["base_url"] = urlsplit(config.site_url or "/").path or "/"
        return context
