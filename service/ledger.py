"""The invoicing ledger: cases, cost tranches, billing runs, corrections, payments, statements.

Invariants, after every command (one transaction each; nothing of a failed command persists):

* for every case, the documents' amounts sum to the billed amounts of its tranches;
* within every split group, each partner's documented net equals its share of the group's
  billed total, as split by the group's stored :class:`rules.ResolvedSplit` (cumulatively, so
  rounding never drifts across tranches);
* documents are never edited (only their payment status); numbers are gap-free per series.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

import allocations
import rules
from service import audit
from service.errors import Rejected
from service.tables import Case, Document, DocumentLine, Series, SplitGroup, Tranche

__all__ = [
    "add_cost",
    "bill",
    "case_body",
    "create_case",
    "document_body",
    "find_case",
    "list_cases",
    "list_documents",
    "pay",
    "rebill",
    "revise_cost",
    "statement",
    "tranche_body",
]

money = allocations.format_money


def _pence(amount: int) -> str:
    return money(allocations.from_minor(amount))


# --- cases and costs ---------------------------------------------------------------------------

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
        raise Rejected(409, f"case {data['reference']!r} already exists",
                       {"reference": ["already exists"]})
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
        raise Rejected(404, f"no case {reference!r}")
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
        raise Rejected(404, f"case {case.reference!r} has no cost {tranche_id}")
    before = tranche_body(tranche)
    tranche.amount = allocations.to_minor(amount)
    audit.record(session, actor, "revise-cost", "tranche", tranche.id, before,
                 tranche_body(tranche))
    return tranche


def tranche_body(tranche: Tranche) -> dict[str, Any]:
    """A tranche as the API shows it."""
    return {"id": tranche.id, "item": tranche.item, "amount": _pence(tranche.amount),
            "incurred": tranche.incurred.isoformat(), "billed": tranche.split_id is not None,
            "billed_amount": None if tranche.billed_amount is None
            else _pence(tranche.billed_amount)}


# --- billing -----------------------------------------------------------------------------------

def _request(case: Case, on: date, tranches: Sequence[Tranche]) -> rules.DhrRequest:
    costs = tuple(rules.Cost(t.item, allocations.from_minor(t.amount)) for t in tranches)
    return rules.DhrRequest(case.district, on, costs, case.health_body,
                            commissioned=case.commissioned)


def _group_for(session: Session, case: Case, split: rules.ResolvedSplit) -> SplitGroup:
    group = session.scalar(select(SplitGroup).where(SplitGroup.case_id == case.id,
                                                    SplitGroup.key == split.key))
    if group is None:
        group = SplitGroup(case_id=case.id, key=split.key, data=json.dumps(split.to_dict()),
                           resolved_on=split.governing_date)
        session.add(group)
        session.flush()
    return group


def _apportion(session: Session, ruleset: rules.Ruleset, case: Case, on: date,
               billed: bool) -> None:
    """Put the case's unbilled (or, for a rebill, billed) tranches into the group of the split
    resolved on ``on``; the next settlement makes every group's net its share."""
    state = Tranche.split_id.is_not(None) if billed else Tranche.split_id.is_(None)
    tranches = list(session.scalars(select(Tranche).where(Tranche.case_id == case.id, state)
                                    .order_by(Tranche.id)))
    if tranches:
        _, split = rules.resolve_split(ruleset, _request(case, on, tranches))
        group = _group_for(session, case, split)
        for tranche in tranches:
            tranche.split_id = group.id
        session.flush()


def bill(session: Session, ruleset: rules.Ruleset, case: Case, on: date, actor: str
         ) -> list[dict[str, Any]]:
    """A billing run: apportion the unbilled tranches under the split resolved on ``on`` (or
    the commission date, if the arrangement says so), then settle every group: at most one
    document per partner, an invoice if what it owes moved up, a credit note if down."""
    _apportion(session, ruleset, case, on, billed=False)
    return _settle(session, case, on, actor, "bill")


