"""The ledger's invariants, checked straight from the tables (not through the API)."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

import allocations
import rules
from service.ledger import dates, payments
from service.ledger.tables import (
    Case,
    Correction,
    CreditAllocation,
    Document,
    DocumentLine,
    Payment,
    Reversal,
    SplitGroup,
    Tranche,
)


def check(app: Flask) -> None:
    """Σ documents = Σ billed amounts per case; every group's net per partner = its share of
    the group's billed total; numbers unique and gap-free per series; documents are signed by
    kind; every billed tranche has its split."""
    with app.extensions["apportion.db"].session() as session:
        for case in session.scalars(select(Case)):
            tranches = list(session.scalars(select(Tranche).where(Tranche.case_id == case.id)))
            documents = list(session.scalars(select(Document).where(
                Document.case_id == case.id)))
            billed = sum(t.billed_amount or 0 for t in tranches if t.split_id is not None)
            assert sum(d.amount for d in documents) == billed, case.reference
            lines = list(session.scalars(select(DocumentLine).where(
                DocumentLine.case_id == case.id)))
            for document in documents:
                assert sum(line.amount for line in lines
                           if line.document_id == document.id) == document.amount
                assert (document.amount > 0) == (document.kind == "invoice")
            net: dict[tuple[int, str], int] = defaultdict(int)
            for line in lines:
                net[(line.split_id, line.organisation)] += line.amount
            for group in session.scalars(select(SplitGroup).where(SplitGroup.case_id == case.id)):
                members = [t for t in tranches if t.split_id == group.id]
                owed: dict[str, int] = defaultdict(int)
                if members:
                    split = rules.ResolvedSplit.from_dict(json.loads(group.data))
                    costs = [rules.Cost(t.item, allocations.from_minor(t.billed_amount or 0))
                             for t in members]
                    for share in split.shares(costs):
                        owed[share.organisation] += allocations.to_minor(share.amount)
                for organisation in set(owed) | {o for (g, o) in net if g == group.id}:
                    assert net[(group.id, organisation)] == owed[organisation], (
                        case.reference, group.id, organisation)
        for kind, prefix in (("invoice", "INV-"), ("credit-note", "CN-")):
            numbers = sorted(int(n.removeprefix(prefix)) for n in session.scalars(
                select(Document.number).where(Document.kind == kind)))
            assert numbers == list(range(1, len(numbers) + 1)), (kind, numbers[:20])
        check_settlement(session)


def check_settlement(session: Session) -> None:
    """Payments, credit and statements: nothing paid or credited beyond a document's amount,
    each figure the sum of its records, statuses as the figures say, allocations within one
    case and organisation, corrections pointing back to the same partner's earlier documents,
    dates in number order, statements that balance, and aged debt equal to the balance."""
    documents = {d.id: d for d in session.scalars(select(Document).order_by(Document.id))}
    issued = [d.issued for d in documents.values()]
    assert issued == sorted(issued), "documents are dated in the order they are numbered"
    paid: dict[int, int] = defaultdict(int)
    reversed_ids = set(session.scalars(select(Reversal.payment_id)))
    for payment in session.scalars(select(Payment)):
        assert payment.amount > 0
        assert payment.received >= documents[payment.document_id].issued
        if payment.id not in reversed_ids:
            paid[payment.document_id] += payment.amount
    credited: dict[int, int] = defaultdict(int)
    for allocation in session.scalars(select(CreditAllocation)):
        credit, invoice = documents[allocation.credit_note_id], documents[allocation.invoice_id]
        assert credit.kind == "credit-note" and invoice.kind == "invoice"
        assert credit.case_id == invoice.case_id
        assert credit.organisation == invoice.organisation
        assert allocation.amount > 0
        credited[credit.id] += allocation.amount
        credited[invoice.id] += allocation.amount
    lines: dict[int, set[str]] = defaultdict(set)
    for line in session.scalars(select(DocumentLine).where(DocumentLine.document_id.is_not(None))):
        assert line.document_id is not None
        lines[line.document_id].add(line.organisation)
    for document in documents.values():
        assert document.paid == paid[document.id], document.number
        assert document.credited == credited[document.id], document.number
        assert 0 <= document.paid + document.credited <= abs(document.amount), document.number
        assert document.status == payments.status(document), document.number
        assert document.due is not None and document.due >= document.issued
        partner = document.on_behalf_of or document.organisation
        assert lines[document.id] == {partner}, document.number
        if document.on_behalf_of:
            assert document.on_behalf_of != document.organisation
    for correction in session.scalars(select(Correction)):
        later, earlier = documents[correction.document_id], documents[correction.corrected_id]
        assert earlier.id < later.id and earlier.case_id == later.case_id
        assert lines[earlier.id] == lines[later.id]
    for organisation in {d.organisation for d in documents.values()}:
        whole = payments.statement(session, organisation, None, None)
        entries = whole["entries"]
        total = sum(_pence(e["amount"]) for e in entries)
        assert _pence(whole["closing_balance"]) == total
        running = 0
        for entry in entries:
            running += _pence(entry["amount"])
            assert _pence(entry["balance"]) == running
        if entries:
            middle = date.fromisoformat(entries[len(entries) // 2]["date"])
            part = payments.statement(session, organisation, middle, None)
            assert _pence(part["opening_balance"]) + sum(
                _pence(e["amount"]) for e in part["entries"]) == _pence(part["closing_balance"])
            assert _pence(part["closing_balance"]) == total
    aged = payments.aged_debt(session, dates.today())
    for row in aged["organisations"]:
        assert _pence(row["total"]) == payments.balance(session, row["organisation"])
        assert _pence(row["total"]) == sum(_pence(row[b]) for b, _ in payments.AGE_BANDS)
    for organisation in {d.organisation for d in documents.values()} - {
            r["organisation"] for r in aged["organisations"]}:
        assert payments.balance(session, organisation) == 0


def _pence(text: str) -> int:
    return allocations.to_minor(allocations.parse_money(text, allow_negative=True))
