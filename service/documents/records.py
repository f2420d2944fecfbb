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

import allocations
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


def _tranche_shares(split: rules.ResolvedSplit, tranches: list[Tranche], organisation: str
                    ) -> list[int]:
    """The organisation's part of each tranche (pence), split cumulatively as billing does:
    part k = its share of tranches 1..k less its share of tranches 1..k-1."""
    parts, before = [], 0
    for k in range(1, len(tranches) + 1):
        costs = [rules.Cost(t.item, allocations.from_minor(t.billed_amount or 0))
                 for t in tranches[:k]]
        cumulative = sum(allocations.to_minor(share.amount) for share in split.shares(costs)
                         if share.organisation == organisation)
        parts.append(cumulative - before)
        before = cumulative
    return parts


def _derived_lines(session: Session, row: DocumentRow, reference: str) -> list[Line]:
    """Lines for a ledger body that lists none, from the split groups the document charges.

    Within a group, earlier documents to the same partner took the first tranches; when this
    document's charge is exactly the partner's part of the next ones, it gets a line per
    tranche (item, date incurred, fraction, part). Otherwise (a correction after a revision)
    one line for the group names its items and carries the whole charge. Either way the lines
    sum to the document's amount.
    """
    lines = []
    for line_id, split_id, amount in session.execute(
            select(DocumentLine.id, DocumentLine.split_id, DocumentLine.amount)
            .where(DocumentLine.document_id == row.id).order_by(DocumentLine.id)):
        group = session.get(SplitGroup, split_id)
        tranches = list(session.scalars(select(Tranche).where(Tranche.split_id == split_id)
                                        .order_by(Tranche.id)))
        if group is None or not tranches:
            lines.append(Line(reference, "", None, None, amount))
            continue
        split = rules.ResolvedSplit.from_dict(json.loads(group.data))
        weights = {p.organisation: p.weight for p in split.partners}
        total = sum(weights.values(), Fraction(0))
        fraction = (str(Fraction(weights[row.organisation]) / total)
                    if row.organisation in weights and total else None)
        earlier = sum(session.scalars(select(DocumentLine.amount).where(
            DocumentLine.split_id == split_id, DocumentLine.organisation == row.organisation,
            DocumentLine.id < line_id)))
        parts = _tranche_shares(split, tranches, row.organisation)
        running, first, last = 0, None, None
        for index, part in enumerate(parts):
            if running == earlier and first is None:
                first = index
            running += part
            if first is not None and running == earlier + amount:
                last = index
                break
        if first is not None and last is not None and amount > 0:
            lines.extend(Line(reference, t.item, t.incurred, fraction, part)
                         for t, part in zip(tranches[first:last + 1], parts[first:last + 1],
                                            strict=True))
        else:
            lines.append(Line(reference, ", ".join(dict.fromkeys(t.item for t in tranches)),
                              max(t.incurred for t in tranches), fraction, amount))
    return lines


def _document(session: Session, names: dict[str, str], issuer: Issuer, row: DocumentRow,
              reference: str) -> Document:
    body = payments.document_body(session, row)
    lines = tuple(_derived_lines(session, row, reference))  # per tranche, as issued
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
    return row.id, payments.document_body(session, row), document


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