def rebill(session: Session, ruleset: rules.Ruleset, case: Case, on: date, actor: str,
           dry_run: bool) -> list[dict[str, Any]]:
    """Re-apportion every billed tranche of the case under the split resolved on ``on``: the
    credit notes and top-ups that make each partner's net its new share. A dry run issues
    nothing (the caller rolls the transaction back) and shows documents without numbers."""
    _apportion(session, ruleset, case, on, billed=True)
    return _settle(session, case, on, actor, "rebill", preview=dry_run)


def _settle(session: Session, case: Case, on: date, actor: str, action: str,
            preview: bool = False) -> list[dict[str, Any]]:
    groups = list(session.scalars(select(SplitGroup).where(SplitGroup.case_id == case.id)
                                  .order_by(SplitGroup.id)))
    tranches = list(session.scalars(select(Tranche).where(
        Tranche.case_id == case.id, Tranche.split_id.is_not(None)).order_by(Tranche.id)))
    documented: dict[tuple[int, str], int] = defaultdict(int)
    for split_id, organisation, amount in session.execute(
            select(DocumentLine.split_id, DocumentLine.organisation, DocumentLine.amount)
            .where(DocumentLine.case_id == case.id)):
        documented[(split_id, organisation)] += amount
    deltas: dict[str, dict[int, int]] = {}
    for group in groups:
        members = [t for t in tranches if t.split_id == group.id]
        owed: dict[str, int] = defaultdict(int)
        if members:
            split = rules.ResolvedSplit.from_dict(json.loads(group.data))
            costs = [rules.Cost(t.item, allocations.from_minor(t.amount)) for t in members]
            for share in split.shares(costs):
                owed[share.organisation] += allocations.to_minor(share.amount)
        organisations = list(owed) + [o for (g, o) in documented if g == group.id
                                      and o not in owed]
        for organisation in organisations:
            delta = owed[organisation] - documented[(group.id, organisation)]
            if delta:
                deltas.setdefault(organisation, {})[group.id] = delta
    run = str(uuid.uuid4())
    issued = []
    if deltas and not preview:
        # Lock both number series in one fixed order before taking any number, so two runs
        # issuing invoices and credit notes in different orders cannot deadlock.
        session.execute(select(Series.name).order_by(Series.name).with_for_update()).all()
    for organisation, lines in deltas.items():
        if sum(lines.values()) == 0:  # moved between groups, owes the same: no document
            if not preview:
                for split_id, amount in lines.items():
                    session.add(DocumentLine(case_id=case.id, organisation=organisation,
                                             split_id=split_id, document_id=None, amount=amount))
                audit.record(session, actor, f"{action}:transfer", "case", case.reference, None,
                             {"organisation": organisation, "run": run,
                              "lines": {str(k): _pence(v) for k, v in lines.items()}})
            continue
        issued.append(_issue(session, case, organisation, lines, on, run, actor, action,
                             preview))
    if not preview:
        for tranche in tranches:
            tranche.billed_amount = tranche.amount
    return issued


def _issue(session: Session, case: Case, organisation: str, lines: dict[int, int], on: date,
           run: str, actor: str, action: str, preview: bool) -> dict[str, Any]:
    total = sum(lines.values())
    kind = "credit-note" if total < 0 else "invoice"  # never zero: see _settle
    corrects = session.scalar(select(Document.number).where(
        Document.case_id == case.id, Document.organisation == organisation)
        .order_by(Document.id.desc()).limit(1))
    number = None if preview else _next_number(session, kind)
    document = Document(number=number or "", kind=kind, case_id=case.id,
                        organisation=organisation, amount=total, issued=on, status="open",
                        corrects=corrects, run=run)
    if preview:
        return document_body(document, case.reference) | {"number": None}
    session.add(document)
    session.flush()
    for split_id, amount in lines.items():
        session.add(DocumentLine(case_id=case.id, organisation=organisation, split_id=split_id,
                                 document_id=document.id, amount=amount))
    body = document_body(document, case.reference)
    audit.record(session, actor, f"{action}:issue", "document", document.number, None, body)
    return body


