"""The podcast's pages and feed, the talent pages, and their checks."""

from __future__ import annotations

import feedparser
import pytest
from click.testing import CliRunner
from factories import FILLER, make_site, page

from portal.cli import main
from portal.config import PROJECT_ROOT

# -- the shipped podcast and talents ---------------------------------------------------------


@pytest.fixture(scope="module")
def feed(real_build):
    xml = (real_build[1].generation / "site" / "podcast" / "feed.xml").read_bytes()
    parsed = feedparser.parse(xml)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def test_feed_channel_fields(feed):
    channel = feed.feed
    assert channel.title == "Chroniques de talents"
    assert channel.language == "fr"
    assert channel.link == "http://127.0.0.1:8000/podcast/"
    assert "communauté de pratique PMO" in channel.subtitle
    assert channel.image.href == "http://127.0.0.1:8000/podcast/pochette.png"
    assert channel.author == "Communauté de pratique PMO"
    # feedparser reads « false » as "not explicit" (None); « true » would be True.
    assert channel.itunes_explicit is not True and "itunes_explicit" in channel
    assert [t.term for t in channel.tags][:2] == ["Business", "Management"]


def test_feed_items_fields(feed, real_build):
    site = real_build[1].generation / "site"
    entries = feed.entries
    assert [e.itunes_episode for e in entries] == ["3", "2", "1"]
    for entry in entries:
        assert entry.guid and entry.guidislink is False
        assert entry.published_parsed is not None
        assert entry.itunes_duration.count(":") == 2
        assert entry.link.startswith("http://127.0.0.1:8000/podcast/episode-0")
        assert entry.summary
        (enclosure,) = entry.enclosures
        assert enclosure.type == "audio/wav"
        local = site / enclosure.href.removeprefix("http://127.0.0.1:8000/")
        assert int(enclosure.length) == local.stat().st_size > 0
    assert entries[0].title.startswith("Épisode 3 : ")
    assert entries[2].published_parsed[:3] == (2026, 9, 15)


def test_feed_guids_are_stable_across_builds(feed):
    from portal.build.feed import episode_guid

    assert [e.guid for e in feed.entries] == [episode_guid(3), episode_guid(2), episode_guid(1)]


def test_every_page_advertises_the_feed(real_build):
    html = (real_build[1].generation / "site" / "pilotage" / "valeur-acquise" / "index.html").read_text()
    assert '<link rel="alternate" type="application/rss+xml"' in html


def test_hub_lists_episodes_newest_first(real_build):
    html = (real_build[1].generation / "site" / "podcast" / "index.html").read_text()
    positions = [html.index(f"Épisode {n} :") for n in (3, 2, 1)]
    assert positions == sorted(positions)
    assert "feed.xml" in html


def test_episode_page_has_player_chapters_guests_and_guides(real_build):
    html = (real_build[1].generation / "site" / "podcast" / "episode-02" / "index.html").read_text()
    assert '<audio class="portal-player" controls' in html and "../audio/exemple.wav" in html
    assert 'class="portal-chapter"' in html and 'data-time="0"' in html
    assert 'href="../../talents/julien-morel/"' in html
    assert 'href="../../pilotage/valeur-acquise/"' in html
    assert 'id="transcription"' in html


def test_talent_page_lists_generated_episodes_and_owned_guides(real_build):
    html = (real_build[1].generation / "site" / "talents" / "sarah-benali" / "index.html").read_text()
    assert "Ses épisodes du podcast" in html and "../../podcast/episode-02/" in html
    assert "Pages dont elle ou il est responsable" in html
    assert "../../pilotage/valeur-acquise/" in html  # owner: sarah-benali
    hub = (real_build[1].generation / "site" / "talents" / "index.html").read_text()
    assert 'data-filter="gouvernance"' in hub and "data-expertise=" in hub


def test_examples_are_marked():
    for folder in ("podcast", "talents"):
        for file in (PROJECT_ROOT / "content" / folder).glob("*.md"):
            if file.name != "index.md":
                assert "example: true" in file.read_text(encoding="utf-8"), file


# -- checks ----------------------------------------------------------------------------------------
def talent(tid: str, name: str) -> str:
    return page(name, f"{FILLER}", type="talent", id=tid, role="Cheffe de projet",
                expertise="[pilotage]", example="true")


def episode(number: int, **overrides) -> str:
    meta = {"type": "podcast", "episode": number, "date": "2026-10-01", "duration": '"00:20:00"',
            "audio": "podcast/son.mp3", "guests": "[ana-dias]", "example": "true"}
    meta.update(overrides)
    return page(f"Épisode {number}", f"## Transcription\n\n{FILLER}", **meta)


@pytest.mark.parametrize(
    ("episodes", "talents", "expected"),
    [
        ({"podcast/e1.md": episode(1, guests="[inconnue]")}, {}, "content/podcast/e1.md:9: invité inconnu « inconnue »"),
        ({"podcast/e1.md": episode(1), "podcast/e2.md": episode(1)}, {},
         "content/podcast/e2.md:5: numéro d'épisode 1 déjà utilisé par content/podcast/e1.md"),
        ({"podcast/e1.md": episode(1, duration='"20 min"')}, {},
         "content/podcast/e1.md:7: « duration » doit être une durée au format HH:MM:SS"),
        ({"podcast/e1.md": episode(1, audio="ftp://serveur/son.mp3")}, {},
         "content/podcast/e1.md:8: audio invalide « ftp://serveur/son.mp3 »"),
        ({}, {"talents/doublon.md": talent("ana-dias", "Ana bis")},
         "content/talents/doublon.md:5: identifiant de talent « ana-dias » déjà utilisé"),
    ],
)
def test_podcast_and_talent_errors_are_located(tmp_path, episodes, talents, expected):
    pages = {"index.md": page("Accueil", FILLER, type="hub"), "talents/ana.md": talent("ana-dias", "Ana Dias"),
             **episodes, **talents}
    settings = make_site(tmp_path, pages)
    (settings.content_dir / "podcast").mkdir(exist_ok=True)
    (settings.content_dir / "podcast" / "son.mp3").write_bytes(b"ID3")
    result = CliRunner().invoke(main, ["check"], env={"PORTAL_ROOT": str(settings.root)})
    assert result.exit_code == 1
    assert expected in result.output, result.output
