"""What every page type must pass: the RGAA audit (axe-core, WCAG 2.1 A and AA),
and, when `$E2E_SCREENSHOTS` names a folder, full-page screenshots to look at.

axe-core is vendored in vendor/ (see vendor/README.md), never fetched at run time.
"""

from __future__ import annotations

import contextlib
import os
import re
import unicodedata
from pathlib import Path

from playwright.sync_api import BrowserContext, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
# Pages allow only their own origin's scripts (Content-Security-Policy): the browser
# context serves the vendored file at this address of the test server (`serve_axe`).
AXE_URL = "/__e2e__/axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("serious", "critical")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
REFLOW = {"width": 320, "height": 640}


def scripts_run(page: Page) -> bool:
    """Whether the page's own scripts ran (not in a context without JavaScript)."""
    return page.evaluate("typeof window.portal === 'object'")


def settle(page: Page) -> None:
    """Wait until the page is as a reader sees it: the portal's widgets have asked who
    is there (the header's account link shows), and transitions have ended."""
    page.wait_for_load_state("load")
    if scripts_run(page):
        page.wait_for_function(
            "() => { const a = document.querySelector('[data-portal-account]'); return !a || !a.hidden; }"
        )
        page.evaluate(
            """() => Promise.race([
                 Promise.all(document.getAnimations().map(a => a.finished.catch(() => null))),
                 new Promise(done => setTimeout(done, 2000)),
               ])"""
        )


def serve_axe(context: BrowserContext, origin: str) -> None:
    context.route(origin + AXE_URL, lambda route: route.fulfill(path=AXE, content_type="text/javascript"))


def assert_accessible(page: Page, page_type: str) -> None:
    """Fail on any serious or critical WCAG 2.1 AA violation that axe finds."""
    settle(page)
    assert scripts_run(page), "axe needs JavaScript: audit pages in a context that runs it"
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(url=AXE_URL)
    results = page.evaluate(
        "options => axe.run(document, options)",
        {"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]},
    )
    blocking = [v for v in results["violations"] if v["impact"] in BLOCKING]
    assert not blocking, _report(page, page_type, blocking)


# The page's width, and the outermost elements that stick out of the window.
STICKING_OUT = """() => {
  const limit = document.documentElement.clientWidth + 1;
  const name = e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
    (typeof e.className === "string" && e.className.trim() ? "." + e.className.trim().split(/\\s+/).join(".") : "");
  const out = [...document.body.querySelectorAll("*")].filter(e => {
    const box = e.getBoundingClientRect();
    return box.width > 0 && box.right > limit && e.parentElement.getBoundingClientRect().right <= limit;
  });
  return [document.documentElement.scrollWidth, out.slice(0, 5).map(name)];
}"""


def assert_reflows(page: Page, page_type: str) -> None:
    """320 px wide (1280 px zoomed to 400 %), the page does not scroll sideways
    (WCAG 1.4.10, which axe does not check); wide tables scroll in their own box."""
    viewport = page.viewport_size
    page.set_viewport_size(REFLOW)
    try:
        width, culprits = page.evaluate(STICKING_OUT)
    finally:
        page.set_viewport_size(viewport)
    assert width <= REFLOW["width"] + 1, (
        f"the {page_type} page ({page.url}) is {width} px wide in a {REFLOW['width']} px window; "
        f"sticking out: {', '.join(culprits) or '?'}")


def _report(page: Page, page_type: str, violations: list[dict]) -> str:
    lines = [f"{len(violations)} serious/critical WCAG 2.1 AA violation(s) on the "
             f"{page_type} page ({page.url}):"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} "
                     f"<{violation['helpUrl']}>")
        for node in violation["nodes"][:3]:
            checks = node["any"] + node["all"] + node["none"]
            why = checks[0]["message"] if checks else ""
            lines.append(f"    {' '.join(map(str, node['target']))} — {why}")
        if len(violation["nodes"]) > 3:
            lines.append(f"    … and {len(violation['nodes']) - 3} more")
    return "\n".join(lines)


def look(page: Page, page_type: str) -> None:
    """Full-page screenshots, desktop and phone, in the palette shown and, when the page
    follows the system's palette, in the other one too."""
    folder = os.environ.get("E2E_SCREENSHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    ascii_name = unicodedata.normalize("NFKD", page_type).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    viewport = page.viewport_size
    system_dark = page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
    taken = set()
    for system in ("dark", "light") if system_dark else ("light", "dark"):
        page.emulate_media(color_scheme=system)
        follow_system(page, system)
        for device, size in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(size)
            settle(page)
            scheme = page.evaluate("document.body.getAttribute('data-md-color-scheme')") or "default"
            name = f"{slug}-{device}-{'sombre' if scheme == 'slate' else 'clair'}.png"
            if name not in taken:
                taken.add(name)
                page.screenshot(path=str(Path(folder) / name), full_page=True)
    page.emulate_media(color_scheme="dark" if system_dark else "light")
    follow_system(page, "dark" if system_dark else "light")
    page.set_viewport_size(viewport)
    settle(page)


def follow_system(page: Page, system: str) -> None:
    """Give the theme a moment to follow the system's palette (unless the reader chose one)."""
    wanted = "slate" if system == "dark" else "default"
    # A palette chosen with the toggle, or no JavaScript: the page keeps its own.
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function("s => document.body.getAttribute('data-md-color-scheme') === s",
                               arg=wanted, timeout=1000)


def audit(page: Page, page_type: str) -> None:
    """The accessibility audit of a page type, and its screenshots when asked for."""
    assert_accessible(page, page_type)
    assert_reflows(page, page_type)
    look(page, page_type)
