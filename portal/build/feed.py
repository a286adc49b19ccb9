"""The podcast's RSS 2.0 feed, with the iTunes and Podcasting 2.0 namespaces.

Generated during the build (in `on_files`) so that it is part of the site and
swapped in with it. Item guids are derived from the episode number only, so
they never change when the site moves or a title is corrected.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
import uuid
from email.utils import format_datetime
from urllib.parse import urljoin
from xml.etree import ElementTree as ET

from mkdocs.config.defaults import MkDocsConfig

from portal.catalog.schema import parse_date
from portal.catalog.site import Site

FEED_PATH = "podcast/feed.xml"
FEED_SITEMAP_PATH = "podcast/sitemap.xml"
EMPTY_SITEMAP = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>\n'
)
ARTWORK_PATH = "podcast/pochette.png"
GUID_NAMESPACE = uuid.UUID("6f1c1e52-4a8e-4d0c-9f51-2d6d0f0c5a11")

NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
}
for _prefix, _uri in NS.items():
    ET.register_namespace(_prefix, _uri)

MIME_TYPES = {
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
    ".wav": "audio/wav",
}


def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def episode_guid(number: int) -> str:
    return str(uuid.uuid5(GUID_NAMESPACE, f"episode-{number}"))


def audio_length(site: Site, audio: str) -> int:
    """Size in bytes of a repository audio file; 0 (RSS's 'unknown') for remote ones."""
    if audio.startswith(("http://", "https://")):
        return 0
    path = site.content_dir / audio
    return path.stat().st_size if path.is_file() else 0


def render_feed(site: Site, config: MkDocsConfig) -> str:
    base = config.site_url or "http://127.0.0.1:8000/"
    podcast = dict(site.extra.get("podcast") or {})
    title = podcast.get("title", "Chroniques de talents")
    description = podcast.get(
        "description", "Le podcast de la communauté de pratique PMO : des praticiens racontent."
    )
    author = podcast.get("author", "Communauté de pratique PMO")
    rss = ET.Element("rss", {"version": "2.0"})
    channel = _sub(rss, "channel")
    _sub(channel, "title", title)
    _sub(channel, "link", urljoin(base, "podcast/"))
    _sub(channel, "description", description)
    _sub(channel, "language", "fr")
    _sub(channel, "copyright", podcast.get("copyright", f"© {dt.date.today().year} {author}"))
    _sub(channel, "generator", "pmo-portal")
    _sub(channel, _q("atom", "link"), href=urljoin(base, FEED_PATH), rel="self",
         type="application/rss+xml")
    artwork = urljoin(base, ARTWORK_PATH)
    image = _sub(channel, "image")
    _sub(image, "url", artwork)
    _sub(image, "title", title)
    _sub(image, "link", urljoin(base, "podcast/"))
    _sub(channel, _q("itunes", "image"), href=artwork)
    _sub(channel, _q("itunes", "author"), author)
    owner = _sub(channel, _q("itunes", "owner"))
    _sub(owner, _q("itunes", "name"), author)
    _sub(owner, _q("itunes", "email"), podcast.get("email", "pmo@example.com"))
    category = ET.SubElement(channel, _q("itunes", "category"), {"text": "Business"})
    ET.SubElement(category, _q("itunes", "category"), {"text": "Management"})
    _sub(channel, _q("itunes", "explicit"), "false")
    _sub(channel, _q("itunes", "type"), "episodic")
    _sub(channel, _q("podcast", "locked"), "yes")
    _sub(channel, _q("podcast", "guid"), str(uuid.uuid5(GUID_NAMESPACE, "channel")))

    talents = site.talents()
    for episode in site.episodes():
        meta = episode.meta
        number = int(meta["episode"])
        page_url = urljoin(base, episode.url)
        audio = str(meta["audio"])
        audio_url = audio if audio.startswith(("http://", "https://")) else urljoin(base, audio)
        date = parse_date(meta["date"]) or dt.date.today()
        published = dt.datetime(date.year, date.month, date.day, 6, 0, tzinfo=dt.UTC)
        suffix = "." + audio.rsplit(".", 1)[-1].lower()
        mime = MIME_TYPES.get(suffix) or mimetypes.guess_type(audio)[0] or "audio/mpeg"

        item = _sub(channel, "item")
        _sub(item, "title", f"Épisode {number} : {episode.title}")
        _sub(item, "link", page_url)
        _sub(item, "description", str(meta["description"]))
        _sub(item, "guid", episode_guid(number), isPermaLink="false")
        _sub(item, "pubDate", format_datetime(published))
        _sub(item, "enclosure", url=audio_url, length=str(audio_length(site, audio)), type=mime)
        _sub(item, _q("itunes", "title"), episode.title)
        _sub(item, _q("itunes", "duration"), str(meta["duration"]))
        _sub(item, _q("itunes", "episode"), str(number))
        _sub(item, _q("itunes", "episodeType"), "full")
        _sub(item, _q("itunes", "explicit"), "false")
        _sub(item, _q("itunes", "summary"), str(meta["description"]))
        _sub(item, _q("podcast", "episode"), str(number))
        _sub(item, _q("podcast", "transcript"), url=page_url + "#transcription", type="text/html",
             language="fr")
        for guest in meta.get("guests", []):
            talent = talents.get(guest)
            if talent is not None:
                _sub(item, _q("podcast", "person"), talent.title, role="guest",
                     href=urljoin(base, talent.url))
    ET.indent(rss)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(rss, encoding="unicode") + "\n"
