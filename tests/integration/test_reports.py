"""The /admin reports: access, exact item analysis, filters, CSV exports."""

from __future__ import annotations

import csv
import io

import pytest
from conftest import Learner
from factories import ANSWERS_ALL_RIGHT, ANSWERS_ALL_WRONG

from portal.accounts.service import create_user
from portal.db import session_scope


def make_pmo(app):
    with session_scope(app.extensions["portal.engine"]) as s:
        create_user(s, "pmo@example.com", "Équipe PMO", "Cadre-Strategique-2026", role="pmo")
    person = Learner(app.test_client(), email="pmo@example.com")
    assert person.login("Cadre-Strategique-2026").status_code == 302
    return person


def answers_with(marks: list[int]) -> dict:
    keys = ["unique", "plusieurs", "vrai-faux", "ordre", "nombre"]
    return {k: (ANSWERS_ALL_RIGHT if m else ANSWERS_ALL_WRONG)[k] for k, m in zip(keys, marks, strict=True)}


@pytest.fixture
def seeded(app):
    """Four learners, marks per question (unique, plusieurs, vrai-faux, ordre, nombre)."""
    for index, marks in enumerate([[1, 1, 1, 1, 1], [1, 0, 1, 0, 1], [0, 0, 1, 0, 1], [1, 0, 0, 0, 0]]):
        person = Learner(app.test_client(), email=f"l{index}@example.com", name=f"Apprenant {index}")
        person.register(team="=HYPERLINK(\"http://x\")" if index == 0 else "Finance")
        assert person.submit(answers_with(marks)).status_code == 201
    return app


def test_admin_is_for_pmo_only(app):
    assert app.test_client().get("/admin/quiz").status_code == 302
    assert "/login?next=" in app.test_client().get("/admin/quiz").headers["Location"]
    learner = Learner(app.test_client())
    learner.register()
    assert learner.client.get("/admin/quiz").status_code == 403
    assert learner.client.get("/admin/reports/quiz.csv").status_code == 403
    assert make_pmo(app).client.get("/admin/quiz").status_code == 200


def test_item_analysis_matches_hand_computation(seeded):
    pmo = make_pmo(seeded)
    rows = list(csv.reader(io.StringIO(pmo.client.get("/admin/reports/questions.csv").data.decode("utf-8-sig")),
                           delimiter=";"))
    header, body = rows[0], {r[1]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert header[:5] == ["Quiz", "Question", "Réponses", "Indice de facilité", "Indice de discrimination"]
    assert body["plusieurs"]["Indice de facilité"] == "0,25"
    assert body["plusieurs"]["Indice de discrimination"] == "0,775"  # 6/√60
    assert body["vrai-faux"]["Indice de discrimination"] == "0,471"  # 4/√72
    assert body["unique"]["Indice de facilité"] == "0,75"
    assert body["unique"]["Indice de discrimination"] == "0"
    assert body["unique"]["À revoir"] == "ne distingue pas les apprenants"
    assert body["unique"]["Part de chaque mauvais choix"] == "b\u00a0: 25\u00a0%"
    assert body["unique"]["Fichier"].endswith("/blob/main/quizzes/essentiel.yml")


def test_quiz_report(seeded):
    pmo = make_pmo(seeded)
    rows = list(csv.DictReader(io.StringIO(pmo.client.get("/admin/reports/quiz.csv").data.decode("utf-8-sig")),
                               delimiter=";"))
    (row,) = rows
    assert row["Tentatives"] == "4" and row["Taux de réussite (%)"] == "25"
    assert row["Score moyen (%)"] == "55" and row["Score médian (%)"] == "50"
    assert row["Tentatives pour réussir (moyenne)"] == "1"
    page = pmo.client.get("/admin/quiz").get_data(as_text=True)
    assert 'data-chart="scores"' in page and "chart.umd.min.js" in page


def test_every_report_page_renders(seeded):
    pmo = make_pmo(seeded)
    for page in ["", "formation", "quiz", "recherche", "contenu"]:
        response = pmo.client.get(f"/admin/{page}")
        assert response.status_code == 200, page
        assert "md-header" in response.get_data(as_text=True)


def test_csv_is_excel_friendly_and_neutralises_formulas(seeded):
    pmo = make_pmo(seeded)
    response = pmo.client.get("/admin/reports/completion-equipes.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="completion-equipes-' in response.headers["Content-Disposition"]
    assert response.data.startswith("\ufeff".encode())
    # The learners started the path by passing its quiz; the first one typed a formula as team.
    text = response.data.decode("utf-8-sig")
    assert text.startswith("Parcours;Équipe;Inscrits;En cours;Terminés;Taux d'achèvement (%)\r\n")
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text and ";=HYPERLINK" not in text
    # An empty report is its header line, not an error.
    empty = pmo.client.get("/admin/reports/apprenants-bloques.csv")
    assert empty.status_code == 200
    assert empty.data.decode("utf-8-sig") == (
        "Apprenant;E-mail;Équipe;Parcours;Étape en attente;Dernière activité;Jours\r\n"
    )


def test_unknown_report_is_404(seeded):
    pmo = make_pmo(seeded)
    assert pmo.client.get("/admin/reports/inconnu.csv").status_code == 404
    assert pmo.client.get("/admin/inconnu").status_code == 404


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("du=hier", "« du » doit être une date au format AAAA-MM-JJ"),
        ("au=1999-12-31", "« au » doit être comprise entre 2000-01-01"),
        ("du=2026-10-01&au=2026-09-01", "La date de début"),
        ("quiz=fantome", "Quiz inconnu"),
        ("parcours=fantome", "Parcours inconnu"),
    ],
)
def test_bad_filters_are_a_french_400(seeded, query, message):
    pmo = make_pmo(seeded)
    assert message in pmo.client.get(f"/admin/quiz?{query}").get_data(as_text=True)
    assert pmo.client.get(f"/admin/quiz?{query}").status_code == 400
    assert pmo.client.get(f"/admin/reports/quiz.csv?{query}").status_code == 400


def test_search_gaps_link_to_a_prefilled_issue(app):
    client = app.test_client()
    client.get("/search?q=hydravion+amphibie")
    client.get("/search?q=Hydravion amphibie")
    found = client.get("/search?q=guide").get_data(as_text=True)
    link = found.split('href="/search/ouvrir?')[1].split('"')[0].replace("&amp;", "&")
    assert client.get("/search/ouvrir?" + link).status_code == 302
    client.get("/search?q=étapes")
    pmo = make_pmo(app)
    page = pmo.client.get("/admin/recherche").get_data(as_text=True)
    assert "hydravion amphibie" in page
    assert "/issues/new?title=Nouvelle%20page%20%3A%20Hydravion%20amphibie&amp;body=" in page
    gaps = pmo.client.get("/admin/reports/recherches-sans-resultat.csv").data.decode("utf-8-sig")
    assert "hydravion amphibie;hydravion amphibie;2;" in gaps.replace("Hydravion", "hydravion")
    unopened = pmo.client.get("/admin/reports/recherches-sans-clic.csv").data.decode("utf-8-sig")
    assert "etapes" in unopened and "\nguide;" not in unopened


def test_content_freshness_lists_guides_with_owners(app):
    pmo = make_pmo(app)
    rows = list(csv.DictReader(io.StringIO(pmo.client.get("/admin/reports/fraicheur.csv").data.decode("utf-8-sig")),
                               delimiter=";"))
    assert rows[0]["Page"] == "Guide" and rows[0]["Responsable"] == "Pôle méthodes et standards"
    assert rows[0]["Prochaine revue"] == "2027-10-01" and rows[0]["État"] == "à jour"
