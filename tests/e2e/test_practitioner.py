"""A practitioner browses the templates in dark mode, plays a podcast episode and
meets its guest."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .audit import audit


def scheme(page) -> str:
    return page.evaluate("document.body.getAttribute('data-md-color-scheme')")


def test_practitioner_browses_templates_in_dark_mode_and_plays_an_episode(page):
    # The templates, from the site's tabs.
    page.goto("/")
    page.locator(".md-tabs").get_by_role("link", name="Modèles").click()
    expect(page).to_have_url(re.compile(r"/modeles/$"))
    audit(page, "modèles")
    page.locator(".md-content").get_by_role("link", name="Charte de projet").first.click()
    expect(page).to_have_url(re.compile(r"/modeles/charte-projet/$"))
    expect(page.locator(".portal-page-meta")).to_contain_text("Responsable :")
    audit(page, "modèle")

    # Dark mode with the theme's palette toggle; it holds from page to page.
    assert scheme(page) == "default"
    toggle = page.locator("form[data-md-component=palette] label:not([hidden])")
    for _ in range(2):  # « follow the system » → light → dark
        if scheme(page) == "slate":
            break
        toggle.click()
    expect(page.locator("body")).to_have_attribute("data-md-color-scheme", "slate")
    audit(page, "modèle (mode sombre)")

    # Another template, picked with the mouse from the header's instant results.
    page.locator("#portal-search-input").fill("matrice RACI")
    page.locator('.portal-search__results a[href*="/modeles/matrice-raci/"]').first.click()
    expect(page).to_have_url(re.compile(r"/modeles/matrice-raci/(#[\w-]+)?$"))
    expect(page.locator("body")).to_have_attribute("data-md-color-scheme", "slate")

    # A podcast episode: it plays, and a chapter link moves the player, not the page.
    # The theme hides its tabs once the page is scrolled (a result may open lower down):
    # back at the top, as a reader would scroll, they show again.
    page.mouse.wheel(0, -100_000)
    expect(page.locator(".md-tabs")).not_to_have_attribute("hidden", re.compile(".*"))
    page.locator(".md-tabs").get_by_role("link", name="Podcast").click()
    expect(page).to_have_url(re.compile(r"/podcast/$"))
    expect(page.locator("body")).to_have_attribute("data-md-color-scheme", "slate")
    page.locator(".md-content a[href$='episode-01/']").first.click()
    expect(page).to_have_url(re.compile(r"/podcast/episode-01/$"))
    player = page.locator("audio.portal-player")
    audit(page, "épisode du podcast (mode sombre)")
    assert player.evaluate("audio => audio.play().then(() => true)")
    page.wait_for_function("() => document.querySelector('audio.portal-player').currentTime > 0.2")
    player.evaluate("audio => audio.pause()")

    chapter = page.locator(".portal-chapter").nth(1)
    chapter_time = float(chapter.get_attribute("data-time"))
    chapter.click()
    expect(page).to_have_url(re.compile(r"/podcast/episode-01/$"))
    # The example recording is only seconds long: the player stops at its end.
    target = player.evaluate("(audio, t) => Math.min(t, audio.duration)", chapter_time)
    page.wait_for_function(
        "t => Math.abs(document.querySelector('audio.portal-player').currentTime - t) < 0.5", arg=target)

    # The guest's talent page, which lists the episode.
    guest = page.locator(".md-content p", has_text="Invités").get_by_role("link").first
    name = guest.inner_text()
    guest.click()
    expect(page).to_have_url(re.compile(r"/talents/[\w-]+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.locator(".md-content a[href$='podcast/episode-01/']").first).to_be_visible()
    audit(page, "talent (mode sombre)")
