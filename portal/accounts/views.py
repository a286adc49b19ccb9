"""Sign-in, registration, sign-out and `GET /api/me`."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, request
from flask_wtf.csrf import generate_csrf
from sqlalchemy.exc import IntegrityError

from portal import db
from portal.limits import limiter
from portal.shell import render_page

from .current import current_user, sign_in, sign_out
from .service import AccountError, authenticate, create_user, normalize_email

bp = Blueprint("accounts", __name__)

LOGIN_FAILED = "Adresse e-mail ou mot de passe incorrect."


def safe_next(default: str = "/progression") -> str:
    target = request.values.get("next", "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def _account_key() -> str:
    return "compte:" + normalize_email(request.form.get("email", ""))[:254]


def _failed(response) -> bool:
    return response.status_code >= 400


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("120/minute", methods=["POST"])
@limiter.limit("5/minute", methods=["POST"], key_func=_account_key, deduct_when=_failed)
def login():
    settings = current_app.config["PORTAL"]
    error = None
    status = 200
    if request.method == "POST":
        s = db.session()
        user = authenticate(s, request.form.get("email", ""), request.form.get("password", ""))
        if user is not None:
            s.commit()
            sign_in(user)
            return redirect(safe_next())
        error, status = LOGIN_FAILED, 401
    html = render_page(
        "accounts/login.html",
        "Se connecter",
        error=error,
        email=request.form.get("email", ""),
        next=safe_next(""),
        header_mode=settings.auth == "header",
    )
    return html, status


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("100/minute", methods=["POST"])
def register():
    settings = current_app.config["PORTAL"]
    error = None
    if request.method == "POST":
        s = db.session()
        try:
            user = create_user(
                s,
                email=request.form.get("email", ""),
                name=request.form.get("name", ""),
                password=request.form.get("password", ""),
                team=request.form.get("team"),
                allowed_domains=settings.allowed_email_domains,
            )
        except AccountError as exc:
            s.rollback()
            error = str(exc)
        else:
            try:
                s.commit()
            except IntegrityError:  # the same address registered at the same moment
                s.rollback()
                error = "Un compte existe déjà pour cette adresse."
            else:
                sign_in(user)
                return redirect(safe_next())
    html = render_page(
        "accounts/register.html",
        "Créer un compte",
        error=error,
        form=request.form,
        domains=settings.allowed_email_domains,
        next=safe_next(""),
    )
    return html, 400 if error else 200


@bp.post("/logout")
def logout():
    sign_out()
    return redirect("/")


@bp.get("/api/me")
def me():
    user = current_user()
    body = {
        "user": None
        if user is None
        else {"email": user.email, "name": user.name, "role": user.role, "team": user.team},
        "csrf_token": generate_csrf(),
    }
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response
