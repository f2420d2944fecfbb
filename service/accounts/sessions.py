"""Server-side sessions: a random id in the browser's cookie, only its SHA-256 digest stored.

A session ends at sign-out, when its account is disabled, or after :data:`IDLE` without use
(the idle time is configurable: ``APPORTION_SESSION_IDLE_MINUTES``).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from service.ledger import audit
from service.ledger.tables import SignInSession, User

__all__ = ["COOKIE", "IDLE", "end_session", "end_sessions_of", "find_session", "start_session"]

#: The cookie holding the session id (HttpOnly, SameSite=Lax, Secure over HTTPS).
COOKIE = "apportion_session"
#: Default idle expiry.
IDLE = timedelta(minutes=30)
#: ``last_seen`` is written at most this often (fewer writes on busy pages).
_TOUCH = timedelta(seconds=60)


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def start_session(session: Session, user: User, now: datetime | None = None) -> str:
    """Start a session for ``user`` and return its id: 256 random bits, for the cookie only."""
    now = now or audit.now()
    session_id = secrets.token_urlsafe(32)
    session.add(SignInSession(digest=_digest(session_id), user_id=user.id, created_at=now,
                              last_seen=now))
    session.flush()
    return session_id


def find_session(session: Session, session_id: str, idle: timedelta = IDLE,
                 now: datetime | None = None) -> User | None:
    """The active account signed in with ``session_id``, or None if the id is unknown, idle
    for longer than ``idle`` (then it is ended) or its account is disabled. Marks it used."""
    if not session_id or len(session_id) > 100:
        return None
    now = now or audit.now()
    found = session.scalar(select(SignInSession).where(
        SignInSession.digest == _digest(session_id)))
    if found is None:
        return None
    if now - found.last_seen > idle:
        session.delete(found)
        return None
    user = session.get(User, found.user_id)
    if user is None or not user.active:
        return None
    if now - found.last_seen > _TOUCH:
        found.last_seen = now
    return user


def end_session(session: Session, session_id: str) -> None:
    """End the session ``session_id`` (nothing happens if there is none)."""
    session.execute(delete(SignInSession).where(SignInSession.digest == _digest(session_id)))


def end_sessions_of(session: Session, user: User) -> None:
    """End every session of ``user``."""
    session.execute(delete(SignInSession).where(SignInSession.user_id == user.id))
