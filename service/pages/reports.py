"""The printable board report page (with its token sign-in form, until accounts arrive)."""

from __future__ import annotations

from typing import Any

import flask
from flask import render_template

from service.http import auth
from service.http.context import current_ruleset, ledger_session
from service.http.problems import Rejected
from service.ledger.tokens import find_token
from service.reports import board
from service.reports.html import render_html

__all__ = ["bp"]

bp = flask.Blueprint("report_pages", __name__, url_prefix="/reports", template_folder="templates")


@bp.get("/board")
def board_page() -> Any:
    """The printable board report; without a valid session it shows the sign-in form."""
    year = board.report_year(flask.request.args.get("year"))
    try:
        return _board_page(year)
    except Rejected as refused:
        if refused.status != 401:
            raise
        return render_template("sign_in.html", next=flask.request.full_path, error=None), 401


@auth.requires("viewer", cookie=True)
def _board_page(year: str) -> Any:
    return render_html(board.board_report(ledger_session(), current_ruleset(), year))


@bp.post("/sign-in")
def sign_in() -> Any:
    """Turn a token into an HttpOnly, SameSite=Strict session cookie, then go back."""
    token = flask.request.form.get("token", "")
    target = flask.request.form.get("next", "/reports/board")
    if not target.startswith("/reports/") or "//" in target or "\\" in target:
        target = "/reports/board"
    if find_token(ledger_session(), token) is None:
        return render_template("sign_in.html", next=target,
                               error="That token is not valid."), 401
    response = flask.redirect(target, code=303)
    response.set_cookie(auth.COOKIE, token, httponly=True, samesite="Strict",
                        secure=flask.request.is_secure, path="/reports", max_age=8 * 3600)
    return response


@bp.post("/sign-out")
def sign_out() -> Any:
    """Forget the session cookie."""
    response = flask.redirect("/reports/board", code=303)
    response.delete_cookie(auth.COOKIE, path="/reports")
    return response
