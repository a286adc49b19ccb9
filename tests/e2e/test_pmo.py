"""A PMO signs in, opens each report, exports a CSV and opens it; learners and
anonymous readers are kept out."""

from __future__ import annotations

import csv
import io
import re

from playwright.sync_api import expect

from .audit import audit
from .learner import new_email, register

REPORT_PAGES = {"formation": "Formation", "quiz": "Quiz et questions", "recherche": "Recherche",
                "contenu": "Contenu"}


def test_pmo_reads_every_report_and_exports_a_csv(new_context, server):
    # A learner leaves some traces: a search without result, a search with results.
    learner = new_context().new_page()
    learner.goto("/register")
    register(learner, "Nina Petit", new_email("nina"))
    learner.goto("/search?q=hydravion")
    learner.goto("/search?q=valeur+acquise")
    response = learner.goto("/admin/quiz")
    assert response is not None and response.status == 403

    anonymous = new_context().new_page()
    anonymous.goto("/admin/")
    expect(anonymous).to_have_url(re.compile(r"/login\?next="))

    page = new_context().new_page()
    page.goto("/login")
    form = page.locator("form.portal-form")
    form.locator("#email").fill(server.pmo_email)
    form.locator("#password").fill(server.pmo_password)
    form.get_by_role("button", name="Se connecter").click()
    page.goto("/admin/")
    expect(page.locator("h1")).to_have_text("Espace PMO")
    audit(page, "espace PMO")

    for slug, title in REPORT_PAGES.items():
        page.locator(".portal-page").get_by_role("link", name=title, exact=True).first.click()
        expect(page).to_have_url(re.compile(rf"/admin/{slug}$"))
        expect(page.locator("h1")).to_have_text(title)
        audit(page, f"rapport {title.lower()}")
    page.goto("/admin/quiz")
    assert page.evaluate("document.querySelector('canvas[data-chart]').width") > 0  # the chart is drawn

    page.goto("/admin/recherche")
    expect(page.locator("table").first).to_contain_text("hydravion")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(r"recherches-sans-resultat\.csv")).click()
    with open(download.value.path(), "rb") as exported:
        data = exported.read()
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Requête normalisée", "Exemple saisi", "Recherches", "Dernière fois"]
    assert any(row[0] == "hydravion" for row in rows[1:])
