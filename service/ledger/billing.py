"""Billing runs and rebills: putting tranches into split groups and issuing the documents
that settle them.

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

from sqlalchemy import select, update
from sqlalchemy.orm import Session

import allocations
import rules
from service.ledger import audit, settlement
from service.ledger.money import pence
from service.ledger.payments import document_body
from service.ledger.tables import Case, Document, DocumentLine, Series, SplitGroup, Tranche

__all__ = [
    "bill",
    "rebill",
]


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
    """Load the case's groups and what is documented, let :func:`settlement.settle` decide,
    and record its decisions (documents with numbers, transfer lines, audit events)."""
    groups = list(session.scalars(select(SplitGroup).where(SplitGroup.case_id == case.id)
                                  .order_by(SplitGroup.id)))
    tranches = list(session.scalars(select(Tranche).where(
        Tranche.case_id == case.id, Tranche.split_id.is_not(None)).order_by(Tranche.id)))
    decided = settlement.settle(
        [settlement.Group(g.id, rules.ResolvedSplit.from_dict(json.loads(g.data)),
                          tuple(settlement.BilledTranche(t.item, t.amount)
                                for t in tranches if t.split_id == g.id))
         for g in groups],
        _documented(session, case), _issued(session, case))
    run = str(uuid.uuid4())
    issued = []
    if decided.documents and not preview:
        # Lock both number series in one fixed order before taking any number, so two runs
        # issuing invoices and credit notes in different orders cannot deadlock.
        session.execute(select(Series.name).order_by(Series.name).with_for_update()).all()
    for decision in decided.decisions:
        if decision.kind is None:
            if not preview:
                for split_id, amount in decision.lines:
                    session.add(DocumentLine(case_id=case.id, organisation=decision.organisation,
                                             split_id=split_id, document_id=None, amount=amount))
                audit.record(session, actor, f"{action}:transfer", "case", case.reference, None,
                             {"organisation": decision.organisation, "run": run,
                              "lines": {str(k): pence(v) for k, v in decision.lines}})
            continue
        issued.append(_issue(session, case, decision, on, run, actor, action, preview))
    if not preview:
        for tranche in tranches:
            tranche.billed_amount = tranche.amount
    return issued


def _documented(session: Session, case: Case) -> dict[tuple[int, str], int]:
    documented: dict[tuple[int, str], int] = defaultdict(int)
    for split_id, organisation, amount in session.execute(
            select(DocumentLine.split_id, DocumentLine.organisation, DocumentLine.amount)
            .where(DocumentLine.case_id == case.id)):
        documented[(split_id, organisation)] += amount
    return documented


def _issued(session: Session, case: Case) -> list[settlement.IssuedDocument]:
    lines: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for document_id, split_id, amount in session.execute(
            select(DocumentLine.document_id, DocumentLine.split_id, DocumentLine.amount)
            .where(DocumentLine.case_id == case.id, DocumentLine.document_id.is_not(None))
            .order_by(DocumentLine.id)):
        if document_id is not None:
            lines[document_id].append((split_id, amount))
    return [settlement.IssuedDocument(d.number, d.organisation, tuple(lines[d.id]))
            for d in session.scalars(select(Document).where(Document.case_id == case.id)
                                     .order_by(Document.id))]


def _issue(session: Session, case: Case, decision: settlement.Decision, on: date, run: str,
           actor: str, action: str, preview: bool) -> dict[str, Any]:
    kind = decision.kind or "invoice"  # never None here: transfers issue no document
    number = None if preview else _next_number(session, kind)
    document = Document(number=number or "", kind=kind, case_id=case.id,
                        organisation=decision.organisation, amount=decision.amount, issued=on,
                        status="open", corrects=decision.corrects[0] if decision.corrects
                        else None, run=run)
    if preview:
        return document_body(document, case.reference) | {"number": None}
    session.add(document)
    session.flush()
    for split_id, amount in decision.lines:
        session.add(DocumentLine(case_id=case.id, organisation=decision.organisation,
                                 split_id=split_id, document_id=document.id, amount=amount))
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
