"""`pmo-portal build` swaps a new site in atomically; the app serves it."""

from __future__ import annotations

import gzip

import pytest
import sqlalchemy as sa
from factories import FILLER, page

from portal import create_app
from portal.build.generations import current_generation
from portal.build.pipeline import BuildError, build


def _write(settings, rel, text):
    (settings.content_dir / rel).write_text(text, encoding="utf-8")


def test_failed_build_leaves_previous_site_in_service(built_settings, tmp_path):
    from conftest import BufferedClient

    app = create_app(built_settings)
    app.test_client_class = BufferedClient
    client = app.test_client()
    first = current_generation(built_settings.var_dir)
    assert "première version" not in client.get("/guides/guide/").get_data(as_text=True)

    _write(built_settings, "guides/guide.md",
           page("Guide", f"# Guide\n\n## Étapes\n\nLa première version.\n\n{FILLER}\n\n## Pièges\n\nAucun."))
    build(built_settings)
    assert "première version" in client.get("/guides/guide/").get_data(as_text=True)
    served = current_generation(built_settings.var_dir)
    assert served != first

    _write(built_settings, "guides/guide.md",
           page("Guide", f"# Guide\n\n## Étapes\n\nLa seconde version.\n\n{FILLER}\n\n## Pièges\n\nAucun."))
    _write(built_settings, "index.md", "pas de front matter\n")
    with pytest.raises(BuildError) as failure:
        build(built_settings)
    assert [str(p) for p in failure.value.problems] == [
        "content/index.md:1: front matter manquant : la page doit commencer par « --- » et un bloc YAML"
    ]
    assert current_generation(built_settings.var_dir) == served
    body = client.get("/guides/guide/").get_data(as_text=True)
    assert "première version" in body and "seconde version" not in body
    assert (built_settings.root / "site" / "guides" / "guide" / "index.html").read_text().count(
        "première version"
    ) == 1


def test_build_cli_reports_failure_in_french(built_settings):
    from click.testing import CliRunner

    from portal.cli import main

    _write(built_settings, "guides/guide.md", page("Guide", "Texte", type="article"))
    env = {"PORTAL_ROOT": str(built_settings.root)}
    result = CliRunner().invoke(main, ["build"], env=env)
    assert result.exit_code == 1
    assert "content/guides/guide.md:4: type inconnu « article »" in result.output
    assert "Le site précédent reste en service." in result.output


def test_pages_show_owner_and_review_dates(client):
    body = client.get("/guides/guide/").get_data(as_text=True)
    assert "Responsable :" in body and "Pôle méthodes et standards" in body
    assert "Dernière revue : 1er\u00a0octobre 2026" in body
    assert "Prochaine revue : 1er\u00a0octobre 2027" in body


def test_health_reports_database_and_counts(client):
    response = client.get("/api/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert isinstance(body["documents"], int) and isinstance(body["quizzes"], int)


def test_unknown_page_is_a_french_404_in_the_site_look(client):
    response = client.get("/pas/de/page/")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "Page introuvable" in body and 'lang="fr"' in body
    assert "md-header" in body and "portal-search" in body


def test_unknown_api_route_is_json_404(client):
    response = client.get("/api/inexistant")
    assert response.status_code == 404
    assert response.get_json() == {"error": "Page introuvable."}


def test_missing_build_says_to_run_build(site_settings, database_url):
    site_settings.database_url = database_url
    from conftest import BufferedClient

    application = create_app(site_settings)
    application.test_client_class = BufferedClient
    client = application.test_client()
    response = client.get("/")
    assert response.status_code == 503
    body = response.get_data(as_text=True)
    assert "pmo-portal build" in body and "Traceback" not in body


def test_static_files_have_types_caching_and_compression(client):
    css = client.get("/assets/portal/portal.css", headers={"Accept-Encoding": "gzip"})
    assert css.status_code == 200
    assert css.headers["Content-Type"].startswith("text/css")
    assert css.headers["Content-Encoding"] == "gzip"
    assert b".portal-search" in gzip.decompress(css.data)
    assert "max-age=" in css.headers["Cache-Control"]
    html = client.get("/")
    assert html.headers["Content-Type"].startswith("text/html")
    assert html.headers["Cache-Control"] == "no-cache"
    bundle = next(
        (p for p in (html.get_data(as_text=True).split('"')) if "bundle." in p and p.endswith(".js")),
        None,
    )
    assert bundle is not None
    hashed = client.get("/" + bundle.lstrip("./"))
    assert "immutable" in hashed.headers["Cache-Control"]


def test_secret_key_is_generated_once_into_var(site_settings):
    site_settings.secret_key = ""
    first = site_settings.resolved_secret_key()
    assert (site_settings.var_dir / "secret_key").read_text().strip() == first
    assert site_settings.resolved_secret_key() == first
    assert len(first) >= 40


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    from portal.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_migrations_create_the_schema(database_url):
    engine = sa.create_engine(database_url)
    tables = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    assert {"users", "search_queries", "alembic_version"} <= tables
