"""The OpenAPI 3 description of /api, served at /api/openapi.json."""

from __future__ import annotations

from flask import Blueprint, jsonify

bp = Blueprint("openapi", __name__)

ERROR = {"$ref": "#/components/schemas/Error"}


def _errors(*codes: int) -> dict:
    labels = {400: "Requête invalide", 401: "Connexion requise", 403: "Accès refusé",
              404: "Introuvable", 409: "Conflit", 413: "Requête trop volumineuse",
              415: "Type de contenu non pris en charge", 429: "Trop de tentatives"}
    return {str(c): {"description": labels[c], "content": {"application/json": {"schema": ERROR}}}
            for c in codes}


def _ok(schema: dict, code: int = 200, description: str = "Succès") -> dict:
    return {str(code): {"description": description, "content": {"application/json": {"schema": schema}}}}


QUIZ_ID = {"name": "quiz_id", "in": "path", "required": True, "schema": {"type": "string"}}
CSRF = {"name": "X-CSRFToken", "in": "header", "required": False, "schema": {"type": "string"}}
STRING_LIST = {"type": "array", "items": {"type": "string"}}

SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "Portail de la communauté PMO", "version": "1.0.0",
             "description": "Recherche, quiz, progression. Les POST exigent le cookie de session et "
                            "le jeton CSRF (en-tête X-CSRFToken) obtenu par GET /api/me."},
    "paths": {
        "/api/health": {"get": {"summary": "État du service", "responses": {
            **_ok({"type": "object", "required": ["status", "documents", "quizzes", "database"],
                   "properties": {"status": {"type": "string"}, "documents": {"type": "integer"},
                                  "quizzes": {"type": "integer"}, "database": {"type": "string"}}}),
            "503": {"description": "Base indisponible",
                    "content": {"application/json": {"schema": {"type": "object"}}}},
        }}},
        "/api/search": {"get": {"summary": "Recherche en français", "parameters": [
            {"name": "q", "in": "query", "required": True, "schema": {"type": "string"}},
            {"name": "type", "in": "query", "schema": {"type": "string"}},
            {"name": "section", "in": "query", "schema": {"type": "string"}},
            {"name": "limit", "in": "query", "schema": {"type": "integer"}},
            {"name": "page", "in": "query", "schema": {"type": "integer"}},
            {"name": "prefix", "in": "query", "schema": {"type": "string"}},
        ], "responses": {**_ok({"$ref": "#/components/schemas/SearchResults"}), **_errors(400, 429)}}},
        "/api/me": {"get": {"summary": "Qui est connecté, et un jeton CSRF", "responses": _ok({
            "type": "object", "required": ["user", "csrf_token"],
            "properties": {"user": {"nullable": True, "type": "object",
                                    "required": ["email", "name", "role"],
                                    "properties": {"email": {"type": "string"}, "name": {"type": "string"},
                                                   "role": {"type": "string", "enum": ["learner", "pmo"]},
                                                   "team": {"type": "string", "nullable": True}}},
                           "csrf_token": {"type": "string"}}})}},
        "/api/quizzes": {"get": {"summary": "Les quiz", "responses": _ok({"type": "array", "items": {
            "type": "object", "required": ["id", "title", "description", "questions", "pass_mark"],
            "properties": {"id": {"type": "string"}, "title": {"type": "string"},
                           "description": {"type": "string"}, "questions": {"type": "integer"},
                           "pass_mark": {"type": "integer"}}}})}},
        "/api/quizzes/{quiz_id}": {"get": {"summary": "Un quiz à passer (sans les réponses)",
                                           "parameters": [QUIZ_ID], "responses": {
            **_ok({"$ref": "#/components/schemas/QuizToAnswer"}), **_errors(404)}}},
        "/api/quizzes/{quiz_id}/attempts": {"post": {
            "summary": "Envoyer ses réponses", "parameters": [QUIZ_ID, CSRF],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["token", "answers"],
                "properties": {"token": {"type": "string",
                                         "description": "Le jeton reçu à l'ouverture du quiz."},
                               "answers": {"type": "object", "additionalProperties": {
                                   "oneOf": [STRING_LIST, {"type": "number"}]}}}}}}},
            "responses": {**_ok({"$ref": "#/components/schemas/AttemptResult"}, 200, "Tentative déjà enregistrée"),
                          **_ok({"$ref": "#/components/schemas/AttemptResult"}, 201, "Tentative enregistrée"),
                          **_errors(400, 401, 403, 404, 409, 413)}}},
        "/api/me/progress": {"get": {"summary": "Ma progression", "responses": {
            **_ok({"type": "object", "required": ["pages_read", "quizzes", "paths"],
                   "properties": {"pages_read": STRING_LIST, "quizzes": {"type": "object"},
                                  "paths": {"type": "array", "items": {"type": "object"}}}}),
            **_errors(401)}}},
        "/api/me/pages-read": {"post": {
            "summary": "Marquer une page comme lue", "parameters": [CSRF],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["page"], "properties": {"page": {"type": "string"}}}}}},
            "responses": {**_ok({"type": "object"}, 200, "Déjà lue"), **_ok({"type": "object"}, 201, "Enregistrée"),
                          **_errors(400, 401, 404, 413)}}},
    },
    "components": {"schemas": {
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
        "SearchResults": {"type": "object", "required": ["query", "total", "results", "suggestion"], "properties": {
            "query": {"type": "string"}, "total": {"type": "integer"},
            "suggestion": {"type": "string", "nullable": True},
            "results": {"type": "array", "items": {"type": "object",
                        "required": ["title", "url", "section", "type", "snippet", "score"],
                        "properties": {"title": {"type": "string"}, "url": {"type": "string"},
                                       "section": {"type": "string"}, "type": {"type": "string"},
                                       "snippet": {"type": "string"}, "score": {"type": "number"},
                                       "breadcrumb": {"type": "string"}}}}}},
        "QuizToAnswer": {"type": "object", "required": ["id", "title", "questions", "token"], "properties": {
            "id": {"type": "string"}, "title": {"type": "string"},
            "token": {"type": "string", "nullable": True, "maxLength": 64,
                      "description": "Jeton de tentative signé par le serveur (apprenant connecté) : il fixe l'heure "
                                     "de début et l'ordre affiché, et n'enregistre qu'une tentative."},
            "questions": {"type": "array", "items": {"type": "object", "required": ["id", "type", "prompt", "choices"],
                          "properties": {"id": {"type": "string"}, "type": {"type": "string"},
                                         "prompt": {"type": "string"},
                                         "choices": {"type": "array", "items": {
                                             "type": "object", "required": ["id", "text"],
                                             "properties": {"id": {"type": "string"}, "text": {"type": "string"}},
                                             "additionalProperties": False}}}}}}},
        "AttemptResult": {"type": "object",
                          "required": ["attempt", "score", "max_score", "percent", "passed", "questions"],
                          "properties": {"attempt": {"type": "string"}, "score": {"type": "number"},
                                         "max_score": {"type": "number"}, "percent": {"type": "number"},
                                         "passed": {"type": "boolean"},
                                         "questions": {"type": "array", "items": {"type": "object",
                                             "required": ["id", "correct", "expected", "explanation", "reference"]}}}},
    }},
}


@bp.get("/api/openapi.json")
def openapi():
    return jsonify(SPEC)
