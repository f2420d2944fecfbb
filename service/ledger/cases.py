"""Cases and their cost tranches: opening a case, adding and revising costs, reading a case.

A case stores no victim-identifying data (there is no field for it). Every write is audited.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import allocations
import rules
from service.ledger import audit
from service.ledger.errors import Conflict, NotFound
from service.ledger.money import pence
from service.ledger.tables import Case, Document, Tranche

__all__ = [
    "add_cost",
    "case_body",
    "create_case",
    "find_case",
    "list_cases",
    "revise_cost",
    "tranche_body",
]


def create_case(session: Session, ruleset: rules.Ruleset, data: dict[str, Any], actor: str
                ) -> Case:
    """Open a case. The district must be known, and covered by an arrangement; a named health
    body must be a known organisation. No victim-identifying data is accepted (the schema has
    no field for it)."""
    district = ruleset.district(data["district"], field="district")
    if not any(district.id in a.districts for a in ruleset.arrangements.values()):
        raise rules.NotCovered(f"no arrangement covers district {district.id!r}", field="district")
    if data.get("health_body") is not None:
        ruleset.organisation(data["health_body"], field="health_body")
    if session.scalar(select(Case.id).where(Case.reference == data["reference"])) is not None:
        raise Conflict(f"case {data['reference']!r} already exists", field="reference")
    case = Case(reference=data["reference"], district=district.id,
                health_body=data.get("health_body"), commissioned=data["commissioned"],
                status="open", created_at=audit.now())
    session.add(case)
    session.flush()
    audit.record(session, actor, "create", "case", case.reference, None, _case_row(case))
    return case


def _case_row(case: Case) -> dict[str, Any]:
    return {"reference": case.reference, "district": case.district,
            "health_body": case.health_body, "commissioned": case.commissioned.isoformat(),
            "status": case.status}


def find_case(session: Session, reference: str, lock: bool = False) -> Case:
    """The case ``reference`` (404 if unknown); ``lock`` holds its row until commit."""
    query = select(Case).where(Case.reference == reference)
    if lock:
        query = query.with_for_update()
    case = session.scalar(query)
    if case is None:
        raise NotFound(f"no case {reference!r}")
    return case


def add_cost(session: Session, ruleset: rules.Ruleset, case: Case, data: dict[str, Any],
             actor: str) -> Tranche:
    """Add a cost tranche (not billed until the next billing run)."""
    shared = {i for a in ruleset.arrangements.values() if case.district in a.districts
              for i in a.shared_items}
    if data["item"] not in shared:
        raise rules.NotCovered(f"no arrangement for {case.district!r} shares cost item "
                               f"{data['item']!r}; shared: {', '.join(sorted(shared))}",
                               field="item")
    tranche = Tranche(case_id=case.id, item=data["item"],
                      amount=allocations.to_minor(data["amount"]), incurred=data["incurred"])
    session.add(tranche)
    session.flush()
    audit.record(session, actor, "add-cost", "tranche", tranche.id, None, tranche_body(tranche))
    return tranche


def revise_cost(session: Session, case: Case, tranche_id: int, amount: allocations.Money,
                actor: str) -> Tranche:
    """Revise a tranche's amount; a billed difference settles at the next billing run."""
    tranche = session.scalar(select(Tranche).where(Tranche.id == tranche_id,
                                                   Tranche.case_id == case.id))
    if tranche is None:
        raise NotFound(f"case {case.reference!r} has no cost {tranche_id}")
    before = tranche_body(tranche)
    tranche.amount = allocations.to_minor(amount)
    audit.record(session, actor, "revise-cost", "tranche", tranche.id, before,
                 tranche_body(tranche))
    return tranche


def tranche_body(tranche: Tranche) -> dict[str, Any]:
    """A tranche as the API shows it."""
    return {"id": tranche.id, "item": tranche.item, "amount": pence(tranche.amount),
            "incurred": tranche.incurred.isoformat(), "billed": tranche.split_id is not None,
            "billed_amount": None if tranche.billed_amount is None
            else pence(tranche.billed_amount)}


def case_body(session: Session, case: Case) -> dict[str, Any]:
    """A case with its costs, what is billed and the net invoiced per organisation."""
    tranches = list(session.scalars(select(Tranche).where(Tranche.case_id == case.id)
                                    .order_by(Tranche.id)))
    net = session.execute(select(Document.organisation, func.sum(Document.amount))
                          .where(Document.case_id == case.id)
                          .group_by(Document.organisation)).all()
    order: dict[str, int] = {}
    for organisation in session.scalars(select(Document.organisation).where(
            Document.case_id == case.id).order_by(Document.id)):
        order.setdefault(organisation, len(order))
    return {**_case_row(case),
            "costs": [tranche_body(t) for t in tranches],
            "total": pence(sum(t.amount for t in tranches)),
            "billed": pence(sum(t.billed_amount or 0 for t in tranches if t.split_id)),
            "invoiced": [{"organisation": o, "net": pence(int(amount))}
                         for o, amount in sorted(net, key=lambda row: order.get(row[0], 0))]}


def list_cases(session: Session) -> list[dict[str, Any]]:
    """Every case with its figures, oldest first."""
    return [case_body(session, c) for c in session.scalars(select(Case).order_by(Case.id))]
