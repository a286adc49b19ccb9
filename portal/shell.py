"""Portal pages inside the site's own look.

The build renders `portail.html` (the site's header, tabs, palette and footer
around two placeholders); the portal fills in a title and a body rendered from
its own Jinja templates. Without a build, a plain page says how to make one.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app, render_template
from markupsafe import Markup, escape

from portal.build.generations import current_generation

SHELL_FILE = "portail.html"
TITLE_MARK = "__PORTAL_TITLE__"
CONTENT_MARK = "__PORTAL_CONTENT__"

_cache: dict[Path, str] = {}

NO_BUILD_HTML = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem">
{content}</body></html>"""


def _shell() -> str | None:
    generation = current_generation(current_app.config["PORTAL"].var_dir)
    if generation is None:
        return None
    if generation not in _cache:
        path = generation / "site" / SHELL_FILE
        if not path.is_file():
            return None
        _cache.clear()
        _cache[generation] = path.read_text(encoding="utf-8")
    return _cache[generation]


def wrap(title: str, body: str) -> str:
    """A full HTML page: `body` (already safe HTML) inside the site's shell."""
    shell = _shell()
    if shell is None:
        return NO_BUILD_HTML.format(title=escape(title), content=body)
    return shell.replace(TITLE_MARK, str(escape(title))).replace(CONTENT_MARK, body)


def render_page(template: str, title: str, **context) -> str:
    body = render_template(template, title=title, **context)
    return wrap(title, str(Markup(body)))
