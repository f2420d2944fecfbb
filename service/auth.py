"""Bearer tokens (stored as SHA-256 digests) and roles: viewer < finance < admin."""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from service import audit
from service.errors import Rejected
from service.tables import Token

__all__ = ["ROLES", "actor", "create_token", "find_token", "requires", "token_count"]

#: Roles in increasing power; each includes the ones before it.
ROLES = ("viewer", "finance", "admin")

F = TypeVar("F", bound=Callable[..., Any])


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(session: Session, name: str, role: str, actor: str = "system") -> str:
    """Create a token and return it: the only time it is ever shown (only its digest is kept)."""
    if role not in ROLES:
        raise Rejected(422, f"role must be one of {', '.join(ROLES)}", {"role": ["unknown role"]})
    if not name.strip() or len(name) > 200:
        raise Rejected(422, "give the token a name (at most 200 characters)",
                       {"name": ["required"]})
    token = "apn_" + secrets.token_urlsafe(32)
    row = Token(name=name, role=role, digest=_digest(token), created_at=audit.now())
    session.add(row)
    session.flush()
    audit.record(session, actor, "create-token", "token", row.id, None,
                 {"name": name, "role": role})
    return token


def token_count(session: Session) -> int:
    """How many tokens exist."""
    return len(session.scalars(select(Token.id)).all())


def find_token(session: Session, token: str) -> Token | None:
    """The stored token matching ``token``, if any."""
    return session.scalar(select(Token).where(Token.digest == _digest(token))) if token else None


def _authenticate(session: Session) -> tuple[str, str]:
    """The caller's name and role: from the bearer token; failing that, for reading only
    (GET, HEAD: no CSRF risk), from the web app's signed-in session."""
    header = flask.request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    token = value.strip() if scheme.lower() == "bearer" else ""
    found = find_token(session, token)
    if found is not None:
        return found.name, found.role
    if not token and flask.request.method in ("GET", "HEAD"):
        from service.accounts import find_session
        from service.accounts.sessions import COOKIE

        session_id = flask.request.cookies.get(COOKIE, "")
        idle = timedelta(minutes=int(flask.current_app.config.get("SESSION_IDLE_MINUTES", 30)))
        user = find_session(session, session_id, idle) if session_id else None
        if user is not None:
            session.commit()
            return f"{user.name} <{user.email}>", user.role
    raise Rejected(401, "a valid bearer token is required (Authorization: Bearer ...)")


def requires(role: str) -> Callable[[F], F]:
    """Refuse the view with 401 without a valid token (or, to read, a signed-in session), 403
    if its role is below ``role``."""
    def decorate(view: F) -> F:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            from service.app import ledger_session

            name, held = _authenticate(ledger_session())
            if ROLES.index(held) < ROLES.index(role):
                raise Rejected(403, f"this needs the {role} role; your token is {held}")
            flask.g.actor = f"{name} ({held})"
            return view(*args, **kwargs)
        return guarded  # type: ignore[return-value]
    return decorate


def actor() -> str:
    """Who is acting in this request (set by :func:`requires`)."""
    return str(flask.g.get("actor", "anonymous"))
