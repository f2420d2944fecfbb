"""Bearer tokens for programs: stored as SHA-256 digests, each with a name and a role.

Roles in increasing power: viewer < finance < admin; each includes the ones before it.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.ledger import audit
from service.ledger.errors import Invalid
from service.ledger.tables import Token

__all__ = ["ROLES", "create_token", "find_token", "token_count"]

#: Roles in increasing power; each includes the ones before it.
ROLES = ("viewer", "finance", "admin")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(session: Session, name: str, role: str, actor: str = "system") -> str:
    """Create a token and return it: the only time it is ever shown (only its digest is kept).

    Raises:
        Invalid: an unknown role, or a name empty or over 200 characters.
    """
    if role not in ROLES:
        raise Invalid(f"role must be one of {', '.join(ROLES)}", field="role")
    if not name.strip() or len(name) > 200:
        raise Invalid("give the token a name (at most 200 characters)", field="name")
    token = "apn_" + secrets.token_urlsafe(32)
    row = Token(name=name, role=role, digest=_digest(token), created_at=audit.now())
    session.add(row)
    session.flush()
    audit.record(session, actor, "create-token", "token", row.id, None,
                 {"name": name, "role": role})
    return token


def token_count(session: Session) -> int:
    """How many tokens exist."""
    return session.scalar(select(func.count(Token.id))) or 0


def find_token(session: Session, token: str) -> Token | None:
    """The stored token matching ``token``, if any."""
    return session.scalar(select(Token).where(Token.digest == _digest(token))) if token else None
