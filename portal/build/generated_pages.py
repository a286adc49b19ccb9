"""Markdown generated around authored pages: episode players, talent cards, hub lists.

Nothing here is written by hand in content/: a talent's episodes come from the
episodes' `guests`, their pages from `owner`, so they can never go out of date.
"""

from __future__ import annotations

import html
import posixpath

from portal.catalog.schema import parse_date
from portal.catalog.site import Page, Site

from .french import long_date, seconds, spoken_duration

PODCAST_HUB = "podcast/index.md"
TALENTS_HUB = "talents/index.md"


def extend_markdown(site: Site, src_path: str, markdown: str) -> str:
    page = site.pages.get(src_path)
    if page is None or not page.valid:
        return markdown
    if page.type == "podcast":
        return _insert_after_title(markdown, episode_header(site, page)) + episode_footer(site, page)
    if page.type == "talent":
        return _insert_after_title(markdown, talent_header(page)) + talent_footer(site, page)
    if src_path == PODCAST_HUB:
        return markdown + "\n\n" + episode_cards(site, page)
    if src_path == TALENTS_HUB:
        return markdown + "\n\n" + talent_cards(site, page)
    return markdown


def _insert_after_title(markdown: str, block: str) -> str:
    lines = markdown.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("# "):
            return "\n".join(lines[: index + 1] + ["", block, ""] + lines[index + 1 :])
    return block + "\n\n" + markdown


def link(from_page: Page, target_src: str) -> str:
    """A relative Markdown link target from one source page to another."""
    return posixpath.relpath(target_src, posixpath.dirname(from_page.src_path) or ".")


def audio_src(page: Page) -> str:
    audio = str(page.meta["audio"])
    if audio.startswith(("http://", "https://")):
        return audio
    return posixpath.relpath(audio, page.url or ".")


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _guest_links(site: Site, episode: Page, from_page: Page | None = None) -> str:
    talents = site.talents()
    parts = []
    for guest in episode.meta.get("guests", []):
        talent = talents.get(guest)
        if talent is not None:
            parts.append(f"[{talent.title}]({link(from_page or episode, talent.src_path)})")
    return ", ".join(parts)


def episode_header(site: Site, page: Page) -> str:
    meta = page.meta
    src = audio_src(page)
    date = parse_date(meta["date"])
    facts = [f"Épisode {meta['episode']}"]
    if date:
        facts.append(long_date(date))
    facts.append(spoken_duration(str(meta["duration"])))
    lines = [
        f'<audio class="portal-player" controls preload="metadata" src="{_e(src)}" '
        f'data-episode="{_e(page.url)}">',
        f'Votre navigateur ne lit pas l\'audio : <a href="{_e(src)}">téléchargez l\'épisode</a>.',
        "</audio>",
        "",
        " · ".join(facts) + "  ",
        f"Invités : {_guest_links(site, page)}",
    ]
    chapters = meta.get("chapters") or []
    if chapters:
        lines += ["", "## Chapitres", ""]
        for chapter in chapters:
            at = seconds(chapter["time"])
            lines.append(
                f'- <a class="portal-chapter" href="{_e(src)}#t={at}" data-time="{at}">'
                f"{_e(chapter['time'])}</a> {_e(chapter['title'])}"
            )
    return "\n".join(lines)


def episode_footer(site: Site, page: Page) -> str:
    guides = [site.pages[g] for g in page.meta.get("guides", []) if g in site.pages]
    if not guides:
        return ""
    lines = ["", "", "## Guides liés à cet épisode", ""]
    for guide in guides:
        lines.append(f"- [{guide.title}]({link(page, guide.src_path)}) — {guide.meta['description']}")
    return "\n".join(lines) + "\n"


def talent_header(page: Page) -> str:
    meta = page.meta
    chips = " ".join(f'<span class="portal-chip">{_e(x)}</span>' for x in meta.get("expertise", []))
    lines = [f"**{meta['role']}**", "", f'<p class="portal-chips">Expertise : {chips}</p>']
    if meta.get("certifications"):
        lines += ["", "Certifications : " + ", ".join(meta["certifications"])]
    return "\n".join(lines)


def talent_footer(site: Site, page: Page) -> str:
    talent_id = page.meta["id"]
    episodes = [e for e in site.episodes() if talent_id in e.meta.get("guests", [])]
    owned = sorted(
        (p for p in site.valid_pages() if p.meta.get("owner") == talent_id),
        key=lambda p: p.title,
    )
    lines = ["", "", "## Ses épisodes du podcast", ""]
    if episodes:
        for episode in episodes:
            date = parse_date(episode.meta["date"])
            when = f" ({long_date(date)})" if date else ""
            lines.append(
                f"- [Épisode {episode.meta['episode']} : {episode.title}]"
                f"({link(page, episode.src_path)}){when}"
            )
    else:
        lines.append("Pas encore d'épisode.")
    lines += ["", "## Pages dont elle ou il est responsable", ""]
    if owned:
        for other in owned:
            lines.append(f"- [{other.title}]({link(page, other.src_path)}) — {other.meta['description']}")
    else:
        lines.append("Aucune page pour l'instant.")
    return "\n".join(lines) + "\n"


def episode_cards(site: Site, hub: Page) -> str:
    lines = ["## Tous les épisodes", "", '<div class="grid cards" markdown>', ""]
    for episode in site.episodes():
        meta = episode.meta
        date = parse_date(meta["date"])
        when = long_date(date) if date else meta["date"]
        guests = _guest_links(site, episode, from_page=hub)
        lines += [
            f"-   :material-microphone:{{ .lg .middle }} **[Épisode {meta['episode']} : "
            f"{episode.title}]({link(hub, episode.src_path)})**",
            "",
            "    ---",
            "",
            f"    {when} · {spoken_duration(str(meta['duration']))} · avec {guests}",
            "",
            f"    {meta['description']}",
            "",
        ]
    lines.append("</div>")
    return "\n".join(lines) + "\n"


def talent_cards(site: Site, hub: Page) -> str:
    talents = sorted(site.talents().values(), key=lambda p: p.title)
    expertise = sorted({x for t in talents for x in t.meta.get("expertise", [])})
    buttons = "".join(
        f'<button type="button" class="md-button portal-filter__option" data-filter="{_e(x)}" '
        f'aria-pressed="false">{_e(x)}</button>'
        for x in expertise
    )
    lines = [
        "## Les membres",
        "",
        '<div class="portal-filter" role="group" aria-label="Filtrer par expertise" hidden>',
        '<span class="portal-filter__label">Filtrer par expertise :</span>',
        '<button type="button" class="md-button md-button--primary portal-filter__option" '
        'data-filter="" aria-pressed="true">Toutes</button>' + buttons,
        "</div>",
        "",
        '<div class="grid cards portal-talents" markdown>',
        "",
    ]
    for talent in talents:
        meta = talent.meta
        tags = "|".join(meta.get("expertise", []))
        lines += [
            f"-   :material-account-circle:{{ .lg .middle }} **[{talent.title}]({link(hub, talent.src_path)})**"
            f"{{ data-expertise=\"{_e(tags)}\" }}",
            "",
            "    ---",
            "",
            f"    {meta['role']}",
            "",
            f"    Expertise : {', '.join(meta.get('expertise', []))}",
            "",
        ]
    lines.append("</div>")
    return "\n".join(lines) + "\n"
