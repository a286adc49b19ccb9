"""The `pmo-portal` command: check, build, serve, db, users, export."""

from __future__ import annotations

import sys

import click

from portal.config import Settings


@click.group(help="Portail de la communauté PMO : contenu, recherche, formation.")
@click.pass_context
def main(ctx: click.Context) -> None:
    ctx.obj = Settings()


def _print_problems(problems) -> None:
    for problem in problems:
        click.echo(str(problem), err=not problem.warning)


@main.command(help="Vérifie le contenu, les quiz et les parcours (path:line: message).")
@click.pass_obj
def check(settings: Settings) -> None:
    from portal.build.pipeline import check_content
    from portal.catalog.problems import errors

    problems = check_content(settings)
    _print_problems(problems)
    errs = errors(problems)
    warnings = len(problems) - len(errs)
    if errs:
        click.echo(f"{len(errs)} erreur(s), {warnings} avertissement(s).", err=True)
        sys.exit(1)
    click.echo(f"Contenu valide ({warnings} avertissement(s)).")


@main.command(help="Vérifie puis construit le site et l'index, mis en service d'un coup.")
@click.pass_obj
def build(settings: Settings) -> None:
    from portal.build.pipeline import BuildError
    from portal.build.pipeline import build as run_build

    try:
        result = run_build(settings)
    except BuildError as exc:
        _print_problems(exc.problems)
        click.echo(f"Échec : {exc}. Le site précédent reste en service.", err=True)
        sys.exit(1)
    _print_problems(result.problems)
    click.echo(f"Site construit et mis en service ({result.documents} documents indexés).")


@main.command(help="Applique les migrations puis sert le portail (serveur WSGI de production).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Processus gunicorn (2 par cœur au plus).")
@click.option("--threads", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Fils par processus.")
@click.pass_obj
def serve(settings: Settings, host: str, port: int, workers: int, threads: int) -> None:
    from portal.migrations import upgrade
    from portal.server import run_server

    upgrade(settings.database_url)
    run_server(settings, host=host, port=port, workers=workers, threads=threads)


@main.group(help="Base de données.")
def db() -> None:
    pass


@db.command("upgrade", help="Applique les migrations Alembic.")
@click.pass_obj
def db_upgrade(settings: Settings) -> None:
    from portal.migrations import upgrade

    upgrade(settings.database_url)
    click.echo("Base de données à jour.")


@main.group(help="Comptes.")
def users() -> None:
    pass


@users.command("create", help="Crée un compte ; le mot de passe est lu sur l'entrée standard.")
@click.argument("email")
@click.option("--name", required=True, help="Nom affiché.")
@click.option("--role", type=click.Choice(["learner", "pmo"]), default="learner", show_default=True)
@click.option("--team", default=None, help="Équipe (facultatif).")
@click.pass_obj
def users_create(settings: Settings, email: str, name: str, role: str, team: str | None) -> None:
    from portal.accounts.service import AccountError, create_user
    from portal.db import make_engine, session_scope
    from portal.migrations import upgrade

    if sys.stdin.isatty():
        password = click.prompt("Mot de passe", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            user = create_user(session, email, name, password, role=role, team=team)
            click.echo(f"Compte créé : {user.email} ({user.role}).")
    except AccountError as exc:
        click.echo(f"Erreur : {exc}", err=True)
        sys.exit(1)
    finally:
        engine.dispose()


@main.command(help="Exporte les traces d'apprentissage (xAPI 1.0.3 ou CSV).")
@click.option("--format", "fmt", type=click.Choice(["xapi", "csv"]), default="xapi", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default="-",
              help="Fichier de sortie (défaut : sortie standard).")
@click.option("--site-url", default=None, help="Adresse du site pour les identifiants d'activités.")
@click.pass_obj
def export(settings: Settings, fmt: str, output: str, site_url: str | None) -> None:
    import os

    from portal.build.generations import current_generation
    from portal.db import make_engine, session_scope
    from portal.learning.item_stats import catch_up_item_stats
    from portal.learning.quizzes import load_catalog
    from portal.reports.export import statements, write_csv, write_xapi

    generation = current_generation(settings.var_dir)
    if generation is None:
        click.echo("Erreur : aucun site construit ; lancez d'abord « pmo-portal build ».", err=True)
        sys.exit(1)
    catalog = load_catalog(generation)
    url = site_url or os.environ.get("PORTAL_SITE_URL", "http://127.0.0.1:8000/")
    engine = make_engine(settings.database_url)
    writer = write_xapi if fmt == "xapi" else write_csv
    try:
        # The answers of the attempts recorded since the last report are copied from their
        # results first, in a short transaction of their own (not one as long as the export).
        with engine.begin() as conn:
            catch_up_item_stats(conn)
        with session_scope(engine) as session, click.open_file(output, "w", encoding="utf-8") as out:
            count = writer(out, statements(session, catalog, url))
    finally:
        engine.dispose()
    click.echo(f"{count} traces exportées.", err=True)


@main.command(help="Sauvegarde cohérente des comptes et des traces d'apprentissage.")
@click.argument("fichier", type=click.Path(dir_okay=False, writable=True))
@click.pass_obj
def backup(settings: Settings, fichier: str) -> None:
    from portal.backup import dump
    from portal.db import make_engine

    engine = make_engine(settings.database_url)
    try:
        with click.open_file(fichier, "w", encoding="utf-8", atomic=fichier != "-") as out:
            counts = dump(engine, out)
    finally:
        engine.dispose()
    click.echo(f"Sauvegarde écrite : {sum(counts.values())} lignes ({_summary(counts)}).", err=True)


@main.command(help="Restaure une sauvegarde dans une base neuve (SQLite ou PostgreSQL).")
@click.argument("fichier", type=click.Path(exists=True, dir_okay=False))
@click.pass_obj
def restore(settings: Settings, fichier: str) -> None:
    from portal.backup import BackupError, load
    from portal.db import make_engine
    from portal.migrations import upgrade

    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with open(fichier, encoding="utf-8") as source:
            counts = load(engine, source)
    except BackupError as exc:
        click.echo(f"Erreur : {fichier} : {exc}. Rien n'a été restauré.", err=True)
        sys.exit(1)
    finally:
        engine.dispose()
    click.echo(f"Restauration terminée : {sum(counts.values())} lignes ({_summary(counts)}).", err=True)


@main.command("item-stats", help="Ajoute aux sommes de l'analyse des questions les tentatives "
              "en attente (les rapports le font à leur lecture) ; --rebuild les recalcule toutes.")
@click.option("--rebuild", is_flag=True, help="Recalcule les sommes depuis toutes les réponses.")
@click.pass_obj
def item_stats(settings: Settings, rebuild: bool) -> None:
    from portal.db import make_engine
    from portal.learning.item_stats import catch_up_item_stats, queued_attempts, rebuild_item_stats
    from portal.migrations import upgrade

    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with engine.begin() as conn:  # one transaction: the reports see all of it or none
            waiting = queued_attempts(conn)
            if rebuild:
                rebuild_item_stats(conn)
            catch_up_item_stats(conn)
    finally:
        engine.dispose()
    done = "recalculées" if rebuild else "à jour"
    click.echo(f"Sommes de l'analyse des questions {done} ({waiting} tentative(s) en attente "
               "ajoutée(s)).", err=True)


def _summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {n}" for name, n in counts.items() if n)


if __name__ == "__main__":  # pragma: no cover
    main()
