"""The audit log: append-only events written in the same transaction as the change.

Who acted is the credential: its name in ``actor`` and its id (``token:7``, ``user:3``) in
``actor_id``, taken from the session (:func:`act_as`, or a ``credential`` callable the web
layer puts in ``session.info``), so every write of a request is attributed alike.
Billing's own changes (tranches put into split groups and settled, split groups created) are
recorded by a flush hook with their state before and after, whichever command made them; the
database refuses to UPDATE or DELETE an event (migration 0006).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from service.ledger.tables import AuditEvent, SplitGroup, Tranche

__all__ = ["act_as", "events", "now", "record"]

#: The tranche columns billing changes (``amount`` is audited by the revision itself).
_BILLING_COLUMNS = ("split_id", "billed_amount")


def now() -> datetime:
    """The current time in UTC, without tzinfo (stored as UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)


def act_as(session: Session, actor_id: str, name: str) -> None:
    """Attribute the session's writes to the credential ``actor_id`` (e.g. ``token:7``)."""
    session.info["actor_id"] = actor_id
    session.info["actor"] = name


def _dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, default=str, sort_keys=True)


def record(session: Session, actor: str, action: str, entity: str, entity_id: object,
           before: Any = None, after: Any = None) -> None:
    """Append an event: who (the credential's name, and its id when known), what, on which
    entity, state before and after."""
    actor_id = session.info.get("actor_id")
    if actor_id is None and callable(session.info.get("credential")):
        actor_id = session.info["credential"]()
    session.add(AuditEvent(
        at=now(), actor=actor, actor_id=actor_id, action=action,
        entity=entity, entity_id=str(entity_id), before=_dumps(before), after=_dumps(after)))


def events(session: Session, limit: int = 1000, after_id: int = 0) -> list[dict[str, Any]]:
    """Events in order, oldest first, from ``after_id`` on."""
    rows = session.scalars(select(AuditEvent).where(AuditEvent.id > after_id)
                           .order_by(AuditEvent.id).limit(limit))
    return [{"id": e.id, "at": e.at.isoformat() + "Z", "actor": e.actor,
             "actor_id": e.actor_id, "action": e.action,
             "entity": e.entity, "entity_id": e.entity_id,
             "before": None if e.before is None else json.loads(e.before),
             "after": None if e.after is None else json.loads(e.after)} for e in rows]


def _tranche_billing(tranche: Tranche) -> dict[str, Any] | None:
    """The billing columns of a changed tranche, before and after, or None if unchanged."""
    state = inspect(tranche)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for column in _BILLING_COLUMNS:
        history = state.attrs[column].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old != new:
            before[column], after[column] = old, new
    return {"before": before, "after": after} if after or before else None


@event.listens_for(Session, "before_flush")
def _billing_changes(session: Session, _context: Any, _instances: Any) -> None:
    actor = str(session.info.get("actor", "system"))
    for obj in list(session.dirty):
        if isinstance(obj, Tranche):
            change = _tranche_billing(obj)
            if change is not None:
                record(session, actor, "billing:tranche", "tranche", obj.id,
                       change["before"], change["after"])


@event.listens_for(Session, "after_flush")
def _new_groups(session: Session, _context: Any) -> None:
    groups = [obj for obj in session.new if isinstance(obj, SplitGroup)]
    if groups:
        session.info.setdefault("_new_groups", []).extend(groups)


@event.listens_for(Session, "after_flush_postexec")
def _record_new_groups(session: Session, _context: Any) -> None:
    # Added after the flush (ids known): the next flush, or the commit's, writes them.
    actor = str(session.info.get("actor", "system"))
    for group in session.info.pop("_new_groups", []):
        record(session, actor, "billing:split-group", "split-group", group.id, None,
               {"case_id": group.case_id, "key": group.key,
                "resolved_on": group.resolved_on.isoformat(),
                "split": json.loads(group.data)})
