"""Signing in and out."""

from __future__ import annotations

from typing import Any

import flask

from service import accounts
from service.accounts.sessions import COOKIE
from service.http.context import ledger_session
from service.ledger import audit
from service.pages.forms import Form
from service.pages.views.common import blueprint, page, user


def _safe(target: str | None) -> str:
    """Only a path on this site (never another host): ``/cases?year=2013-14``."""
    if not target or not target.startswith("/") or target.startswith("//") \
            or "\\" in target or any(ord(c) < 32 for c in target):
        return "/"
    return target


@blueprint.get("/sign-in")
def sign_in() -> Any:
    """The sign-in form (after signing in, back to the page asked for)."""
    if user() is not None:
        return flask.redirect(_safe(flask.request.args.get("next")), 303)
    return page("sign_in.html", "Sign in", form=Form(),
                next=_safe(flask.request.args.get("next")))


@blueprint.post("/sign-in")
def sign_in_post() -> Any:
    """Check the email and password; start a session with a new id; go where asked."""
    form = Form.posted(flask.request.form)
    target = _safe(form.get("next"))
    if not form.get("email"):
        form.error("email", "Enter your email address")
    if not flask.request.form.get("password"):
        form.error("password", "Enter your password")
    session = ledger_session()
    retry_after = 0
    if not form.errors:
        try:
            account = accounts.authenticate(session, form.get("email"),
                                            flask.request.form.get("password", ""))
        except accounts.SignInRefused as refusal:
            session.commit()  # the failure counts
            form.error("email", refusal.message)
            retry_after = refusal.retry_after
        else:
            session_id = accounts.start_session(session, account)
            audit.record(session, f"{account.name} <{account.email}>", "sign-in", "user",
                         account.id)
            session.commit()
            flask.session.clear()  # a fresh CSRF secret for the signed-in session
            response = flask.redirect(target, 303)
            response.set_cookie(COOKIE, session_id, httponly=True, samesite="Lax",
                                secure=flask.request.is_secure, path="/")
            return response
    form.values.pop("password", None)
    body, status = page("sign_in.html", "Sign in", 429 if retry_after else 400, form=form,
                        next=target)
    headers = {"Retry-After": str(retry_after)} if retry_after else {}
    return body, status, headers


@blueprint.post("/sign-out")
def sign_out() -> Any:
    """End the session (on the server, not only in the browser)."""
    session_id = flask.request.cookies.get(COOKIE, "")
    if session_id:
        session = ledger_session()
        accounts.end_session(session, session_id)
        session.commit()
    flask.session.clear()
    flask.g.user = None
    response = flask.redirect(flask.url_for("pages.signed_out"), 303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="Lax",
                           secure=flask.request.is_secure)
    return response


@blueprint.get("/signed-out")
def signed_out() -> Any:
    """Confirmation that the session has ended."""
    return page("signed_out.html", "You have signed out")
