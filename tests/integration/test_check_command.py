"""`pmo-portal check`: one clear `path:line:` error per defect, exit 1."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from factories import FILLER, add_fixture, page

from portal.cli import main


def run_check(settings):
    env = {"PORTAL_ROOT": str(settings.root), "PORTAL_VAR_DIR": str(settings.var_dir)}
    return CliRunner().invoke(main, ["check"], env=env)


def test_valid_content_passes(site_settings):
    result = run_check(site_settings)
    assert result.exit_code == 0, result.output
    assert "Contenu valide" in result.output


@pytest.mark.parametrize(
    ("fixture", "line", "message"),
    [
        ("bad/no-front-matter.md", 1, "front matter manquant"),
        ("bad/invalid-yaml.md", 3, "YAML invalide"),
        ("bad/unknown-type.md", 4, "type inconnu « article »"),
        ("bad/bad-date.md", 6, "« reviewed » n'est pas une date valide : « 2026-02-30 »"),
        ("bad/missing-page-link.md", 9, "lien vers une page introuvable : « ../guides/disparu.md »"),
        (
            "bad/missing-anchor-link.md",
            9,
            "ancre introuvable : « #section-absente » n'existe pas dans content/guides/guide.md",
        ),
    ],
)
def test_each_bad_input_gives_exactly_one_located_error(site_settings, fixture, line, message):
    add_fixture(site_settings, fixture, "pages/cassee.md")
    result = run_check(site_settings)
    assert result.exit_code == 1
    error_lines = [
        row for row in result.output.splitlines() if row.startswith("content/") and "avertissement" not in row
    ]
    assert error_lines == [f"content/pages/cassee.md:{line}: {error_lines[0].split(': ', 1)[1]}"]
    assert message in error_lines[0]


def test_stale_page_is_a_warning_not_an_error(tmp_path):
    from factories import make_site

    settings = make_site(
        tmp_path,
        {
            "index.md": page("Accueil", f"# Accueil\n\n{FILLER}", type="hub"),
            "vieux.md": page("Vieux", f"# Vieux\n\n{FILLER}", reviewed="2024-01-15", review_every=6),
        },
    )
    result = run_check(settings)
    assert result.exit_code == 0, result.output
    assert "content/vieux.md:4: avertissement : page à revoir" in result.output
    assert "revue attendue avant le 2024-07-15" in result.output


def test_page_missing_from_navigation_is_an_error(tmp_path):
    from factories import default_pages, make_site

    settings = make_site(tmp_path, default_pages(), nav=["index.md"])
    result = run_check(settings)
    assert result.exit_code == 1
    assert "content/guides/guide.md:1: page absente de la navigation" in result.output


def test_unknown_tag_and_owner_are_errors(tmp_path):
    from factories import make_site

    settings = make_site(
        tmp_path,
        {
            "index.md": page("Accueil", f"# Accueil\n\n{FILLER}", type="hub", tags="[inconnue]"),
            "g.md": page("G", f"# G\n\n{FILLER}", owner="personne"),
        },
    )
    result = run_check(settings)
    assert result.exit_code == 1
    assert "content/index.md:5: étiquette inconnue « inconnue »" in result.output
    assert "content/g.md:4: propriétaire inconnu « personne »" in result.output


def test_template_without_required_section_is_an_error(tmp_path):
    from factories import make_site

    body = f"## À quoi sert ce modèle\n\n{FILLER}\n\n## Quand le remplir\n\n{FILLER}\n\n## Le modèle\n\nTableau."
    settings = make_site(tmp_path, {"index.md": page("Accueil", FILLER, type="hub"),
                                    "modele.md": page("Modèle", body, type="template")})
    result = run_check(settings)
    assert result.exit_code == 1
    assert "content/modele.md:8: section obligatoire absente d'un modèle : « ## Comment le remplir »" in result.output


def test_abbreviation_defined_twice_is_an_error(tmp_path):
    from factories import make_site

    settings = make_site(tmp_path, {"index.md": page("Accueil", f"{FILLER}\n\n*[COPIL]: Comité de pilotage", type="hub")})
    result = run_check(settings)
    assert result.exit_code == 1
    assert "content/index.md:9: abréviation « COPIL » déjà définie (content/_snippets/abreviations.md:1)" in result.output


def test_short_page_is_a_warning(tmp_path):
    from factories import make_site

    settings = make_site(tmp_path, {"index.md": page("Accueil", "Trois mots seulement.", type="hub")})
    result = run_check(settings)
    assert result.exit_code == 0
    assert "content/index.md:6: avertissement : page trop courte : 3 mots de texte (au moins 150 attendus)" in result.output
