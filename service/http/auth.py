"""Who is calling: a bearer token checked against the ledger's tokens, and its role."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import flask
from sqlalchemy.orm import Session

from service.accounts.sessions import COOKIE, find_session
from service.http.context import ledger_session
from service.http.problems import Rejected
from service.ledger import audit
from service.ledger.tables import Token, User
from service.ledger.tokens import ROLES, find_token

__all__ = ["actor", "credential", "requires", "signed_in"]

F = TypeVar("F", bound=Callable[..., Any])

def _authenticate(session: Session) -> tuple[str, str, str]:
    """The caller's credential id, name and role: from the bearer token; failing that, for
    reading only (GET and HEAD, so no cross-site request can change anything), from the web
    app's signed-in session: the board report's CSV and XLSX links work in the browser.
    Revoked and expired tokens are refused at once."""
    header = flask.request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    token = value.strip() if scheme.lower() == "bearer" else ""
    found: Token | None = find_token(session, token)
    if found is not None:
        return f"token:{found.id}", found.name, found.role
    if not token and flask.request.method in ("GET", "HEAD"):
        user = signed_in(session)
        if user is not None:
            return f"user:{user.id}", f"{user.name} <{user.email}>", user.role
    raise Rejected(401, "a valid bearer token is required (Authorization: Bearer ...); "
                   "revoked and expired tokens are refused")


def signed_in(session: Session) -> User | None:
    """The account signed in with this request's session cookie (None if nobody); using the
    session keeps it alive (committed at once)."""
    session_id = flask.request.cookies.get(COOKIE, "")
    if not session_id:
        return None
    idle = timedelta(minutes=int(flask.current_app.config.get("SESSION_IDLE_MINUTES", 30)))
    user = find_session(session, session_id, idle)
    session.commit()
    return user


def requires(role: str) -> Callable[[F], F]:
    """Refuse the view with 401 without a valid bearer token (or, only to read, a signed-in
    session), 403 if the role is below ``role``."""
    def decorate(view: F) -> F:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            credential_id, name, held = _authenticate(ledger_session())
            if ROLES.index(held) < ROLES.index(role):
                raise Rejected(403, f"this needs the {role} role; yours is {held}")
            flask.g.actor = f"{name} ({held})"
            flask.g.credential = credential_id
            audit.act_as(ledger_session(), credential_id, flask.g.actor)
            return view(*args, **kwargs)
        return guarded  # type: ignore[return-value]
    return decorate


def actor() -> str:
    """Who is acting in this request (set by :func:`requires`): the credential's name."""
    return str(flask.g.get("actor", "anonymous"))


def credential() -> str | None:
    """The id of the credential this request authenticated with (``token:7``, ``user:3``)."""
    found = flask.g.get("credential")
    return None if found is None else str(found)
