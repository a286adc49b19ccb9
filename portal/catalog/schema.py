"""The front-matter schema of a content page, and its French error messages."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from jsonschema import Draft202012Validator

PAGE_TYPES = ["guide", "template", "glossary", "podcast", "talent", "hub"]
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
DURATION_PATTERN = r"^\d{2}:[0-5]\d:[0-5]\d$"
SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"

_string_list = {"type": "array", "items": {"type": "string", "minLength": 1}}

PAGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["title", "description", "type"],
    "properties": {
        "title": {"type": "string", "minLength": 1},
        "description": {"type": "string", "minLength": 1},
        "type": {"enum": PAGE_TYPES},
        "owner": {"type": "string", "minLength": 1},
        "reviewed": {"type": "string", "pattern": DATE_PATTERN},
        "review_every": {"type": "integer", "minimum": 1, "maximum": 60},
        "tags": _string_list,
        "audience": {"anyOf": [{"type": "string"}, _string_list]},
        "example": {"type": "boolean"},
        "hide": _string_list,
        "search": {
            "type": "object",
            "properties": {"exclude": {"type": "boolean"}},
            "additionalProperties": False,
        },
        "template": {"type": "string"},
        # podcast episodes
        "episode": {"type": "integer", "minimum": 1},
        "date": {"type": "string", "pattern": DATE_PATTERN},
        "duration": {"type": "string", "pattern": DURATION_PATTERN},
        "audio": {"type": "string", "minLength": 1},
        "guests": _string_list,
        "guides": _string_list,
        "chapters": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["time", "title"],
                "properties": {
                    "time": {"type": "string", "pattern": DURATION_PATTERN},
                    "title": {"type": "string", "minLength": 1},
                },
                "additionalProperties": False,
            },
        },
        # talents
        "id": {"type": "string", "pattern": SLUG_PATTERN},
        "role": {"type": "string", "minLength": 1},
        "expertise": _string_list,
        "certifications": _string_list,
    },
    "additionalProperties": False,
    "allOf": [
        {
            "if": {"properties": {"type": {"enum": ["guide", "template"]}}},
            "then": {"required": ["owner", "reviewed"]},
        },
        {
            "if": {"properties": {"type": {"const": "podcast"}}},
            "then": {"required": ["episode", "date", "duration", "audio", "guests"]},
        },
        {
            "if": {"properties": {"type": {"const": "talent"}}},
            "then": {"required": ["id", "role", "expertise"]},
        },
    ],
}

_validator = Draft202012Validator(PAGE_SCHEMA)

_TYPE_NAMES = {
    "string": "un texte",
    "integer": "un nombre entier",
    "boolean": "true ou false",
    "array": "une liste",
    "object": "un dictionnaire",
}

_FORMAT_HINTS = {
    DATE_PATTERN: "une date au format AAAA-MM-JJ",
    DURATION_PATTERN: "une durée au format HH:MM:SS",
    SLUG_PATTERN: "un identifiant en minuscules sans accents, mots séparés par « - »",
}


def _field_name(path: list[Any]) -> str:
    return ".".join(str(p) for p in path) if path else "front matter"


def french_message(error) -> tuple[str | None, str]:
    """(top-level key concerned, French message) for a jsonschema error."""
    path = list(error.absolute_path)
    key = str(path[0]) if path else None
    name = _field_name(path)
    validator = error.validator
    if validator == "required":
        missing = re.search(r"'([^']+)'", error.message)
        field = missing.group(1) if missing else "?"
        return None, f"clé obligatoire manquante : « {field} »"
    if validator == "additionalProperties":
        extra = re.findall(r"'([^']+)'", error.message)
        return (extra[0] if extra else None), (
            f"clé inconnue : « {', '.join(extra)} » (voir le schéma dans CONTRIBUTING.md)"
        )
    if validator == "enum" and path and path[-1] == "type":
        return key, (
            f"type inconnu « {error.instance} » : valeurs admises "
            f"{', '.join(str(v) for v in error.validator_value)}"
        )
    if validator == "enum":
        return key, f"« {name} » : valeur « {error.instance} » non admise"
    if validator == "type":
        expected = _TYPE_NAMES.get(str(error.validator_value), str(error.validator_value))
        return key, f"« {name} » doit être {expected}, pas « {error.instance} »"
    if validator == "pattern":
        hint = _FORMAT_HINTS.get(error.validator_value, f"conforme à {error.validator_value}")
        return key, f"« {name} » doit être {hint}, pas « {error.instance} »"
    if validator == "minLength":
        return key, f"« {name} » ne doit pas être vide"
    if validator in {"minItems", "maxItems"}:
        return key, f"« {name} » : {len(error.instance)} élément(s), hors des limites admises"
    if validator in {"minimum", "maximum"}:
        return key, f"« {name} » hors limites : {error.instance}"
    if validator == "anyOf":
        return key, f"« {name} » doit être un texte ou une liste de textes"
    return key, f"« {name} » invalide : {error.message}"


def validate_front_matter(data: dict[str, Any]) -> list[tuple[str | None, str]]:
    """Return (key, message) pairs, one per problem, most relevant first."""
    problems: list[tuple[str | None, str]] = []
    for error in sorted(_validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        problems.append(french_message(error))
    for key in ("reviewed", "date"):
        value = data.get(key)
        if isinstance(value, str) and re.match(DATE_PATTERN, value):
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                problems.append((key, f"« {key} » n'est pas une date valide : « {value} »"))
    return problems


def parse_date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None
