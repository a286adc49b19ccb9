"""`pmo-portal export`: xAPI 1.0.3 statements with stable ids, and CSV."""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter

from click.testing import CliRunner
from conftest import Learner
from factories import ANSWERS_ALL_RIGHT, ANSWERS_ALL_WRONG

from portal.cli import main


def export(app, *args):
    settings = app.config["PORTAL"]
    env = {"PORTAL_ROOT": str(settings.root), "PORTAL_VAR_DIR": str(settings.var_dir),
           "PORTAL_DATABASE_URL": settings.database_url, "PORTAL_SECRET_KEY": "test"}
    result = CliRunner().invoke(main, ["export", *args], env=env)
    assert result.exit_code == 0, result.output
    return result


def test_xapi_export_is_complete_and_idempotent(app, learner):
    learner.post_json("/api/me/pages-read", {"page": "/guides/guide/"})
    learner.submit(ANSWERS_ALL_WRONG)
    learner.submit(ANSWERS_ALL_RIGHT)
    first = json.loads(export(app, "--format", "xapi", "--site-url", "https://pmo.exemple.fr/").stdout)
    second = json.loads(export(app, "--format", "xapi", "--site-url", "https://pmo.exemple.fr/").stdout)
    assert first == second
    verbs = Counter(s["verb"]["id"].rsplit("/", 1)[1] for s in first)
    assert verbs == {"experienced": 1, "failed": 1, "passed": 1, "answered": 10, "completed": 1}
    assert len({s["id"] for s in first}) == len(first)
    for statement in first:
        uuid.UUID(statement["id"])
        assert statement["version"] == "1.0.3"
        assert statement["actor"] == {"objectType": "Agent", "name": "Léa Martin", "mbox": "mailto:lea@example.com"}
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", statement["timestamp"])
        assert statement["object"]["id"].startswith("https://pmo.exemple.fr/")
    passed = next(s for s in first if s["verb"]["id"].endswith("/passed"))
    assert passed["result"]["score"] == {"scaled": 1.0, "raw": 5.0, "min": 0, "max": 5.0}
    assert passed["result"]["success"] is True
    assert passed["object"]["id"] == "https://pmo.exemple.fr/quiz/essentiel"


def test_csv_export(app, learner):
    learner.submit(ANSWERS_ALL_RIGHT)
    text = export(app, "--format", "csv").stdout
    lines = text.lstrip("\ufeff").splitlines()
    assert text.startswith("\ufeff")
    assert lines[0] == "id;date;verbe;email;nom;activite;intitule;score;reussi"
    assert any(";a réussi;lea@example.com;Léa Martin;" in line and line.endswith(";1;oui") for line in lines)


def test_export_without_build_says_so(site_settings, tmp_path):
    env = {"PORTAL_ROOT": str(site_settings.root), "PORTAL_VAR_DIR": str(tmp_path / "vide")}
    result = CliRunner().invoke(main, ["export"], env=env)
    assert result.exit_code == 1
    assert "aucun site construit" in result.output


def test_learner_export_contains_only_what_happened(app):
    person = Learner(app.test_client(), email="marc@example.com", name="Marc")
    person.register()
    assert json.loads(export(app).stdout) == []
