"""Quizzes, progress, paths and certificates over HTTP: parse, call, render."""

from __future__ import annotations

import math

from flask import Blueprint, abort, current_app, jsonify, redirect, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from portal import db
from portal.accounts.current import claimed_user_id, current_user, current_user_id, login_required
from portal.accounts.views import safe_next
from portal.build.french import long_date
from portal.shell import render_page

from .certificates import certificate_pdf
from .models import Attempt, Certificate
from .presentation import TYPE_LABELS, present_quiz, render_markdown
from .quizzes import Catalog, Quiz, page_url
from .records import (
    RecordError,
    attempt_body,
    attempts_count,
    issue_token,
    learner_state,
    mark_page_read,
    path_json,
    read_token,
    start_path,
    submit_attempt,
)
from .scoring import AnswerError
from .tokens import TokenSigner, signer_for

bp = Blueprint("learning", __name__)


class Refused(HTTPException):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.code = status
        self.portal_message = message


def catalog() -> Catalog:
    return current_app.extensions["portal.quizzes"].current()


def token_signer() -> TokenSigner:
    """Attempt tokens are signed with the app's SECRET_KEY (and read with its fallbacks)."""
    return signer_for(current_app.secret_key, tuple(current_app.config["SECRET_KEY_FALLBACKS"] or ()))


def get_quiz(quiz_id: str) -> Quiz:
    quiz = catalog().quizzes.get(quiz_id)
    if quiz is None:
        raise Refused(404, f"Quiz introuvable : « {quiz_id[:60]} ».")
    return quiz


def site_path(page: str) -> str:
    """A page's site path as the catalogue knows it: `pmo/roles` → `/pmo/roles/`."""
    inner = page.strip().strip("/")
    return f"/{inner}/" if inner else "/"


# -- JSON API ------------------------------------------------------------------------------
@bp.get("/api/quizzes")
def api_quizzes():
    return jsonify([
        {"id": q.id, "title": q.title, "description": q.description,
         "questions": len(q.questions), "pass_mark": q.pass_mark}
        for q in catalog().quizzes.values()
    ])


@bp.get("/api/quizzes/<quiz_id>")
def api_quiz(quiz_id: str):
    quiz = get_quiz(quiz_id)
    # The questions are public, and a token records nothing until its submission checks
    # the learner: it is signed for the learner the session cookie names, without reading
    # the database, unless the quiz limits attempts (then they are counted).
    user_id = current_user_id() if quiz.max_attempts else claimed_user_id()
    if user_id is None:
        body = present_quiz(quiz, seed=None)
        body["token"] = None
    else:
        try:
            token = issue_token(db.session(), user_id, quiz, token_signer())
        except RecordError as exc:
            body = present_quiz(quiz, seed=None)
            body.update(token=None, error=exc.message)
        else:
            body = present_quiz(quiz, seed=token.seed)
            body["token"] = token.token
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


def _record(quiz: Quiz, token, answers):
    user = current_user()
    session = db.session()
    try:
        attempt, created = submit_attempt(session, user, quiz, token, answers, signer=token_signer(),
                                          catalog=catalog())
    except RecordError as exc:
        session.rollback()
        raise Refused(exc.status, exc.message) from None
    except AnswerError as exc:
        session.rollback()
        raise Refused(400, f"Réponses refusées : {exc}.") from None
    return attempt, created


@bp.post("/api/quizzes/<quiz_id>/attempts")
@login_required
def api_submit(quiz_id: str):
    quiz = get_quiz(quiz_id)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Refused(400, "Corps JSON attendu : {\"token\": …, \"answers\": {…}}.")
    attempt, created = _record(quiz, body.get("token"), body.get("answers"))
    return jsonify(attempt_body(attempt)), 201 if created else 200


@bp.get("/api/me/progress")
@login_required
def api_progress():
    state = learner_state(db.session(), current_user(), catalog())
    return jsonify({
        "pages_read": state["pages_read"],
        "quizzes": state["quizzes"],
        "paths": [path_json(p) for p in state["paths"]],
    })


@bp.post("/api/me/pages-read")
@login_required
def api_page_read():
    body = request.get_json(silent=True)
    page = body.get("page") if isinstance(body, dict) else None
    if not isinstance(page, str) or not page:
        raise Refused(400, "Indiquez la page lue : {\"page\": \"/chemin/de/la/page/\"}.")
    page = site_path(page)
    if page not in catalog().titles:
        raise Refused(404, f"Page inconnue du site : « {page[:100]} ».")
    created = mark_page_read(db.session(), current_user(), page, catalog())
    return jsonify({"page": page, "recorded": created}), 201 if created else 200


# -- HTML pages ------------------------------------------------------------------------------
def _form_answers(quiz: Quiz, form) -> dict:
    answers: dict = {}
    for question in quiz.questions:
        qid, kind = question["id"], question["type"]
        key = f"q-{qid}"
        if kind == "multiple":
            if f"{key}-shown" in form:
                answers[qid] = form.getlist(key)
        elif kind == "ordering":
            positions = {}
            for item in question["items"]:
                raw = form.get(f"{key}-{item['id']}", "")
                if raw:
                    try:
                        positions[item["id"]] = int(raw)
                    except ValueError:
                        raise AnswerError(f"question « {qid} » : position invalide") from None
            if positions:
                if len(set(positions.values())) != len(positions):
                    raise AnswerError(f"question « {qid} » : deux éléments ont la même position")
                answers[qid] = sorted(positions, key=positions.get)
        elif kind == "numeric":
            raw = form.get(key, "").strip().replace("\u202f", "").replace(" ", "").replace(",", ".")
            if raw:
                try:
                    value = float(raw)
                except ValueError:
                    raise AnswerError(f"question « {qid} » : « {raw[:20]} » n'est pas un nombre") from None
                if not math.isfinite(value):
                    raise AnswerError(f"question « {qid} » : nombre invalide")
                answers[qid] = value
        elif key in form:
            answers[qid] = [form[key]]
    return answers


