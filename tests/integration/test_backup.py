"""`pmo-portal backup` / `restore`: from the embedded SQLite to a new database, records intact."""

from __future__ import annotations

import datetime as dt
import os

import sqlalchemy as sa
from click.testing import CliRunner
from conftest import BufferedClient, Learner, _reset_postgres
from factories import ANSWERS_ALL_RIGHT, ANSWERS_ALL_WRONG

from portal import create_app
from portal.cli import main
from portal.learning.item_stats import catch_up_item_stats

TABLES = ["users", "attempt_tokens", "attempts", "answers", "pages_read", "path_enrollments",
          "certificates", "search_queries"]


def cli(settings, url, *args):
    env = {"PORTAL_ROOT": str(settings.root), "PORTAL_VAR_DIR": str(settings.var_dir),
           "PORTAL_DATABASE_URL": url, "PORTAL_SECRET_KEY": "test"}
    return CliRunner().invoke(main, list(args), env=env)


def counts(url):
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        found = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}
    engine.dispose()
    return found


def test_backup_restores_onto_a_new_database(app, learner, tmp_path):
    learner.post_json("/api/me/pages-read", {"page": "/guides/guide/"})
    learner.submit(ANSWERS_ALL_WRONG)
    learner.submit(ANSWERS_ALL_RIGHT)
    learner.client.get("/search?q=guide")
    settings = app.config["PORTAL"]
    source_url = settings.database_url
    dump = tmp_path / "sauvegarde.jsonl"
    result = cli(settings, source_url, "backup", str(dump))
    assert result.exit_code == 0, result.output
    before = counts(source_url)
    # Both attempts are still queued for the item analysis, so their answers are only in
    # their results: the backup reads and does not write, and the restore copies them.
    assert before["answers"] == 0 and before["attempts"] == 2 and before["certificates"] == 1

    targets = [f"sqlite:///{tmp_path / 'restauree.db'}"]
    postgres = os.environ.get("PORTAL_TEST_DATABASE_URL")
    if postgres and not source_url.startswith("postgresql"):
        _reset_postgres(postgres)
        targets.append(postgres)
    for target in targets:
        result = cli(settings, target, "restore", str(dump))
        assert result.exit_code == 0, result.output
        assert counts(target) == {**before, "answers": 10}
        settings.database_url = target
        restored = create_app(settings)
        restored.test_client_class = BufferedClient
        again = Learner(restored.test_client())
        assert again.login().status_code == 302
        progress = again.client.get("/api/me/progress").get_json()
        assert progress["quizzes"]["essentiel"] == {"attempts": 2, "best_percent": 100.0, "passed": True}
        # New records still get fresh ids after a restore (sequences moved on).
        assert again.submit(ANSWERS_ALL_RIGHT).status_code == 201
        restored.extensions["portal.engine"].dispose()


def daily_sums(url):
    """The daily sums as the item analysis reads them: first brought up to date."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        catch_up_item_stats(conn)
        found = [conn.execute(sa.text(f"SELECT * FROM {t} ORDER BY quiz_id, question_id, day{extra}")).all()
                 for t, extra in [("item_stats_daily", ""), ("choice_picks_daily", ", choice")]]
    engine.dispose()
    return [[tuple(str(v) if isinstance(v, dt.date) else v for v in row) for row in rows] for rows in found]


def test_restore_rebuilds_the_item_analysis_sums(app, learner, tmp_path):
    learner.submit(ANSWERS_ALL_WRONG)
    learner.submit(ANSWERS_ALL_RIGHT)
    settings = app.config["PORTAL"]
    dump = tmp_path / "sauvegarde.jsonl"
    assert cli(settings, settings.database_url, "backup", str(dump)).exit_code == 0
    # Derived tables, recomputed rather than backed up: the sums, and the queue of attempts
    # not yet in them (both attempts are queued here).
    assert "_daily" not in dump.read_text() and "item_stats_pending" not in dump.read_text()
    items, picks = daily_sums(settings.database_url)
    assert sum(row[3] for row in items) == 10 and sum(row[4] for row in picks) == 6  # answers; wrong picks

    target = f"sqlite:///{tmp_path / 'restauree.db'}"
    assert cli(settings, target, "restore", str(dump)).exit_code == 0
    assert daily_sums(target) == [items, picks]


def test_restore_refuses_a_non_empty_database(app, learner, tmp_path):
    settings = app.config["PORTAL"]
    dump = tmp_path / "sauvegarde.jsonl"
    assert cli(settings, settings.database_url, "backup", str(dump)).exit_code == 0
    result = cli(settings, settings.database_url, "restore", str(dump))
    assert result.exit_code == 1
    assert "la base cible n'est pas vide (table users)" in result.output
    assert "Rien n'a été restauré." in result.output


def test_restore_refuses_a_file_that_is_not_a_backup(site_settings, tmp_path):
    bogus = tmp_path / "autre.jsonl"
    bogus.write_text('{"bonjour": 1}\n')
    result = cli(site_settings, f"sqlite:///{tmp_path / 'x.db'}", "restore", str(bogus))
    assert result.exit_code == 1
    assert "ce fichier n'est pas une sauvegarde du portail" in result.output


def test_item_stats_command_catches_up_and_rebuilds(app, learner):
    learner.submit(ANSWERS_ALL_WRONG)
    learner.submit(ANSWERS_ALL_RIGHT)
    settings = app.config["PORTAL"]
    engine = sa.create_engine(settings.database_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM item_stats_pending")).scalar_one() == 2
    result = cli(settings, settings.database_url, "item-stats")
    assert result.exit_code == 0 and "2 tentative(s) en attente" in result.output, result.output
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM item_stats_pending")).scalar_one() == 0
    engine.dispose()
    items, picks = daily_sums(settings.database_url)
    assert sum(row[3] for row in items) == 10 and sum(row[4] for row in picks) == 6
    # Recomputed from every answer: the same sums, whatever was there.
    engine = sa.create_engine(settings.database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE item_stats_daily SET n = n + 100"))
    engine.dispose()
    assert cli(settings, settings.database_url, "item-stats", "--rebuild").exit_code == 0
    assert daily_sums(settings.database_url) == [items, picks]
