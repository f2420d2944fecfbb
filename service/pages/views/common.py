"""The pages' blueprint, who is signed in, and the helpers every view shares."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import flask
from flask import render_template
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import allocations
import rules
from service import accounts
from service.accounts.sessions import COOKIE
from service.http.context import ledger_session
from service.http.problems import Rejected
from service.ledger.errors import Conflict, LedgerError, NotFound
from service.ledger.tables import User
from service.pages.setup import csrf

__all__ = ["blueprint", "can", "error_page", "needs", "page", "user", "write"]

blueprint = flask.Blueprint("pages", __name__)
F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def user() -> User | None:
    """Who is signed in (None if nobody)."""
    found: User | None = flask.g.get("user")
    return found


def _idle() -> timedelta:
    return timedelta(minutes=int(flask.current_app.config["SESSION_IDLE_MINUTES"]))


@blueprint.before_request
def sign_in_and_csrf() -> None:
    """Find the signed-in account from the session cookie; check every form's CSRF token."""
    session_id = flask.request.cookies.get(COOKIE, "")
    flask.g.user = None
    if session_id:
        session = ledger_session()
        flask.g.user = accounts.find_session(session, session_id, _idle())
        session.commit()
        if flask.g.user is not None:
            flask.g.actor = f"{flask.g.user.name} <{flask.g.user.email}> ({flask.g.user.role})"
    if flask.request.method == "POST":
        csrf.protect()


def can(role: str) -> bool:
    """Whether the signed-in account has ``role`` (or a higher one)."""
    found = user()
    return found is not None and accounts.ROLES.index(found.role) >= accounts.ROLES.index(role)


def needs(role: str) -> Callable[[F], F]:
    """Send someone not signed in to the sign-in page (and back here after); refuse with a
    403 page anyone whose role is below ``role``."""
    def decorate(view: F) -> F:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            found = user()
            if found is None:
                target = flask.request.full_path if flask.request.method == "GET" \
                    else flask.request.path
                return flask.redirect(flask.url_for("pages.sign_in",
                                                    next=target.rstrip("?")), 303)
            if not can(role):
                return error_page(403, "You do not have permission to do this",
                                  f"This needs the {role} role; your account has the "
                                  f"{found.role} role. Ask an administrator if you need it.")
            return view(*args, **kwargs)
        return guarded  # type: ignore[return-value]
    return decorate


def page(template: str, title: str, status: int = 200, **context: Any) -> tuple[str, int]:
    """Render a page; ``title`` is its unique title (and its heading, unless it sets one)."""
    return render_template(template, title=title, user=user(), can=can, **context), status


def error_page(status: int, title: str, detail: str) -> tuple[str, int]:
    """A page explaining a refusal (never a traceback)."""
    return page("error.html", title, status, detail=detail)


def write(run: Callable[[Session], T]) -> T:
    """Run a change as one transaction: commit, or roll back everything and re-raise."""
    session = ledger_session()
    try:
        result = run(session)
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict("Someone else changed this at the same moment, so nothing was saved. "
                       "Check the page and try again.") from None
    except BaseException:
        session.rollback()
        raise
    return result


@blueprint.errorhandler(Rejected)
def rejected(error: Rejected) -> Any:
    titles = {404: "Page not found", 409: "This could not be done",
              403: "You do not have permission to do this"}
    return error_page(error.status if error.status in titles else 400,
                      titles.get(error.status, "This could not be done"), error.detail)


@blueprint.errorhandler(LedgerError)
@blueprint.errorhandler(rules.RulesError)
@blueprint.errorhandler(allocations.AllocationError)
def refused(error: Exception) -> Any:
    if isinstance(error, NotFound):
        return error_page(404, "Page not found", error.message)
    if isinstance(error, (LedgerError, rules.RulesError)):
        return error_page(409 if isinstance(error, Conflict) else 400,
                          "This could not be done", error.message)
    return error_page(400, "This could not be done", str(error))
