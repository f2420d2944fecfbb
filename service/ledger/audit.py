"""The audit log: append-only events written in the same transaction as the change."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.ledger.tables import AuditEvent

__all__ = ["events", "now", "record"]


def now() -> datetime:
    """The current time in UTC, without tzinfo (stored as UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)


def record(session: Session, actor: str, action: str, entity: str, entity_id: object,
           before: Any = None, after: Any = None) -> None:
    """Append an event: who (token name), what, on which entity, state before and after."""
    session.add(AuditEvent(
        at=now(), actor=actor, action=action, entity=entity, entity_id=str(entity_id),
        before=None if before is None else json.dumps(before, default=str, sort_keys=True),
        after=None if after is None else json.dumps(after, default=str, sort_keys=True)))


def events(session: Session, limit: int = 1000, after_id: int = 0) -> list[dict[str, Any]]:
    """Events in order, oldest first, from ``after_id`` on."""
    rows = session.scalars(select(AuditEvent).where(AuditEvent.id > after_id)
                           .order_by(AuditEvent.id).limit(limit))
    return [{"id": e.id, "at": e.at.isoformat() + "Z", "actor": e.actor, "action": e.action,
             "entity": e.entity, "entity_id": e.entity_id,
             "before": None if e.before is None else json.loads(e.before),
             "after": None if e.after is None else json.loads(e.after)} for e in rows]
