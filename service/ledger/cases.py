"""Cases and their cost tranches: opening a case, adding and revising costs, reading a case.

A case stores no victim-identifying data (there is no field for it). Every write is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import allocations
import rules
from service.ledger import audit, dates
from service.ledger.errors import Conflict, Invalid, NotFound
from service.ledger.money import pence
from service.ledger.tables import Case, DocumentLine, Tranche

__all__ = [
    "STATUSES",
    "add_cost",
    "case_body",
    "create_case",
    "edit_case",
    "find_case",
    "health_notes",
    "list_cases",
    "revise_cost",
    "tranche_body",
]

#: A case's statuses.
STATUSES = ("open", "closed", "withdrawn")


def health_notes(ruleset: rules.Ruleset, district_id: str, on: date,
                 health_body: str | None) -> list[str]:
    """Check a case's health body on its commission date; return notes for the answer.

    A district split between commissioners on ``on`` needs one named; any statutory health
    commissioner active on ``on`` (or starting later: the review may outlive a
    reorganisation) may be named (the victim's GP registration decides), with a note when it
    lies outside the district map.

    Raises:
        Invalid: naming ``health_body`` (the choice to make).
        rules.RulesError: naming ``health_body`` (unknown, or not a commissioner then).
    """
    district = ruleset.district(district_id, field="district")
    candidates = rules.health_bodies_on(ruleset, district, on)
    named = ruleset.organisations.get(health_body or "")
    if named is not None and named.active and on < min(p.start for p in named.active):
        # a commissioner that started after the commission date (the review outlived a
        # reorganisation): checked on the day it started
        on = min(p.start for p in named.active)
        candidates = rules.health_bodies_on(ruleset, district, on)
    if health_body is None:
        if len(candidates) > 1:
            raise Invalid(f"district {district.id!r} is split between health commissioners on "
                          f"{on.isoformat()}: {', '.join(candidates)}; name the relevant one "
                          "as health_body", field="health_body")
        return []
    body = rules.health_body_on(ruleset, district, on, health_body, any_health_body=True)
    if body in candidates:
        return []
    return [f"{ruleset.name_of(body)} ({body}) lies outside the district map for "
            f"{district.id} on {on.isoformat()} (there: {', '.join(candidates) or 'none'}); "
            "accepted as named, since the victim's GP registration decides"]


def create_case(session: Session, ruleset: rules.Ruleset, data: dict[str, Any], actor: str
                ) -> tuple[Case, list[str]]:
    """Open a case, with notes for the answer. The district must be known, and covered by an
    arrangement; a district split between health commissioners on the commission date needs
    ``health_body``. No victim-identifying data is accepted (there is no field for it)."""
    district = ruleset.district(data["district"], field="district")
    if not any(district.id in a.districts for a in ruleset.arrangements.values()):
        raise rules.NotCovered(f"no arrangement covers district {district.id!r}", field="district")
    dates.check_fact(data["commissioned"], "commissioned")
    notes = health_notes(ruleset, district.id, data["commissioned"], data.get("health_body"))
    if session.scalar(select(Case.id).where(Case.reference == data["reference"])) is not None:
        raise Conflict(f"case {data['reference']!r} already exists", field="reference")
    case = Case(reference=data["reference"], district=district.id,
                health_body=data.get("health_body"), commissioned=data["commissioned"],
                status="open", created_at=audit.now())
    session.add(case)
    session.flush()
    audit.record(session, actor, "create", "case", case.reference, None, _case_row(case))
    return case, notes


def edit_case(session: Session, ruleset: rules.Ruleset, case: Case, data: dict[str, Any],
              actor: str) -> list[str]:
    """Change a case's health body, commission date, status or reference (audited, before and
    after); returns notes for the answer. Documents already issued are not touched: the next
    billing run or rebill uses the case as it now stands."""
    before = _case_row(case)
    commissioned = data.get("commissioned", case.commissioned)
    health_body = data.get("health_body", case.health_body)
    if "commissioned" in data:
        dates.check_fact(commissioned, "commissioned")
    notes = health_notes(ruleset, case.district, commissioned, health_body)
    reference = data.get("reference", case.reference)
    if reference != case.reference and session.scalar(
            select(Case.id).where(Case.reference == reference)) is not None:
        raise Conflict(f"case {reference!r} already exists", field="reference")
    case.reference, case.commissioned = reference, commissioned
    case.health_body, case.status = health_body, data.get("status", case.status)
    session.flush()
    after = _case_row(case)
    if after != before:
        audit.record(session, actor, "edit", "case", before["reference"], before, after)
    return notes


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
    dates.check_fact(data["incurred"], "incurred")
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


def case_body(session: Session, case: Case, notes: Sequence[str] = ()) -> dict[str, Any]:
    """A case with its costs, what is billed and the net invoiced per organisation (the
    partner whose share it is, documents on its behalf included)."""
    tranches = list(session.scalars(select(Tranche).where(Tranche.case_id == case.id)
                                    .order_by(Tranche.id)))
    net: dict[str, int] = {}
    for organisation, amount in session.execute(
            select(DocumentLine.organisation, DocumentLine.amount)
            .where(DocumentLine.case_id == case.id, DocumentLine.document_id.is_not(None))
            .order_by(DocumentLine.document_id, DocumentLine.id)):
        net[organisation] = net.get(organisation, 0) + amount
    body = {**_case_row(case),
            "costs": [tranche_body(t) for t in tranches],
            "total": pence(sum(t.amount for t in tranches)),
            "billed": pence(sum(t.billed_amount or 0 for t in tranches if t.split_id)),
            "invoiced": [{"organisation": o, "net": pence(amount)} for o, amount in net.items()]}
    if notes:
        body["notes"] = list(notes)
    return body


def list_cases(session: Session, status: str | None = None, district: str | None = None,
               year: str | None = None, q: str | None = None) -> list[dict[str, Any]]:
    """Cases with their figures, oldest first, filtered by status, district, the year they were
    commissioned (``2015`` a calendar year, ``2015-16`` a financial year) and ``q`` (part of the
    reference, any case)."""
    query = select(Case)
    if status:
        query = query.where(Case.status == status)
    if district:
        query = query.where(Case.district == district)
    if year:
        start, end = _year_span(year)
        query = query.where(Case.commissioned >= start, Case.commissioned < end)
    if q:
        query = query.where(func.lower(Case.reference).contains(q.lower(), autoescape=True))
    return [case_body(session, c) for c in session.scalars(query.order_by(Case.id))]


def _year_span(year: str) -> tuple[date, date]:
    if "-" in year:
        start = rules.financial_year_start(year)
        return start, date(start.year + 1, 4, 1)
    return date(int(year), 1, 1), date(int(year) + 1, 1, 1)
