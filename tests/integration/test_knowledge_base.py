"""The shipped knowledge base: it checks clean, builds strict, and reads as designed."""

from __future__ import annotations

import re

import pytest
import yaml
from click.testing import CliRunner

from portal.catalog.problems import errors
from portal.cli import main
from portal.config import PROJECT_ROOT

REQUIRED_PAGES = ["index", "pmo/index", "pmo/roles", "pmo/types-de-pmo", "pmo/maturite", "pmo/communaute-de-pratique", "processus/cycle-de-vie", "processus/gouvernance", "processus/gestion-des-changements", "processus/cloture", "processus/standards-documentaires", "ressources/planification-capacite", "ressources/competences", "ressources/arbitrage-multi-projets", "pilotage/indicateurs", "pilotage/valeur-acquise", "pilotage/risques", "pilotage/journal-raid", "pilotage/planning", "pilotage/qualite", "reporting/rapport-avancement", "reporting/tableaux-de-bord", "reporting/communication", "reporting/comite-de-pilotage", "formation/index", "formation/accompagnement", "formation/bonnes-pratiques", "modeles/charte-projet", "modeles/rapport-avancement", "modeles/registre-risques", "modeles/matrice-raci", "modeles/compte-rendu-copil", "modeles/demande-de-changement", "modeles/retour-experience", "modeles/plan-de-charge", "modeles/journal-raid", "modeles/plan-de-communication", "glossaire"]


def test_shipped_content_checks_without_errors():
    result = CliRunner().invoke(main, ["check"], env={"PORTAL_ROOT": str(PROJECT_ROOT)})
    assert result.exit_code == 0, result.output
    assert "Contenu valide" in result.output


def test_shipped_site_builds_with_mkdocs_strict(real_build):
    settings, result = real_build
    assert not errors(result.problems)
    site = result.generation / "site"
    for page in REQUIRED_PAGES:
        folder = page.removesuffix("index").rstrip("/")
        built = site / folder / "index.html"
        assert built.is_file(), page


@pytest.mark.parametrize("page", [p for p in REQUIRED_PAGES if p.startswith(("pmo/", "processus/",
                                  "ressources/", "pilotage/", "reporting/", "formation/"))])
def test_every_guide_has_the_standard_sections(page):
    text = (PROJECT_ROOT / "content" / f"{page}.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+?)\s*$", text, flags=re.M)
    for expected in ["En bref", "Quand l'utiliser", "Comment faire", "Qui fait quoi", "Exemple",
                     "Pièges à éviter", "Pour aller plus loin"]:
        assert expected in headings, f"{page}: « {expected} » manque"


def test_glossary_has_at_least_80_terms_and_abbreviations_expand(real_build):
    text = (PROJECT_ROOT / "content" / "glossaire.md").read_text(encoding="utf-8")
    assert len(re.findall(r"^### ", text, flags=re.M)) >= 80
    html = (real_build[1].generation / "site" / "reporting" / "comite-de-pilotage" / "index.html").read_text()
    assert '<abbr title="Comité de pilotage">COPIL</abbr>' in html


def test_earned_value_worked_example_adds_up():
    text = (PROJECT_ROOT / "content" / "pilotage" / "valeur-acquise.md").read_text(encoding="utf-8")
    for formula in ["SV = EV − PV", "CV = EV − AC", "SPI = EV / PV", "CPI = EV / AC", "EAC = BAC / CPI",
                    "ETC = EAC − AC", "VAC = BAC − EAC", "TCPI = (BAC − EV) / (BAC − AC)"]:
        assert formula in text, formula


def test_every_page_is_within_three_clicks_of_home():
    config = (PROJECT_ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = yaml.safe_load(config[config.index("\nnav:") :])["nav"]

    def depth(item, level):
        if isinstance(item, str):
            yield level
        elif isinstance(item, dict):
            for value in item.values():
                yield from depth(value, level)
        elif isinstance(item, list):
            for value in item:
                yield from depth(value, level + 1)

    # A tab (click 1) opens its section, whose pages are listed in the sidebar (click 2).
    assert max(depth(nav, 0)) <= 3


def test_pages_show_owner_review_and_edit_link(real_build):
    html = (real_build[1].generation / "site" / "pilotage" / "valeur-acquise" / "index.html").read_text()
    assert "Responsable :" in html and "Dernière revue :" in html
    assert "edit/main/content/pilotage/valeur-acquise.md" in html
