"""Bearer tokens for programs: stored as SHA-256 digests, each with a name (what it is for), an
owner (whose it is), a role and an expiry; admins list, create and revoke them.

A revoked or expired token is refused at once: :func:`find_token` checks both on every call.
Roles in increasing power: viewer < finance < admin; each includes the ones before it.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from service.ledger import audit
from service.ledger.errors import Conflict, Invalid, NotFound
from service.ledger.tables import Token

__all__ = [
    "DEFAULT_DAYS",
    "MAX_DAYS",
    "ROLES",
    "Token",
    "create_token",
    "find_token",
    "list_tokens",
    "revoke_token",
    "token_body",
    "token_count",
]

#: Roles in increasing power; each includes the ones before it.
ROLES = ("viewer", "finance", "admin")
#: A token lives this many days unless its creator says otherwise.
DEFAULT_DAYS = 90
#: The longest life a token can be given.
MAX_DAYS = 3660


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _text(value: str, field: str) -> str:
    if not value.strip() or len(value) > 200 or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise Invalid(f"give the token's {field}: 1 to 200 characters, no control characters",
                      field=field)
    return value.strip()


def create_token(session: Session, name: str, role: str, actor: str = "system",
                 owner: str | None = None, days: int = DEFAULT_DAYS) -> str:
    """Create a token and return its secret: the only time it is ever shown (only its digest
    is kept; :func:`find_token` gives its row). ``owner`` defaults to ``name``; the token
    expires ``days`` days from now.

    Raises:
        Invalid: an unknown role, a name or owner empty, over 200 characters or holding a
            control character, or a life outside 1..MAX_DAYS days.
    """
    if role not in ROLES:
        raise Invalid(f"role must be one of {', '.join(ROLES)}", field="role")
    name = _text(name, "name")
    owner = _text(owner, "owner") if owner is not None else name
    if not 1 <= days <= MAX_DAYS:
        raise Invalid(f"a token lives 1 to {MAX_DAYS} days", field="days")
    token = "apn_" + secrets.token_urlsafe(32)
    created = audit.now()
    row = Token(name=name, owner=owner, role=role, digest=_digest(token), created_at=created,
                expires_at=created + timedelta(days=days))
    session.add(row)
    session.flush()
    audit.record(session, actor, "create-token", "token", row.id, None, token_body(row))
    return token


def token_body(row: Token) -> dict[str, Any]:
    """A token as admins see it (never its secret or digest)."""
    def stamp(value: datetime | None) -> str | None:
        return None if value is None else value.isoformat(timespec="seconds") + "Z"

    return {"id": row.id, "name": row.name, "owner": row.owner or row.name, "role": row.role,
            "created": stamp(row.created_at), "expires": stamp(row.expires_at),
            "revoked": stamp(row.revoked_at), "active": _active(row, audit.now())}


def _active(row: Token, at: datetime) -> bool:
    return row.revoked_at is None and (row.expires_at is None or row.expires_at > at)


def token_count(session: Session) -> int:
    """How many tokens exist."""
    return session.scalar(select(func.count(Token.id))) or 0


def list_tokens(session: Session) -> list[dict[str, Any]]:
    """Every token, oldest first, with whether it is still active."""
    return [token_body(row) for row in session.scalars(select(Token).order_by(Token.id))]


def revoke_token(session: Session, token_id: int, actor: str = "system") -> dict[str, Any]:
    """Revoke a token: from now on it is refused.

    Raises:
        NotFound: no token has this id.
        Conflict: it was revoked already.
    """
    row = session.get(Token, token_id, with_for_update=True)
    if row is None:
        raise NotFound(f"no token {token_id}")
    if row.revoked_at is not None:
        raise Conflict(f"token {token_id} was revoked already", field="id")
    before = token_body(row)
    row.revoked_at = audit.now()
    after = token_body(row)
    audit.record(session, actor, "revoke-token", "token", row.id, before, after)
    return after


#: A token by its digest (built once: a request reuses the compiled statement).
_BY_DIGEST = select(Token).where(Token.digest == bindparam("digest"))


def find_token(session: Session, token: str) -> Token | None:
    """The stored token matching ``token`` if it exists, is not revoked and has not expired."""
    if not token or len(token) > 200:
        return None
    row = session.scalar(_BY_DIGEST, {"digest": _digest(token)})
    return row if row is not None and _active(row, audit.now()) else None
