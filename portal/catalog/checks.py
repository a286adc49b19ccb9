"""Content checks run by `pmo-portal check`: one `Problem` per defect found."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
from pathlib import Path

from .links import check_links, check_target
from .problems import Problem
from .site import SNIPPETS_DIR, Site

MIN_WORDS = 150
TEMPLATE_HEADINGS = [
    "À quoi sert ce modèle",
    "Quand le remplir",
    "Comment le remplir",
    "Le modèle",
]
_H2_RE = re.compile(r"^##\s+(.+?)\s*(?:\{[^}]*\})?\s*#*\s*$")
_ABBR_RE = re.compile(r"^\*\[([^\]]+)\]:")
_TAG_RE = re.compile(r"<[^>]+>")
_AUDIO_RE = re.compile(r"^(https?://\S+|[A-Za-z0-9_./-]+\.(mp3|m4a|ogg|oga|opus|wav))$")


def run_checks(site: Site, today: dt.date | None = None) -> list[Problem]:
    """Every problem of the site's content, sorted by file and line."""
    today = today or dt.date.today()
    problems = list(site.problems)
    problems += check_nav(site)
    problems += check_links(site)
    problems += check_meta(site, today)
    problems += check_template_headings(site)
    problems += check_abbreviations(site)
    problems += check_podcast_and_talents(site)
    return sorted(set(problems))


def check_nav(site: Site) -> list[Problem]:
    problems = []
    in_nav = set(site.nav_paths)
    for src in sorted(site.markdown_files - in_nav):
        problems.append(
            Problem(f"content/{src}", 1, "page absente de la navigation : ajoutez-la à « nav » dans mkdocs.yml")
        )
    config_lines = (site.root / "mkdocs.yml").read_text(encoding="utf-8").splitlines()
    for src in site.nav_paths:
        if src not in site.markdown_files:
            line = next((i + 1 for i, text in enumerate(config_lines) if src in text), 1)
            problems.append(
                Problem("mkdocs.yml", line, f"la navigation cite une page introuvable : « {src} »")
            )
    return problems


def _owners(site: Site) -> set[str]:
    return set(site.extra.get("teams", {}) or {}) | set(site.talents())


def check_meta(site: Site, today: dt.date) -> list[Problem]:
    problems = []
    allowed_tags = set((site.extra.get("tags") or {}).keys())
    owners = _owners(site)
    for page in site.valid_pages():
        meta = page.meta
        for tag in meta.get("tags", []) or []:
            if tag not in allowed_tags:
                problems.append(
                    Problem(
                        page.display_path,
                        page.front.line_of("tags"),
                        f"étiquette inconnue « {tag} » : ajoutez-la à extra.tags dans mkdocs.yml "
                        "ou choisissez une étiquette existante",
                    )
                )
        owner = meta.get("owner")
        if owner is not None and owner not in owners:
            problems.append(
                Problem(
                    page.display_path,
                    page.front.line_of("owner"),
                    f"propriétaire inconnu « {owner} » : ni une équipe de extra.teams "
                    "ni l'identifiant d'un talent",
                )
            )
        due = page.next_review()
        if page.type in {"guide", "template"} and due is not None and due < today:
            problems.append(
                Problem(
                    page.display_path,
                    page.front.line_of("reviewed"),
                    f"page à revoir : dernière revue le {meta['reviewed']}, "
                    f"revue attendue avant le {due.isoformat()}",
                    warning=True,
                )
            )
        text = html_lib.unescape(_TAG_RE.sub(" ", page.html))
        words = len(re.findall(r"\w+", text))
        if words < MIN_WORDS and page.type not in {"podcast", "talent"}:
            problems.append(
                Problem(
                    page.display_path,
                    page.front.body_line,
                    f"page trop courte : {words} mots de texte (au moins {MIN_WORDS} attendus)",
                    warning=True,
                )
            )
    return problems


