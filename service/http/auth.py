"""Who is calling: a bearer token checked against the ledger's tokens, and its role."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import flask
from sqlalchemy.orm import Session

from service.http.context import ledger_session
from service.http.problems import Rejected
from service.ledger.tables import Token
from service.ledger.tokens import ROLES, find_token

__all__ = ["COOKIE", "actor", "requires"]

F = TypeVar("F", bound=Callable[..., Any])

#: The cookie the report pages' sign-in form sets (HttpOnly, SameSite=Strict).
COOKIE = "apportion_session"


def _authenticate(session: Session, cookie: bool) -> Token:
    header = flask.request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    token = value.strip() if scheme.lower() == "bearer" else ""
    if not token and cookie:
        token = flask.request.cookies.get(COOKIE, "")
    found = find_token(session, token)
    if found is None:
        raise Rejected(401, "a valid bearer token is required (Authorization: Bearer ...)")
    return found


def requires(role: str, cookie: bool = False) -> Callable[[F], F]:
    """Refuse the view with 401 without a valid token, 403 if its role is below ``role``.

    The session cookie is accepted only where ``cookie`` is set (the report pages, read-only):
    the JSON API takes bearer tokens alone.
    """
    def decorate(view: F) -> F:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            token = _authenticate(ledger_session(), cookie)
            if ROLES.index(token.role) < ROLES.index(role):
                raise Rejected(403, f"this needs the {role} role; your token is {token.role}")
            flask.g.actor = f"{token.name} ({token.role})"
            return view(*args, **kwargs)
        return guarded  # type: ignore[return-value]
    return decorate


def actor() -> str:
    """Who is acting in this request (set by :func:`requires`)."""
    return str(flask.g.get("actor", "anonymous"))
