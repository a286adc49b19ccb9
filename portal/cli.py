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
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.pass_obj
def serve(settings: Settings, host: str, port: int, workers: int) -> None:
    from portal.migrations import upgrade
    from portal.server import run_server

    upgrade(settings.database_url)
    run_server(settings, host=host, port=port, workers=workers)


@main.group(help="Base de données.")
def db() -> None:
    pass


@db.command("upgrade", help="Applique les migrations Alembic.")
@click.pass_obj
def db_upgrade(settings: Settings) -> None:
    from portal.migrations import upgrade

    upgrade(settings.database_url)
    click.echo("Base de données à jour.")


if __name__ == "__main__":  # pragma: no cover
    main()
