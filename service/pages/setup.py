"""Wiring the pages into the app: secret key, CSRF, templates, assets, security headers."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import flask
from flask import Flask
from flask.sessions import NullSession, SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, CSRFProtect
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader

from service.http.hardening import csp_nonce
from service.pages import formats

__all__ = ["ASSETS", "csrf", "register"]

#: Where ``npm ci`` (scripts/ensure-tools.sh) puts GOV.UK Frontend's compiled assets.
ASSETS = Path(__file__).resolve().parents[2] / "node_modules" / "govuk-frontend" / "dist" / "govuk"
_OWN_ASSETS = Path(__file__).resolve().parent / "static"

csrf = CSRFProtect()


class _SharedNullSession(NullSession):
    """The null session every request without a session shares: it refuses every change
    (``|=`` included, which Flask's own leaves open)."""

    def __ior__(self, other: Any) -> Any:  # type: ignore[misc]
        raise RuntimeError("this request has no session (the JSON API takes bearer tokens)")


_NULL_SESSION = _SharedNullSession()


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed cookie (it holds only the CSRF token's secret and one-off messages):
    HttpOnly, SameSite=Lax, and Secure whenever the request came over HTTPS."""

    def __init__(self) -> None:
        self._serializers: dict[object, Any] = {}

    def open_session(self, app: Flask, request: flask.Request) -> Any:
        """No session for the JSON API (it takes bearer tokens, never the cookie): Flask then
        uses a null session, which is never saved."""
        if request.path.startswith("/api/"):
            return None
        return super().open_session(app, request)

    def make_null_session(self, app: Flask) -> Any:
        """The one null session: it refuses every change, so every request can share it."""
        return _NULL_SESSION

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(flask.has_request_context() and flask.request.is_secure)

    def get_signing_serializer(self, app: Flask) -> Any:
        """Flask's serializer, made once per key rather than on every request (every request,
        JSON API calls included, opens the session)."""
        key = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        found = self._serializers.get(key)
        if found is None:
            found = self._serializers[key] = super().get_signing_serializer(app)
        return found


def _secret_key(app: Flask) -> str:
    """``SECRET_KEY`` from the config or ``APPORTION_SECRET_KEY``; otherwise one generated once
    into the instance folder (several processes on one machine share it; several machines
    must set the variable)."""
    configured = app.config.get("SECRET_KEY") or os.environ.get("APPORTION_SECRET_KEY")
    if configured:
        return str(configured)
    folder = Path(app.instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "secret_key"
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(secrets.token_hex(32))
    return path.read_text(encoding="ascii").strip()


def register(app: Flask) -> None:
    """Add the web app to ``app``."""
    app.config["SECRET_KEY"] = _secret_key(app)
    app.config.update(SESSION_COOKIE_NAME="apportion_form", SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_HTTPONLY=True)
    app.config.setdefault("SESSION_IDLE_MINUTES",
                          int(os.environ.get("APPORTION_SESSION_IDLE_MINUTES", "30")))
    # Forms are checked in the pages' blueprint only: the JSON API takes bearer tokens.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the sign-in session expires instead
    app.session_interface = SessionCookies()
    csrf.init_app(app)
    app.jinja_loader = ChoiceLoader([
        PackageLoader("service.pages", "templates"),
        PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
    ] + ([app.jinja_loader] if app.jinja_loader else []))
    formats.install(app.jinja_env)
    # A page's inline code carries the request's nonce (made when a page first asks for it);
    # the answer's policy then allows it (service.http.hardening).
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    from service.pages import views

    app.register_blueprint(views.blueprint)

    @app.get("/assets/<path:filename>")
    def assets(filename: str) -> flask.Response:
        """GOV.UK Frontend's styles, fonts, images and scripts, and the app's own."""
        if (_OWN_ASSETS / filename).is_file():
            return flask.send_from_directory(_OWN_ASSETS, filename, max_age=3600)
        if filename.startswith("govuk-frontend.min."):
            return flask.send_from_directory(ASSETS, filename, max_age=3600)
        return flask.send_from_directory(ASSETS / "assets", filename, max_age=3600)

    @app.errorhandler(CSRFError)
    def csrf_refused(error: CSRFError) -> Any:
        if flask.request.blueprint != views.blueprint.name:
            raise error
        return views.error_page(400, "Your form has expired",
                                "The page was open too long or came from somewhere else, so "
                                "nothing was saved. Go back, reload the page and try again.")
