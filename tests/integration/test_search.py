"""Search through the app: French analysis, synonyms, snippets, logging, bad input."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from factories import FILLER, make_site, page

from portal import create_app
from portal.build.pipeline import build

PAGES = {
    "index.md": page("Accueil", f"# Accueil\n\n{FILLER}", type="hub"),
    "pilotage/valeur-acquise.md": page(
        "Piloter par la valeur acquise",
        f"""
        # Piloter par la valeur acquise

        ## Indices de performance

        Le SPI compare la valeur acquise à la valeur planifiée ; un délai glissant se lit
        dans un SPI inférieur à 1. L'équipe calcule aussi le CPI.

        {FILLER}

        ## Prévisions

        L'estimation à terminaison se déduit du budget et du CPI. {FILLER}
        """,
        tags="[valeur acquise]",
    ),
    "reporting/comite.md": page(
        "Préparer un comité de pilotage",
        f"""
        # Préparer un comité de pilotage

        ## Préparer la séance

        Le chef de projet envoie le support dix jours avant la séance. {FILLER}

        ## Gouvernance

        Les décisions relèvent de la gouvernance du programme. {FILLER}
        """,
    ),
    "glossaire.md": page(
        "Glossaire",
        """
        # Glossaire

        ## C

        ### Comité de pilotage (COPIL, steering committee) {#comite-de-pilotage}

        Instance qui arbitre et décide pour le projet.

        ## V

        ### Valeur acquise (earned value, EV) {#valeur-acquise}

        Valeur budgétée du travail réellement accompli.
        """,
        type="glossary",
        owner="pmo-methodes",
        reviewed="2026-10-01",
    ),
}


@pytest.fixture
def search_app(tmp_path, database_url):
    from conftest import BufferedClient

    settings = make_site(tmp_path / "site", PAGES)
    settings.database_url = database_url
    build(settings)
    app = create_app(settings)
    app.test_client_class = BufferedClient
    yield app
    app.extensions["portal.engine"].dispose()


def search(client, q, **params):
    return client.get("/api/search", query_string={"q": q, **params})


def urls(response):
    return [r["url"] for r in response.get_json()["results"]]


def test_results_link_to_sections(search_app):
    client = search_app.test_client()
    body = search(client, "estimation à terminaison").get_json()
    assert body["total"] >= 1
    first = body["results"][0]
    assert first["url"] == "/pilotage/valeur-acquise/#previsions"
    assert first["section"] == "Prévisions"
    assert first["title"] == "Piloter par la valeur acquise"
    assert first["type"] == "guide"
    assert set(first) >= {"title", "url", "section", "type", "snippet", "score"}


def test_missing_accents_and_elisions_still_match(search_app):
    client = search_app.test_client()
    assert any("/pilotage/valeur-acquise/" in u for u in urls(search(client, "delai")))
    assert any("/pilotage/valeur-acquise/" in u for u in urls(search(client, "equipe")))


def test_glossary_synonyms_and_acronyms(search_app):
    client = search_app.test_client()
    assert any(u.startswith("/pilotage/valeur-acquise/") for u in urls(search(client, "earned value")))
    assert any(u.startswith("/reporting/comite/") for u in urls(search(client, "COPIL")))
    assert "/glossaire/#comite-de-pilotage" in urls(search(client, "copil"))


def test_snippet_marks_matches_and_escapes_html(search_app):
    client = search_app.test_client()
    result = search(client, "SPI").get_json()["results"][0]
    assert "<mark" in result["snippet"] and "SPI</mark>" in result["snippet"]
    assert "<script" not in result["snippet"]


def test_quoted_phrase_and_prefix(search_app):
    client = search_app.test_client()
    assert urls(search(client, '"valeur planifiée"'))[0].startswith("/pilotage/valeur-acquise/")
    assert urls(search(client, "gouvern", prefix=1))[0].startswith("/reporting/comite/")


def test_spelling_suggestion_when_little_is_found(search_app):
    client = search_app.test_client()
    body = search(client, "gouvernence").get_json()
    assert body["suggestion"] == "gouvernance"
    page_html = client.get("/search?q=gouvernence").get_data(as_text=True)
    assert "Vouliez-vous dire" in page_html and "gouvernance" in page_html


def test_filters_by_type_and_section(search_app):
    client = search_app.test_client()
    only_glossary = search(client, "valeur acquise", type="glossary").get_json()["results"]
    assert only_glossary and all(r["type"] == "glossary" for r in only_glossary)
    only_reporting = search(client, "séance", section="Préparer un comité de pilotage").get_json()
    assert all(r["url"].startswith("/reporting/") for r in only_reporting["results"])


def test_every_query_is_logged_with_its_normalised_form(search_app):
    client = search_app.test_client()
    search(client, "Comment préparer un COPIL ?")
    search(client, "introuvablexyz")
    search(client, "prép", prefix=1)  # instant results while typing are not logged
    engine = search_app.extensions["portal.engine"]
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT query, normalized, results, user_id FROM search_queries ORDER BY id")
        ).all()
    assert [(r.query, r.normalized, r.user_id) for r in rows] == [
        ("Comment préparer un COPIL ?", "preparer copil", None),
        ("introuvablexyz", "introuvablexyz", None),
    ]
    assert rows[0].results > 0 and rows[1].results == 0


@pytest.mark.parametrize(
    "query",
    ["le la les de", '"plan de charge', "*", "AND OR NOT", "\x00\x01\x1b[31m", "<script>alert(1)</script>", "((", "title:x"],
)
def test_odd_queries_answer_200_and_never_echo_raw_html(search_app, query):
    client = search_app.test_client()
    response = search(client, query)
    assert response.status_code == 200
    assert "<script>" not in response.get_data(as_text=True)
    html = client.get("/search", query_string={"q": query})
    assert html.status_code == 200
    assert "<script>alert" not in html.get_data(as_text=True)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": ""}, "La recherche est vide"),
        ({"q": "   "}, "La recherche est vide"),
        ({"q": "x" * 10_000}, "trop longue"),
        ({"q": "risque", "limit": "0"}, "« limit » doit être compris entre 1 et 50"),
        ({"q": "risque", "limit": "500"}, "« limit » doit être compris entre 1 et 50"),
        ({"q": "risque", "page": "-1"}, "« page » doit être compris entre 1 et 100"),
        ({"q": "risque", "page": "abc"}, "« page » doit être un nombre entier"),
        ({"q": "risque", "type": "inconnu"}, "« type » inconnu"),
    ],
)
def test_bad_parameters_get_a_french_400(search_app, params, message):
    client = search_app.test_client()
    response = client.get("/api/search", query_string=params)
    assert response.status_code == 400
    assert message in response.get_json()["error"]
    html = client.get("/search", query_string=params)
    if params["q"].strip():
        assert html.status_code == 400 and message in html.get_data(as_text=True)


def test_rebuild_is_picked_up_without_restart(search_app, tmp_path):
    client = search_app.test_client()
    assert search(client, "hydravion").get_json()["total"] == 0
    settings = search_app.config["PORTAL"]
    guide = settings.content_dir / "reporting" / "comite.md"
    guide.write_text(guide.read_text() + "\n## Hydravion\n\nLe plan hydravion est validé.\n")
    build(settings)
    assert search(client, "hydravion").get_json()["results"][0]["url"] == "/reporting/comite/#hydravion"
    assert client.get("/api/health").get_json()["documents"] > 0


def test_a_query_naming_a_page_opens_it_at_the_top(search_app):
    client = search_app.test_client()
    # Its first section, « Indices de performance », also speaks of « valeur acquise ».
    first = search(client, "piloter valeur acquise").get_json()["results"][0]
    assert first["url"] == "/pilotage/valeur-acquise/"
    assert first["section"] == ""
    assert "<mark" in first["snippet"]
    # While the reader types, the word begun counts when a word of the title begins so.
    first = search(client, "piloter valeur acq", prefix="1").get_json()["results"][0]
    assert first["url"] == "/pilotage/valeur-acquise/"
    # A word that is not in the title still leads to the section that holds it.
    first = search(client, "piloter prévisions").get_json()["results"][0]
    assert first["url"] == "/pilotage/valeur-acquise/#previsions"


def test_the_search_page_names_a_result_by_its_page_then_its_section(search_app):
    client = search_app.test_client()
    html = client.get("/search", query_string={"q": "piloter prévisions"}).get_data(as_text=True)
    assert ('<strong>Piloter par la valeur acquise</strong>'
            '<span class="portal-result__section"> › Prévisions</span>') in html
    # A glossary entry is named by its own heading, under « Glossaire ».
    html = client.get("/search", query_string={"q": "copil"}).get_data(as_text=True)
    assert "<strong>Comité de pilotage (COPIL, steering committee)</strong>" in html


def test_a_quoted_phrase_counts_only_the_pages_where_it_stands(search_app):
    client = search_app.test_client()
    found = search(client, '"délai glissant"').get_json()
    assert found["total"] == 1 and len(found["results"]) == 1
    # Both words are on that page, but not in this order: nothing to show, nothing counted.
    found = search(client, '"glissant délai"').get_json()
    assert found["total"] == 0 and found["results"] == []


def test_header_search_box_sends_readers_to_the_search_page(search_app):
    html = search_app.test_client().get("/").get_data(as_text=True)
    assert 'class="portal-search" action="search" method="get"' in html
    assert 'name="q"' in html


def test_parsing_a_large_site_in_several_processes_gives_the_same_documents(real_build):
    from portal.search.indexer import site_documents

    site = real_build[1].generation / "site"
    alone = list(site_documents(site, parallel_from=10**9))
    shared = list(site_documents(site, parallel_from=1))
    assert len(alone) > 100 and shared == alone
