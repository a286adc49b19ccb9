"""Splitting a Markdown file into YAML front matter and body, keeping line numbers.

Dates are kept as strings so that the schema, not the YAML loader, says what is
wrong with `reviewed: 2026-02-30`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml


class FrontMatterError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class _StringDatesLoader(yaml.SafeLoader):
    """SafeLoader that leaves timestamps as plain strings."""


_StringDatesLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass
class FrontMatter:
    data: dict[str, Any]
    key_lines: dict[str, int] = field(default_factory=dict)
    body: str = ""
    body_line: int = 1  # line number of the body's first line in the file

    def line_of(self, key: str | None) -> int:
        """The line of `key`, else the opening `---`."""
        if key is None:
            return 1
        return self.key_lines.get(key, 1)


def load_yaml_with_lines(text: str, first_line: int = 1) -> tuple[Any, dict[str, int]]:
    """Parse YAML; return the data and the line of each top-level key.

    `first_line` is the file line of the text's first line. Raises FrontMatterError.
    """
    try:
        node = yaml.compose(text, Loader=_StringDatesLoader)
        data = yaml.load(text, Loader=_StringDatesLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark else 0)
        problem = (exc.problem or "syntaxe incorrecte").strip()
        return_msg = f"YAML invalide : {_french_yaml_problem(problem)}"
        raise FrontMatterError(line, return_msg) from exc
    except yaml.YAMLError as exc:
        raise FrontMatterError(first_line, f"YAML invalide : {exc}") from exc
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, _value in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                lines[str(key_node.value)] = first_line + key_node.start_mark.line
    return data, lines


def _french_yaml_problem(problem: str) -> str:
    known = {
        "mapping values are not allowed here": "« : » inattendu (mettez la valeur entre guillemets)",
        "could not find expected ':'": "« : » attendu après la clé",
        "found character '\\t' that cannot start any token": "tabulation interdite en YAML",
        "expected <block end>, but found '<block sequence start>'": "indentation incohérente",
        "found unexpected end of stream": "fin de texte inattendue (guillemet non fermé ?)",
        "expected ',' or ']'": "liste ou dictionnaire entre crochets non fermé",
        "expected ',' or '}'": "liste ou dictionnaire entre accolades non fermé",
    }
    for english, french in known.items():
        if problem.startswith(english):
            return french
    return problem


def split_front_matter(text: str) -> FrontMatter:
    """Split `text`; raise FrontMatterError when there is no valid front matter."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise FrontMatterError(
            1, "front matter manquant : la page doit commencer par « --- » et un bloc YAML"
        )
    for index in range(1, len(lines)):
        if lines[index].strip() in {"---", "..."}:
            end = index
            break
    else:
        raise FrontMatterError(1, "front matter non fermé : « --- » final introuvable")
    yaml_text = "\n".join(lines[1:end])
    data, key_lines = load_yaml_with_lines(yaml_text, first_line=2)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FrontMatterError(2, "le front matter doit être un dictionnaire de clés YAML")
    body = "\n".join(lines[end + 1 :])
    return FrontMatter(data=data, key_lines=key_lines, body=body, body_line=end + 2)


def yaml_line_map(text: str, first_line: int = 1) -> dict[tuple, int]:
    """Line of every node in a YAML document, keyed by its path (keys and indexes).

    Raises FrontMatterError for invalid YAML.
    """
    try:
        root = yaml.compose(text, Loader=_StringDatesLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise FrontMatterError(
            first_line + (mark.line if mark else 0),
            f"YAML invalide : {_french_yaml_problem((exc.problem or '').strip())}",
        ) from exc
    lines: dict[tuple, int] = {}

    def walk(node, path: tuple) -> None:
        lines[path] = first_line + node.start_mark.line
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                key_path = path + (str(key.value),)
                walk(value, key_path)
                lines[key_path] = first_line + key.start_mark.line
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, path + (index,))

    if root is not None:
        walk(root, ())
    return lines


def line_for(lines: dict[tuple, int], path: tuple) -> int:
    """The line of `path`, or of its closest ancestor present in the map."""
    path = tuple(path)
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)


def load_yaml_file(text: str) -> tuple[object, dict[tuple, int]]:
    """Data and line map of a whole YAML file (dates kept as strings)."""
    lines = yaml_line_map(text)
    return yaml.load(text, Loader=_StringDatesLoader), lines
