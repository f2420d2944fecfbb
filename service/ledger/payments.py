"""Documents as the ledger shows them, their payment, and statements."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.ledger import audit
from service.ledger.errors import Conflict, Invalid, NotFound
from service.ledger.money import pence
from service.ledger.tables import Case, Document

__all__ = [
    "document_body",
    "list_documents",
    "pay",
    "statement",
]


def document_body(document: Document, reference: str) -> dict[str, Any]:
    """A document as the API shows it (amounts signed: invoices positive, credit notes
    negative)."""
    body: dict[str, Any] = {
        "number": document.number, "kind": document.kind, "case": reference,
        "organisation": document.organisation, "amount": pence(document.amount),
        "issued": document.issued.isoformat(), "status": document.status,
        "paid_on": document.paid_on.isoformat() if document.paid_on else None}
    if document.corrects:
        body["corrects"] = document.corrects
    return body


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
        raise NotFound(f"no document {number!r}")
    reference = session.scalar(select(Case.reference).where(Case.id == document.case_id)) or ""
    if document.status == "paid":
        raise Conflict(f"{number} was already recorded as paid on {document.paid_on}",
                       field="number")
    if on < document.issued:
        raise Invalid(f"{number} was issued on {document.issued}; it cannot be paid before",
                      field="date")
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
            "invoiced": pence(invoiced), "paid": pence(paid),
            "outstanding": pence(invoiced - paid)}
