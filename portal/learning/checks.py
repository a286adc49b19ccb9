"""Validation of quiz and path files, as `path:line: message` problems.

`read_learning` returns the catalogue too, so the build writes exactly what it checked.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from pathlib import Path

from portal.catalog.frontmatter import FrontMatterError, line_for, load_yaml_file
from portal.catalog.links import check_target
from portal.catalog.problems import Problem
from portal.catalog.schema import french_message
from portal.catalog.site import Site
from portal.config import Settings

from .quizzes import Catalog, Path_, Quiz, page_url, path_validator, quiz_validator


def _load(file: Path, display: str, validator, problems: list[Problem]):
    try:
        data, lines = load_yaml_file(file.read_text(encoding="utf-8"))
    except FrontMatterError as exc:
        problems.append(Problem(display, exc.line, exc.message))
        return None, {}
    if not isinstance(data, dict):
        problems.append(Problem(display, 1, "le fichier doit décrire un dictionnaire YAML"))
        return None, lines
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    for error in errors:
        _key, message = french_message(error)
        problems.append(Problem(display, line_for(lines, tuple(error.absolute_path)), message))
    return (None if errors else data), lines


def _check_reference(site: Site, target: str) -> str | None:
    return check_target(site, "index.md", target)


def _check_quiz(data: dict, lines: dict, display: str, site: Site) -> list[Problem]:
    problems = []
    counts = Counter(q["id"] for q in data["questions"])
    for index, question in enumerate(data["questions"]):
        where = ("questions", index)
        qid = question["id"]
        if counts[qid] > 1:
            problems.append(Problem(display, line_for(lines, where + ("id",)),
                                    f"identifiant de question « {qid} » en double"))
        kind = question["type"]
        options = question.get("choices") or question.get("items") or []
        option_counts = Counter(o["id"] for o in options)
        for dup in sorted(k for k, n in option_counts.items() if n > 1):
            problems.append(Problem(display, line_for(lines, where),
                                    f"question « {qid} » : choix « {dup} » en double"))
        correct = [c for c in question.get("choices", []) if c.get("correct")]
        if kind == "single" and len(correct) != 1:
            message = ("aucun choix correct" if not correct
                       else f"{len(correct)} choix corrects (un seul attendu)")
            problems.append(Problem(display, line_for(lines, where + ("choices",)),
                                    f"question à choix unique « {qid} » : {message}"))
        if kind == "multiple" and not correct:
            problems.append(Problem(display, line_for(lines, where + ("choices",)),
                                    f"question à choix multiples « {qid} » : aucun choix correct"))
        if kind in {"single", "multiple"} and "items" in question:
            problems.append(Problem(display, line_for(lines, where + ("items",)),
                                    f"question « {qid} » : « items » est réservé aux questions d'ordre"))
        message = _check_reference(site, question["reference"])
        if message:
            problems.append(Problem(display, line_for(lines, where + ("reference",)), message))
    for index, page in enumerate(data.get("pages", [])):
        message = _check_reference(site, page)
        if message:
            problems.append(Problem(display, line_for(lines, ("pages", index)), message))
    return problems


def _check_path(data: dict, lines: dict, display: str, site: Site, quizzes: set[str]) -> list[Problem]:
    problems = []
    for index, step in enumerate(data["steps"]):
        kind, ref = next(iter(step.items()))
        line = line_for(lines, ("steps", index, kind))
        if kind == "quiz":
            if ref not in quizzes:
                problems.append(Problem(display, line, f"étape : quiz introuvable « {ref} »"))
            continue
        message = _check_reference(site, ref)
        if message:
            problems.append(Problem(display, line, f"étape : {message}"))
        elif kind == "listen" and (site.pages.get(ref) is None or site.pages[ref].type != "podcast"):
            problems.append(Problem(display, line,
                                    f"étape « listen » : « {ref} » n'est pas un épisode du podcast"))
    return problems


def _files(folder: Path, validator, settings: Settings, problems: list[Problem]):
    """(display path, data, lines) of each valid YAML file whose id is its file name."""
    for file in sorted(folder.glob("*.yml")) if folder.is_dir() else []:
        display = file.relative_to(settings.root).as_posix()
        data, lines = _load(file, display, validator, problems)
        if data is None:
            continue
        # The id is the file name, so two files can never share one.
        if data["id"] != file.stem:
            problems.append(Problem(display, line_for(lines, ("id",)),
                                    f"l'identifiant « {data['id']} » doit être le nom du fichier « {file.stem} »"))
            continue
        yield display, data, lines


def read_learning(settings: Settings, site: Site) -> tuple[Catalog, list[Problem]]:
    problems: list[Problem] = []
    catalog = Catalog(titles=page_titles(site), pages=page_records(site))
    quiz_ids: set[str] = set()  # every quiz file read, even one with problems of its own
    for display, data, lines in _files(settings.quizzes_dir, quiz_validator, settings, problems):
        quiz_ids.add(data["id"])
        quiz_problems = _check_quiz(data, lines, display, site)
        problems += quiz_problems
        if not quiz_problems:
            catalog.quizzes[data["id"]] = Quiz(data)
    for display, data, lines in _files(settings.quizzes_dir / "paths", path_validator, settings, problems):
        path_problems = _check_path(data, lines, display, site, quiz_ids)
        problems += path_problems
        if not path_problems:
            catalog.paths[data["id"]] = Path_(data)
    return catalog, problems


_HEADING = re.compile(r'<h([23]) id="([^"]+)"[^>]*>(.*?)</h\1>', re.S)
_TAG = re.compile(r"<[^>]+>")


def page_titles(site: Site) -> dict[str, str]:
    """Site path → page title, and `path#anchor` → « page › section » for h2/h3 sections."""
    titles: dict[str, str] = {}
    for page in site.valid_pages():
        url = "/" + page.url
        titles[url] = page.title
        for _level, anchor, inner in _HEADING.findall(page.html):
            text = html.unescape(_TAG.sub("", inner)).replace("¶", "").strip()
            titles[f"{url}#{anchor}"] = f"{page.title} › {text}"
    return titles


def page_records(site: Site) -> list[dict]:
    """Guides and templates with owner and review dates, for the PMO's reports."""
    from portal.build.page_meta import owner_name

    records = []
    for page in sorted(site.valid_pages(), key=lambda p: p.src_path):
        if page.type not in {"guide", "template"}:
            continue
        due = page.next_review()
        owner = str(page.meta.get("owner", ""))
        records.append({
            "url": "/" + page.url, "src": page.display_path, "title": page.title,
            "type": page.type, "owner": owner, "owner_name": owner_name(site, owner)[0],
            "reviewed": page.meta.get("reviewed"), "next_review": due.isoformat() if due else None,
        })
    return records


def check_learning(settings: Settings, site: Site) -> list[Problem]:
    return read_learning(settings, site)[1]


__all__ = ["check_learning", "read_learning", "page_url", "Quiz"]
