"""A new hire finds a guide, signs up, follows the « nouvel arrivant » path to its
certificate, and anyone can check that certificate."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from .audit import audit
from .learner import (
    FAILED,
    PASSED,
    answer_quiz,
    expect_result,
    mark_read,
    new_email,
    path_steps,
    register,
)

PATH = "nouvel-arrivant"


def test_new_hire_searches_signs_up_and_earns_the_path_certificate(page, new_context):
    # Home page: the header search answers while typing.
    page.goto("/")
    search = page.locator("#portal-search-input")
    search.fill("valeur acquise")
    instant = page.locator(".portal-search__results a")
    expect(instant.first).to_be_visible()
    expect(instant.first).to_contain_text(re.compile("valeur acquise", re.I))
    expect(search).to_have_attribute("aria-expanded", "true")
    audit(page, "accueil avec résultats instantanés")

    # Enter without choosing a result: the full results page.
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=valeur(\+|%20)acquise$"))
    expect(page.locator(".portal-page [role=status]")).to_contain_text("résultats pour « valeur acquise »")
    expect(page.locator(".portal-results > li").first).to_be_visible()
    assert page.locator(".portal-results > li").count() >= 5
    audit(page, "résultats de recherche")

    # A section result (the glossary's definition) lands on its heading.
    page.locator('.portal-results a[href*="/glossaire/"]', has_text="Valeur acquise").first.click()
    expect(page).to_have_url(re.compile(r"/glossaire/#[\w-]+$"))
    anchor = page.url.rsplit("#", 1)[1]
    heading = page.locator(f'.md-content :is(h2, h3, h4)[id="{anchor}"]')
    expect(heading).to_have_count(1)
    expect(heading).to_be_in_viewport()
    audit(page, "glossaire")

    # No account yet: « Se connecter » in the header, then « Créer un compte ».
    account = page.locator("[data-portal-account]")
    expect(account).to_have_text("Se connecter")
    account.click()
    expect(page).to_have_url(re.compile(r"/login\?next="))
    audit(page, "connexion")
    page.get_by_role("link", name="Créer un compte").click()
    expect(page).to_have_url(re.compile(r"/register\?next="))
    audit(page, "inscription")
    register(page, "Nina Lambert", new_email("nouvelle-recrue"))
    expect(page).to_have_url(re.compile(r"/glossaire/$"))  # back where she was
    expect(account).to_have_text("Ma progression")

    # Ma progression: she starts the path (before any of its steps is done: after that,
    # the section offers the next step instead); its first step opens.
    steps = path_steps(PATH)
    account.click()
    expect(page).to_have_url(re.compile(r"/progression$"))
    audit(page, "progression")
    path = page.locator("section.portal-path", has=page.locator(f"#path-{PATH}"))
    path.get_by_role("button", name="Commencer ce parcours").click()
    expect(page).to_have_url(re.compile(re.escape(steps[0][2]) + "$"))

    # A guide of the path: « Marquer comme lu ».
    page.goto("/pmo/roles/")
    reading = page.locator(".portal-reading button")
    expect(reading).to_have_text("Marquer comme lu")
    expect(page.locator(".portal-reading")).to_contain_text("Dans vos parcours : Parcours nouvel arrivant")
    audit(page, "guide")
    reading.click()
    expect(reading).to_have_text("✔ Lu")

    # The path's first quiz, answered wrongly: what to read again.
    first_quiz = next(ref for kind, ref, _url in steps if kind == "quiz")
    page.goto(f"/quiz/{first_quiz}")
    audit(page, "quiz")
    answer_quiz(page, first_quiz, right=False)
    expect_result(page, first_quiz, FAILED)
    expect(page.get_by_role("heading", name="Sections à revoir")).to_be_visible()
    review = page.locator("#a-revoir + ul a")
    expect(review.first).to_have_attribute("href", re.compile(r"^/.+/#.+"))
    audit(page, "résultat du quiz")

    # Retaken, answered right.
    page.get_by_role("link", name="Repasser le quiz").click()
    expect(page).to_have_url(re.compile(rf"/quiz/{first_quiz}$"))
    answer_quiz(page, first_quiz, right=True)
    expect_result(page, first_quiz, PASSED)

    # The other steps: pages read, the episode listened to, quizzes passed.
    for kind, ref, url in steps:
        if kind == "quiz" and ref != first_quiz:
            page.goto(url)
            answer_quiz(page, ref, right=True)
            expect_result(page, ref, PASSED)
        elif kind == "read":
            page.goto(url)
            mark_read(page)
        elif kind == "listen":
            page.goto(url)
            listen_to_the_end(page)
            audit(page, "épisode du podcast")

    # The certificate: on Ma progression, as a PDF, and checked by anyone.
    page.goto("/progression")
    path = page.locator("section.portal-path", has=page.locator(f"#path-{PATH}"))
    expect(path).to_contain_text("Parcours terminé.")
    expect(path.locator("ol > li")).to_have_count(len(steps))
    expect(path.locator("ol > li", has_text="○")).to_have_count(0)
    code = path.get_by_role("link", name="Voir le certificat").get_attribute("href").rsplit("/", 1)[1]
    with page.expect_download() as download_info:
        path.get_by_role("link", name="Télécharger le PDF").click()
    download = download_info.value
    assert download.suggested_filename == f"certificat-{code}.pdf"
    assert Path(download.path()).read_bytes().startswith(b"%PDF")

    visitor = new_context().new_page()
    visitor.goto(f"/certificats/{code}")
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Certificat vérifié")
    expect(visitor.locator(".portal-page")).to_contain_text("Nina Lambert")
    expect(visitor.locator(".portal-page code")).to_have_text(code)
    audit(visitor, "certificat")


def listen_to_the_end(page) -> None:
    """Play the episode's last half-second: when it ends, the player marks it heard."""
    button = page.locator(".portal-reading button")
    expect(button).to_have_text("Marquer comme lu")  # the player's « ended » hook is set
    player = page.locator("audio.portal-player")
    player.evaluate("""audio => new Promise(ready => {
        if (audio.readyState >= 1) ready(); else audio.addEventListener("loadedmetadata", ready, {once: true});
    })""")
    player.evaluate("audio => { audio.currentTime = Math.max(0, audio.duration - 0.5); return audio.play(); }")
    expect(button).to_have_text("✔ Lu")
