"""The ledger's documents as this part reads them: the same bodies the API answers, turned into
:mod:`service.documents.model` values, and the record of each sending."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import rules
from service.documents import render, settings
from service.documents.errors import NotFound
from service.documents.model import Document, Issuer, Line, Statement
from service.ledger import audit, payments
from service.ledger.tables import Case, DocumentLine, DocumentSending, SplitGroup, Tranche
from service.ledger.tables import Document as DocumentRow

__all__ = ["between", "find", "record_sending", "sendings", "statement_pdf"]


def _names(ruleset: rules.Ruleset) -> dict[str, str]:
    return {identifier: body.name for identifier, body in ruleset.organisations.items()}


def _derived_lines(session: Session, row: DocumentRow, reference: str) -> list[Line]:
    """Lines for a ledger body that lists none: one per split group the document charges,
    naming the group's cost items, the latest date incurred, and the partner's fraction."""
    lines = []
    for split_id, amount in session.execute(
            select(DocumentLine.split_id, DocumentLine.amount)
            .where(DocumentLine.document_id == row.id).order_by(DocumentLine.id)):
        group = session.get(SplitGroup, split_id)
        tranches = list(session.scalars(select(Tranche).where(Tranche.split_id == split_id)
                                        .order_by(Tranche.id)))
        fraction = None
        if group is not None:
            partners = json.loads(group.data)["partners"]
            weights = {organisation: Fraction(weight) for organisation, _, weight in partners}
            total = sum(weights.values(), Fraction(0))
            if row.organisation in weights and total:
                fraction = str(weights[row.organisation] / total)
        items = ", ".join(dict.fromkeys(t.item for t in tranches))
        lines.append(Line(case=reference, item=items,
                          incurred=max((t.incurred for t in tranches), default=None),
                          fraction=fraction, amount=amount))
    return lines


def _document(session: Session, names: dict[str, str], issuer: Issuer, row: DocumentRow,
              reference: str) -> Document:
    body = payments.document_body(row, reference)
    lines = () if body.get("lines") else tuple(_derived_lines(session, row, reference))
    return Document.from_body(body, names, issuer, lines)


def find(session: Session, ruleset: rules.Ruleset, number: str
         ) -> tuple[int, dict[str, Any], Document]:
    """The document numbered ``number``: its row id, the ledger's body of it, and its value.

    Raises:
        NotFound: no document has that number.
    """
    found = session.execute(select(DocumentRow, Case.reference)
                            .join(Case, Case.id == DocumentRow.case_id)
                            .where(DocumentRow.number == number)).first()
    if found is None:
        raise NotFound(f"no invoice or credit note is numbered {number!r}")
    row, reference = found
    document = _document(session, _names(ruleset), settings.issuer(session), row, reference)
    return row.id, payments.document_body(row, reference), document


def between(session: Session, ruleset: rules.Ruleset, start: date, end: date) -> list[Document]:
    """Documents issued from ``start`` to ``end`` inclusive, in number order within each date."""
    names, issuer = _names(ruleset), settings.issuer(session)
    rows = session.execute(select(DocumentRow, Case.reference)
                           .join(Case, Case.id == DocumentRow.case_id)
                           .where(DocumentRow.issued >= start, DocumentRow.issued <= end)
                           .order_by(DocumentRow.issued, DocumentRow.id))
    return [_document(session, names, issuer, row, reference) for row, reference in rows]


def statement_pdf(session: Session, ruleset: rules.Ruleset, body: Mapping[str, Any],
                  today: date | None = None) -> bytes:
    """The statement the ledger answered (``body``) as a PDF addressed to the organisation's
    billing contact. The transaction ends before rendering (no lock is held meanwhile)."""
    try:
        statement = Statement.from_body(body, _names(ruleset))
        issuer = settings.issuer(session)
        contact = settings.contact(session, statement.organisation.id)
    finally:
        session.rollback()
    return render.statement_pdf(statement, issuer, contact, today or date.today())


def _sent_at(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds") + "Z"


def sendings(session: Session, document_id: int) -> list[dict[str, str]]:
    """Every time the document was emailed, oldest first: ``{"to", "sent_at"}``."""
    return [{"to": s.recipient, "sent_at": _sent_at(s.sent_at)}
            for s in session.scalars(select(DocumentSending)
                                     .where(DocumentSending.document_id == document_id)
                                     .order_by(DocumentSending.id))]


def record_sending(session: Session, document_id: int, number: str, recipient: str,
                   message_id: str, actor: str) -> dict[str, str]:
    """Record that the document was emailed (and audit it): ``{"to", "sent_at"}``."""
    sending = DocumentSending(document_id=document_id, recipient=recipient,
                              sent_at=audit.now(), actor=actor, message_id=message_id)
    session.add(sending)
    session.flush()
    answer = {"to": recipient, "sent_at": _sent_at(sending.sent_at)}
    audit.record(session, actor, "send", "document", number, None,
                 answer | {"message_id": message_id})
    return answer