def h2_headings(body: str) -> list[str]:
    headings, fenced = [], False
    for line in body.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        match = None if fenced else _H2_RE.match(line)
        if match:
            headings.append(match.group(1).strip())
    return headings


def check_template_headings(site: Site) -> list[Problem]:
    problems = []
    for page in site.valid_pages():
        if page.type != "template":
            continue
        present = {h.replace("’", "'") for h in h2_headings(page.front.body)}
        for heading in TEMPLATE_HEADINGS:
            if heading not in present:
                problems.append(
                    Problem(
                        page.display_path,
                        page.front.body_line,
                        f"section obligatoire absente d'un modèle : « ## {heading} »",
                    )
                )
    return problems


def check_abbreviations(site: Site) -> list[Problem]:
    problems = []
    seen: dict[str, str] = {}
    sources: list[tuple[str, Path]] = []
    snippets = site.content_dir / SNIPPETS_DIR
    if snippets.is_dir():
        sources += [(f"content/{SNIPPETS_DIR}/{f.name}", f) for f in sorted(snippets.glob("*.md"))]
    sources += [(p.display_path, p.file) for p in site.pages.values()]
    for display, file in sources:
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
            match = _ABBR_RE.match(line)
            if not match:
                continue
            abbr = match.group(1)
            if abbr in seen:
                problems.append(
                    Problem(display, number, f"abréviation « {abbr} » déjà définie ({seen[abbr]})")
                )
            else:
                seen[abbr] = f"{display}:{number}"
    return problems


def check_podcast_and_talents(site: Site) -> list[Problem]:
    problems = []
    talent_ids: dict[str, str] = {}
    for page in sorted(site.valid_pages(), key=lambda p: p.src_path):
        if page.type != "talent":
            continue
        talent_id = str(page.meta["id"])
        if talent_id in talent_ids:
            problems.append(
                Problem(
                    page.display_path,
                    page.front.line_of("id"),
                    f"identifiant de talent « {talent_id} » déjà utilisé par {talent_ids[talent_id]}",
                )
            )
        else:
            talent_ids[talent_id] = page.display_path
    numbers: dict[int, str] = {}
    for page in sorted(site.episodes(), key=lambda p: p.src_path):
        meta = page.meta
        number = meta["episode"]
        if number in numbers:
            problems.append(
                Problem(
                    page.display_path,
                    page.front.line_of("episode"),
                    f"numéro d'épisode {number} déjà utilisé par {numbers[number]}",
                )
            )
        else:
            numbers[number] = page.display_path
        for guest in meta.get("guests", []):
            if guest not in talent_ids:
                problems.append(
                    Problem(
                        page.display_path,
                        page.front.line_of("guests"),
                        f"invité inconnu « {guest} » : aucune page talent n'a cet identifiant",
                    )
                )
        audio = str(meta["audio"])
        if not _AUDIO_RE.match(audio) or ".." in audio:
            problems.append(
                Problem(
                    page.display_path,
                    page.front.line_of("audio"),
                    f"audio invalide « {audio} » : une URL http(s) ou un chemin du dépôt "
                    "sous content/ (.mp3, .m4a, .ogg, .opus, .wav) est attendu",
                )
            )
        elif not audio.startswith("http") and audio not in site.other_files:
            problems.append(
                Problem(
                    page.display_path,
                    page.front.line_of("audio"),
                    f"fichier audio introuvable : « content/{audio} »",
                )
            )
        for guide in meta.get("guides", []):
            message = check_target(site, "index.md", guide)
            if message:
                problems.append(Problem(page.display_path, page.front.line_of("guides"), message))
        duration = meta["duration"]
        for chapter in meta.get("chapters", []):
            if chapter["time"] > duration:
                problems.append(
                    Problem(
                        page.display_path,
                        page.front.line_of("chapters"),
                        f"chapitre « {chapter['title']} » à {chapter['time']}, "
                        f"après la fin de l'épisode ({duration})",
                    )
                )
    return problems