def _quiz_page(quiz: Quiz, token=None, error=None, previous=None, status=200):
    user = current_user()
    seed = token.seed if token is not None else None
    shown = present_quiz(quiz, seed)
    used = attempts_count(db.session(), user.id, quiz.id) if user else 0
    html = render_page(
        "learning/quiz.html", quiz.title, quiz=shown, token=token.token if token else None,
        user=user, error=error, previous=previous or MultiDict(), type_labels=TYPE_LABELS,
        attempts_used=used,
        pages=[(page_url(p), catalog().titles.get(page_url(p), p)) for p in quiz.data.get("pages", [])],
    )
    return html, status


@bp.get("/quiz/<quiz_id>")
def quiz_page(quiz_id: str):
    quiz = get_quiz(quiz_id)
    user = current_user()
    if user is None:
        return _quiz_page(quiz)
    try:
        token = issue_token(db.session(), user.id, quiz, token_signer())
    except RecordError as exc:
        return _quiz_page(quiz, error=exc.message, status=exc.status)
    return _quiz_page(quiz, token=token)


@bp.post("/quiz/<quiz_id>")
@login_required
def quiz_submit(quiz_id: str):
    quiz = get_quiz(quiz_id)
    token_value = request.form.get("token")
    try:
        answers = _form_answers(quiz, request.form)
        attempt, _created = _record(quiz, token_value, answers)
    except (AnswerError, Refused) as exc:
        message = getattr(exc, "portal_message", None) or f"Réponses refusées : {exc}."
        # The page comes back with the same token, hence the same order, when it is this
        # learner's for this quiz; otherwise without a form to send.
        try:
            token = read_token(db.session(), token_signer(), token_value)
        except RecordError:
            token = None
        if token is not None and not token.belongs_to(current_user().id, quiz.id):
            token = None
        status = getattr(exc, "code", 400)
        return _quiz_page(quiz, token=token, error=message, previous=request.form, status=status)
    return redirect(url_for("learning.attempt_page", quiz_id=quiz.id, attempt_id=attempt.id), 303)


@bp.get("/quiz/<quiz_id>/resultats/<attempt_id>")
@login_required
def attempt_page(quiz_id: str, attempt_id: str):
    attempt = db.session().get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != current_user().id or attempt.quiz_id != quiz_id:
        abort(404)
    quiz = catalog().quizzes.get(quiz_id)
    prompts = {}
    if quiz is not None and quiz.hash == attempt.quiz_hash:
        prompts = {q["id"]: q for q in quiz.questions}
    titles = catalog().titles
    review = [(url, titles.get(url) or titles.get(url.split("#")[0], url))
              for url in attempt.result.get("sections_to_review", [])]
    html = render_page(
        "learning/result.html", f"Résultat : {quiz.title if quiz else quiz_id}",
        attempt=attempt, result=attempt.result, quiz=quiz, prompts=prompts, review=review,
        titles=titles, markdown=render_markdown,
    )
    return html


@bp.get("/progression")
@login_required
def progress_page():
    state = learner_state(db.session(), current_user(), catalog())
    return render_page(
        "learning/progress.html", "Ma progression", state=state, user=current_user(),
        quizzes=catalog().quizzes,
    )


@bp.post("/parcours/<path_id>/commencer")
@login_required
def start_path_view(path_id: str):
    path = catalog().paths.get(path_id)
    if path is None:
        raise Refused(404, f"Parcours introuvable : « {path_id[:60]} ».")
    start_path(db.session(), current_user(), path.id)
    first = path.steps[0]
    target = f"/quiz/{first[1]}" if first[0] == "quiz" else page_url(first[1])
    return redirect(target, 303)


@bp.post("/pages-lues")
@login_required
def page_read_form():
    """The « Marquer comme lu » control without JavaScript."""
    page = site_path(request.form.get("page", ""))
    if page not in catalog().titles:
        raise Refused(404, f"Page inconnue du site : « {page[:100]} ».")
    mark_page_read(db.session(), current_user(), page, catalog())
    return redirect(safe_next(default=page), 303)


@bp.get("/certificats/<code>")
def certificate_page(code: str):
    certificate = db.session().get(Certificate, code.upper()[:32])
    if certificate is None:
        return render_page("learning/certificate.html", "Certificat introuvable",
                           certificate=None, code=code[:32]), 404
    return render_page("learning/certificate.html", f"Certificat {certificate.code}",
                       certificate=certificate, issued=long_date(certificate.issued_at.date()),
                       owner=current_user() is not None and current_user().id == certificate.user_id)


@bp.get("/certificats/<code>.pdf")
def certificate_download(code: str):
    certificate = db.session().get(Certificate, code.upper()[:32])
    if certificate is None:
        abort(404)
    verify = request.url_root.rstrip("/") + url_for("learning.certificate_page", code=certificate.code)
    pdf = certificate_pdf(certificate, verify)
    return pdf, 200, {
        "Content-Type": "application/pdf",
        "Content-Disposition": f'attachment; filename="certificat-{certificate.code}.pdf"',
    }


def init_app(app) -> None:
    from .catalog_source import CatalogSource

    app.extensions["portal.quizzes"] = CatalogSource(app.config["PORTAL"].var_dir)
    app.register_blueprint(bp)



@bp.get("/certificats/verifier")
def certificate_lookup():
    code = request.args.get("code", "").strip().upper()[:32]
    if not code:
        return redirect("/certificats/-", 303)
    return redirect(url_for("learning.certificate_page", code=code), 303)
