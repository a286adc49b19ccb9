"""Quiz and path files: their schema, and the catalogue the portal serves.

The build validates `quizzes/` and writes the catalogue into the generation it
swaps in, so the portal always serves the quizzes that were checked with the
site. Each quiz carries a content hash; attempts record it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

QUESTION_TYPES = ["single", "multiple", "true_false", "ordering", "numeric"]
ID = {"type": "string", "pattern": r"^[a-z0-9]+(-[a-z0-9]+)*$"}
TEXT = {"type": "string", "minLength": 1}
CHOICE = {
    "type": "object",
    "required": ["id", "text"],
    "properties": {
        "id": {"type": "string", "pattern": r"^[a-z0-9-]+$"},
        "text": TEXT,
        "correct": {"type": "boolean"},
        "feedback": TEXT,
    },
    "additionalProperties": False,
}
QUESTION = {
    "type": "object",
    "required": ["id", "type", "prompt", "explanation", "reference"],
    "properties": {
        "id": ID,
        "type": {"enum": QUESTION_TYPES},
        "prompt": TEXT,
        "choices": {"type": "array", "items": CHOICE, "minItems": 2, "maxItems": 8},
        "items": {"type": "array", "items": CHOICE, "minItems": 2, "maxItems": 10},
        "answer": {"type": ["number", "boolean"]},
        "tolerance": {"type": "number", "minimum": 0},
        "unit": {"type": "string"},
        "explanation": TEXT,
        "reference": TEXT,
    },
    "additionalProperties": False,
    "allOf": [
        {"if": {"properties": {"type": {"enum": ["single", "multiple"]}}},
         "then": {"required": ["choices"]}},
        {"if": {"properties": {"type": {"const": "ordering"}}}, "then": {"required": ["items"]}},
        {"if": {"properties": {"type": {"const": "true_false"}}},
         "then": {"required": ["answer"], "properties": {"answer": {"type": "boolean"}}}},
        {"if": {"properties": {"type": {"const": "numeric"}}},
         "then": {"required": ["answer"], "properties": {"answer": {"type": "number"}}}},
    ],
}
QUIZ_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "title", "description", "pass_mark", "questions"],
    "properties": {
        "id": ID,
        "title": TEXT,
        "description": TEXT,
        "pages": {"type": "array", "items": TEXT},
        "pass_mark": {"type": "integer", "minimum": 1, "maximum": 100},
        "max_attempts": {"type": "integer", "minimum": 0},
        "time_limit": {"type": "integer", "minimum": 1, "maximum": 240},
        "shuffle": {"type": "boolean"},
        "partial_credit": {"type": "boolean"},
        "questions": {"type": "array", "items": QUESTION, "minItems": 1},
    },
    "additionalProperties": False,
}
STEP = {
    "type": "object",
    "minProperties": 1,
    "maxProperties": 1,
    "properties": {"read": TEXT, "listen": TEXT, "quiz": TEXT},
    "additionalProperties": False,
}
PATH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "title", "steps"],
    "properties": {
        "id": ID,
        "title": TEXT,
        "description": TEXT,
        "steps": {"type": "array", "items": STEP, "minItems": 1},
    },
    "additionalProperties": False,
}
quiz_validator = Draft202012Validator(QUIZ_SCHEMA)
path_validator = Draft202012Validator(PATH_SCHEMA)


def content_hash(data: dict[str, Any]) -> str:
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@lru_cache(maxsize=4096)  # asked for every question of every attempt graded
def page_url(src_path: str) -> str:
    """Site path of a content page: `pmo/roles.md` → `/pmo/roles/`."""
    from portal.catalog.site import site_url

    return "/" + site_url(src_path)


def reference_url(reference: str) -> str:
    page, _, anchor = reference.partition("#")
    return page_url(page) + (f"#{anchor}" if anchor else "")


@dataclass
class Quiz:
    data: dict[str, Any]
    hash: str = ""
    # What is derived from `data` and asked for on every request (`presentation`, `grading`): it
    # lives as long as this object, that is one catalogue, loaded per build generation.
    derived: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.hash = self.hash or content_hash(self.data)

    @property
    def id(self) -> str:
        return self.data["id"]

    @property
    def title(self) -> str:
        return self.data["title"]

    @property
    def description(self) -> str:
        return self.data["description"]

    @property
    def questions(self) -> list[dict[str, Any]]:
        return self.data["questions"]

    @property
    def pass_mark(self) -> int:
        return int(self.data["pass_mark"])

    @property
    def max_attempts(self) -> int:
        return int(self.data.get("max_attempts", 0))

    @property
    def time_limit(self) -> int | None:
        return self.data.get("time_limit")

    @property
    def shuffle(self) -> bool:
        return bool(self.data.get("shuffle", False))

    @property
    def partial_credit(self) -> bool:
        return bool(self.data.get("partial_credit", False))

    def question(self, question_id: str) -> dict[str, Any] | None:
        return next((q for q in self.questions if q["id"] == question_id), None)


@dataclass
class Path_:
    data: dict[str, Any]

    @property
    def id(self) -> str:
        return self.data["id"]

    @property
    def title(self) -> str:
        return self.data["title"]

    @property
    def description(self) -> str:
        return self.data.get("description", "")

    @property
    def steps(self) -> list[tuple[str, str]]:
        return [next(iter(step.items())) for step in self.data["steps"]]


@dataclass
class Catalog:
    quizzes: dict[str, Quiz] = field(default_factory=dict)
    paths: dict[str, Path_] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)  # site path → page title
    # Guides and templates with their owner and review dates (freshness report).
    pages: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(
            {
                "quizzes": [q.data for q in self.quizzes.values()],
                "paths": [p.data for p in self.paths.values()],
                "titles": self.titles,
                "pages": self.pages,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> Catalog:
        raw = json.loads(text)
        return cls(
            quizzes={q["id"]: Quiz(q) for q in raw["quizzes"]},
            paths={p["id"]: Path_(p) for p in raw["paths"]},
            titles=raw.get("titles", {}),
            pages=raw.get("pages", []),
        )


CATALOG_FILE = "catalog.json"


def load_catalog(generation: Path) -> Catalog:
    path = generation / CATALOG_FILE
    if not path.is_file():
        return Catalog()
    return Catalog.from_json(path.read_text(encoding="utf-8"))
