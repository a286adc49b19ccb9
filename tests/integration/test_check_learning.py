"""`pmo-portal check` on quiz and path files: one located error per defect."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from portal.cli import main

QUIZ = """id: {id}
title: Quiz
description: Un quiz.
pass_mark: 80
questions:
  - id: q1
    type: single
    prompt: "Question ?"
    choices:
      - {{id: a, text: "Oui", correct: true}}
      - {{id: b, text: "Non"}}
    explanation: "Parce que."
    reference: guides/guide.md#etapes
"""


def run(settings):
    return CliRunner().invoke(main, ["check"], env={"PORTAL_ROOT": str(settings.root)})


def write(settings, rel, text):
    path = settings.quizzes_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_fixture_quizzes_and_path_are_valid(site_settings):
    result = run(site_settings)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda t: t.replace("type: single", "type: essai"), "quizzes/casse.yml:7: type inconnu « essai »"),
        (lambda t: t.replace(", correct: true", ""),
         "quizzes/casse.yml:9: question à choix unique « q1 » : aucun choix correct"),
        (lambda t: t + t[t.index("  - id: q1"):], "quizzes/casse.yml:14: identifiant de question « q1 » en double"),
        (lambda t: t.replace("{id: b,", "{id: a,"), "quizzes/casse.yml:6: question « q1 » : choix « a » en double"),
        (lambda t: t.replace("guides/guide.md#etapes", "guides/absent.md"),
         "quizzes/casse.yml:13: lien vers une page introuvable : « guides/absent.md »"),
        (lambda t: t.replace("#etapes", "#nulle-part"),
         "quizzes/casse.yml:13: ancre introuvable : « #nulle-part » n'existe pas dans content/guides/guide.md"),
        (lambda t: t.replace("pass_mark: 80", "pass_mark: [80"), "quizzes/casse.yml:5: YAML invalide : liste ou dictionnaire entre crochets non fermé"),
    ],
)
def test_quiz_defects_are_located(site_settings, edit, expected):
    write(site_settings, "casse.yml", edit(QUIZ.format(id="casse")))
    result = run(site_settings)
    assert result.exit_code == 1
    assert expected in result.output, result.output


def test_quiz_id_must_be_its_file_name_so_ids_are_unique(site_settings):
    write(site_settings, "copie.yml", QUIZ.format(id="essentiel"))
    result = run(site_settings)
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        "quizzes/copie.yml:1: l'identifiant « essentiel » doit être le nom du fichier « copie »"
    )


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        ("quiz: fantome", "quizzes/paths/casse.yml:5: étape : quiz introuvable « fantome »"),
        ("read: guides/absent.md", "quizzes/paths/casse.yml:5: étape : lien vers une page introuvable"),
        ("listen: guides/guide.md", "quizzes/paths/casse.yml:5: étape « listen » : « guides/guide.md » n'est pas un épisode"),
        ("regarder: guides/guide.md", "quizzes/paths/casse.yml:5: clé inconnue : « regarder »"),
    ],
)
def test_path_defects_are_located(site_settings, step, expected):
    write(site_settings, "paths/casse.yml",
          f"id: casse\ntitle: Parcours\nsteps:\n  - read: guides/guide.md\n  - {step}\n")
    result = run(site_settings)
    assert result.exit_code == 1
    assert expected in result.output, result.output