def _next_number(session: Session, kind: str) -> str:
    """The next number of the series, taken inside the issuing transaction: the row stays
    locked until commit (PostgreSQL) or the writer holds the database (SQLite), and a rollback
    gives the number back, so numbers are unique and gap-free."""
    last, prefix = session.execute(
        update(Series).where(Series.name == kind).values(last=Series.last + 1)
        .returning(Series.last, Series.prefix)).one()
    return f"{prefix}{last:06d}"


# --- documents, payments, statements -----------------------------------------------------------

def document_body(document: Document, reference: str) -> dict[str, Any]:
    """A document as the API shows it (amounts signed: invoices positive, credit notes
    negative)."""
    body: dict[str, Any] = {
        "number": document.number, "kind": document.kind, "case": reference,
        "organisation": document.organisation, "amount": _pence(document.amount),
        "issued": document.issued.isoformat(), "status": document.status,
        "paid_on": document.paid_on.isoformat() if document.paid_on else None}
    if document.corrects:
        body["corrects"] = document.corrects
    return body


def _references(session: Session) -> dict[int, str]:
    return {row[0]: row[1] for row in session.execute(select(Case.id, Case.reference))}


def list_documents(session: Session, organisation: str | None = None, case: str | None = None,
                   status: str | None = None) -> list[dict[str, Any]]:
    """Invoices and credit notes, oldest first, optionally filtered."""
    query = select(Document, Case.reference).join(Case, Case.id == Document.case_id)
    if organisation:
        query = query.where(Document.organisation == organisation)
    if case:
        query = query.where(Case.reference == case)
    if status:
        query = query.where(Document.status == status)
    return [document_body(d, ref) for d, ref in session.execute(query.order_by(Document.id))]


def pay(session: Session, number: str, on: date, actor: str) -> dict[str, Any]:
    """Record a document as paid (a credit note: settled) on ``on``."""
    document = session.scalar(select(Document).where(Document.number == number)
                              .with_for_update())
    if document is None:
        raise Rejected(404, f"no document {number!r}")
    reference = session.scalar(select(Case.reference).where(Case.id == document.case_id)) or ""
    if document.status == "paid":
        raise Rejected(409, f"{number} was already recorded as paid on {document.paid_on}",
                       {"number": ["already paid"]})
    if on < document.issued:
        raise Rejected(422, f"{number} was issued on {document.issued}; it cannot be paid "
                       "before", {"date": ["before the document was issued"]})
    before = document_body(document, reference)
    document.status, document.paid_on = "paid", on
    after = document_body(document, reference)
    audit.record(session, actor, "pay", "document", number, before, after)
    return after


def statement(session: Session, organisation: str, start: date | None, end: date | None
              ) -> dict[str, Any]:
    """An organisation's documents issued in ``[start, end]`` (inclusive), with totals."""
    query = select(Document, Case.reference).join(Case, Case.id == Document.case_id).where(
        Document.organisation == organisation)
    if start:
        query = query.where(Document.issued >= start)
    if end:
        query = query.where(Document.issued <= end)
    rows = list(session.execute(query.order_by(Document.issued, Document.id)))
    invoiced = sum(d.amount for d, _ in rows)
    paid = sum(d.amount for d, _ in rows if d.status == "paid")
    return {"organisation": organisation,
            "from": start.isoformat() if start else None, "to": end.isoformat() if end else None,
            "documents": [document_body(d, ref) for d, ref in rows],
            "invoiced": _pence(invoiced), "paid": _pence(paid),
            "outstanding": _pence(invoiced - paid)}


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
            "total": _pence(sum(t.amount for t in tranches)),
            "billed": _pence(sum(t.billed_amount or 0 for t in tranches if t.split_id)),
            "invoiced": [{"organisation": o, "net": _pence(int(amount))}
                         for o, amount in sorted(net, key=lambda row: order.get(row[0], 0))]}


def list_cases(session: Session) -> list[dict[str, Any]]:
    """Every case with its figures, oldest first."""
    return [case_body(session, c) for c in session.scalars(select(Case).order_by(Case.id))]
