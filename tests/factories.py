"""Builders of test data: small content trees that use the real theme and plugin."""

from __future__ import annotations

import textwrap
from pathlib import Path

import sqlalchemy as sa

from portal.config import PROJECT_ROOT, Settings

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def page(title: str, body: str, **meta) -> str:
    """A Markdown page with front matter; `body` is dedented."""
    lines = ["---", f"title: {title}", f"description: Description de {title.lower()}."]
    meta.setdefault("type", "guide")
    if meta["type"] in {"guide", "template"}:
        meta.setdefault("owner", "pmo-methodes")
        meta.setdefault("reviewed", "2026-10-01")
    for key, value in meta.items():
        lines.append(f"{key}: {value}")
    lines.append("---")
    return "\n".join(lines) + "\n\n" + textwrap.dedent(body).strip() + "\n"


FILLER = (
    "Ce paragraphe décrit la pratique attendue avec assez de mots pour que la page "
    "ne soit pas signalée comme trop courte par la vérification du contenu. "
) * 12


def default_pages() -> dict[str, str]:
    return {
        "index.md": page("Accueil", f"# Accueil\n\n{FILLER}\n\nVoir [le guide](guides/guide.md#etapes).", type="hub"),
        "guides/guide.md": page("Guide", f"# Guide\n\n## Étapes\n\n{FILLER}\n\n## Pièges\n\n{FILLER}"),
    }


def real_config_without_nav() -> str:
    text = (PROJECT_ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    text = text[: text.index("\nnav:")]
    return text.replace("custom_dir: overrides", f"custom_dir: {PROJECT_ROOT / 'overrides'}")


def make_site(
    root: Path,
    pages: dict[str, str] | None = None,
    nav: list[str] | None = None,
    quizzes: bool = False,
) -> Settings:
    """Write a content tree under `root` with the real mkdocs.yml minus its nav;
    with `quizzes`, the quiz and path fixtures too."""
    pages = default_pages() if pages is None else pages
    if quizzes:
        import shutil

        shutil.copytree(FIXTURES / "quizzes", root / "quizzes", dirs_exist_ok=True)
    content = root / "content"
    for rel, text in pages.items():
        path = content / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (content / "_snippets").mkdir(parents=True, exist_ok=True)
    snippets = content / "_snippets" / "abreviations.md"
    if not snippets.exists():
        snippets.write_text("*[COPIL]: Comité de pilotage\n", encoding="utf-8")
    nav = nav if nav is not None else [p for p in pages if p.endswith(".md")]
    config = real_config_without_nav() + "\nnav:\n" + "".join(f"  - {p}\n" for p in nav)
    (root / "mkdocs.yml").write_text(config, encoding="utf-8")
    return Settings(
        root=root,
        var_dir=root / "var",
        site_dir=root / "site",
        database_url=f"sqlite:///{root / 'var' / 'portal.db'}",
        secret_key="test-secret",
        testing=True,
    )


def add_fixture(settings: Settings, fixture: str, rel: str) -> None:
    """Copy tests/fixtures/<fixture> into content/<rel> and add it to the nav."""
    target = settings.content_dir / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text((FIXTURES / fixture).read_text(encoding="utf-8"), encoding="utf-8")
    config = settings.mkdocs_file.read_text(encoding="utf-8")
    settings.mkdocs_file.write_text(config + f"  - {rel}\n", encoding="utf-8")


ANSWERS_ALL_RIGHT = {
    "unique": ["a"],
    "plusieurs": ["a", "b"],
    "vrai-faux": ["true"],
    "ordre": ["a", "b", "c"],
    "nombre": 0.8,
}
ANSWERS_ALL_WRONG = {
    "unique": ["b"],
    "plusieurs": ["c"],
    "vrai-faux": ["false"],
    "ordre": ["c", "a", "b"],
    "nombre": 12,
}


def count(app, table: str) -> int:
    with app.extensions["portal.engine"].connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()


def caught_up(app) -> None:
    """The item analysis brought up to date, as a report does before reading: the
    answers of the attempts recorded since are then in `answers`."""
    from portal.learning.item_stats import catch_up_item_stats

    with app.extensions["portal.engine"].begin() as conn:
        catch_up_item_stats(conn)


def user_id_of(app, email: str) -> int:
    with app.extensions["portal.engine"].connect() as conn:
        return conn.execute(sa.text("SELECT id FROM users WHERE email = :e"), {"e": email}).scalar_one()
