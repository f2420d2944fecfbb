"""Documents as the ledger shows them; payments, reversals and credit; statements and aged debt.

Invariants (checked after every command by the ledger state machine):

* a document's ``paid`` and ``credited`` never exceed its amount: nothing is paid that was not
  invoiced net of credit, and no credit is used twice (``outstanding`` is never negative);
* a credit note's credit goes to the same organisation's open invoices on the same case,
  oldest first, on its issue date; what is left is held as credit (and used by the next
  invoice of the case, or refunded as a payment against the credit note);
* a payment is never deleted: a mistake is reversed (once), and both are audited;
* a statement's closing balance is its opening balance plus its entries; at any date the
  balance of an organisation equals the total of its aged debt.

Signs: amounts are signed by kind (invoices positive, credit notes negative); a document's
``paid``, ``credited`` and ``outstanding`` carry its sign, and ``amount = paid + credited +
outstanding``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.ledger import audit, dates
from service.ledger.errors import Conflict, Invalid, NotFound
from service.ledger.money import pence
from service.ledger.tables import (
    Case,
    Correction,
    CreditAllocation,
    Document,
    DocumentLine,
    IssuerSettings,
    Payment,
    Reversal,
    SplitGroup,
    Tranche,
)

__all__ = [
    "AGE_BANDS",
    "DEFAULT_PAYMENT_TERMS_DAYS",
    "STATUSES",
    "aged_debt",
    "allocate_credit",
    "balance",
    "document_bodies",
    "document_body",
    "find_document",
    "list_documents",
    "list_payments",
    "movements",
    "pay_outstanding",
    "payment_terms_days",
    "record_payment",
    "reverse_payment",
    "statement",
]

#: Document statuses, from what is settled against them.
STATUSES = ("open", "part-paid", "paid", "credited")
#: Aged-debt bands: days past due (upper bound inclusive; ``None``: no bound).
AGE_BANDS: tuple[tuple[str, int | None], ...] = (
    ("current", 0), ("1-30", 30), ("31-60", 60), ("61-90", 90), ("over-90", None))
DEFAULT_PAYMENT_TERMS_DAYS = 30


def payment_terms_days(session: Session) -> int:
    """The issuer's payment terms in days (the issuer settings an admin keeps; 30 until
    then)."""
    terms = session.scalar(select(IssuerSettings.payment_terms_days).limit(1))
    return DEFAULT_PAYMENT_TERMS_DAYS if terms is None else int(terms)


# -- documents -------------------------------------------------------------------------------

def outstanding(document: Document) -> int:
    """What is still owed on it (pence, signed like the document)."""
    sign = 1 if document.amount >= 0 else -1
    return document.amount - sign * (document.paid + document.credited)


def status(document: Document) -> str:
    """``open`` (nothing settled), ``part-paid``, ``paid`` or ``credited`` (settled in full,
    by payments or by credit). A credit note is ``open`` while any of its credit is held."""
    left = outstanding(document)
    if left == 0:
        return "paid" if document.paid else "credited"
    if document.amount < 0 or left == document.amount:
        return "open"
    return "part-paid"


def _refresh(document: Document) -> None:
    document.status = status(document)


def find_document(session: Session, number: str, lock: bool = False) -> Document:
    """The document numbered ``number`` (:class:`NotFound` if none)."""
    query = select(Document).where(Document.number == number)
    document = session.scalar(query.with_for_update() if lock else query)
    if document is None:
        raise NotFound(f"no invoice or credit note {number!r}")
    return document


def document_body(session: Session, document: Document) -> dict[str, Any]:
    """One document as the API shows it."""
    return document_bodies(session, [document])[0]


def document_bodies(session: Session, documents: Sequence[Document]) -> list[dict[str, Any]]:
    """Documents as the API shows them: ``{"number", "kind", "case", "organisation",
    "on_behalf_of"?, "amount", "issued", "due", "status", "paid", "credited", "outstanding",
    "corrects": [numbers], "lines": [{"case", "item", "incurred", "fraction", "amount"}]}``."""
    if not documents:
        return []
    ids = [d.id for d in documents if d.id is not None]
    references = {i: r for i, r in session.execute(select(Case.id, Case.reference).where(
        Case.id.in_({d.case_id for d in documents})))}
    corrects: dict[int, list[str]] = defaultdict(list)
    for document_id, number in session.execute(
            select(Correction.document_id, Document.number)
            .join(Document, Document.id == Correction.corrected_id)
            .where(Correction.document_id.in_(ids)).order_by(Document.id)):
        corrects[document_id].append(number)
    lines = list(session.scalars(select(DocumentLine).where(DocumentLine.document_id.in_(ids))
                                 .order_by(DocumentLine.id)))
    described = _describe_groups(session, {line.split_id for line in lines})
    per_document: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for line in lines:
        items, incurred, fractions = described.get(line.split_id, ("", None, {}))
        assert line.document_id is not None
        per_document[line.document_id].append({
            "item": items,
            "incurred": incurred, "fraction": fractions.get(line.organisation),
            "amount": pence(line.amount)})
    bodies = []
    for document in documents:
        reference = references.get(document.case_id, "")
        sign = 1 if document.amount >= 0 else -1
        body: dict[str, Any] = {
            "number": document.number, "kind": document.kind, "case": reference,
            "organisation": document.organisation}
        if document.on_behalf_of:
            body["on_behalf_of"] = document.on_behalf_of
        body |= {
            "amount": pence(document.amount), "issued": document.issued.isoformat(),
            "due": (document.due or document.issued).isoformat(), "status": status(document),
            "paid": pence(sign * document.paid), "credited": pence(sign * document.credited),
            "outstanding": pence(outstanding(document)),
            "corrects": corrects.get(document.id, []),
            "lines": [{"case": reference} | line for line in per_document.get(document.id, [])]}
        bodies.append(body)
    return bodies


def _describe_groups(session: Session, group_ids: set[int]
                     ) -> dict[int, tuple[str, str | None, dict[str, str]]]:
    """Per split group: its cost items (in order of their first tranche), the latest date
    incurred, each partner's fraction (aggregated in SQL: a group's tranches are not loaded)."""
    described: dict[int, tuple[str, str | None, dict[str, str]]] = {}
    if not group_ids:
        return described
    items: dict[int, list[str]] = defaultdict(list)
    latest: dict[int, date] = {}
    for split_id, item, incurred in session.execute(
            select(Tranche.split_id, Tranche.item, func.max(Tranche.incurred))
            .where(Tranche.split_id.in_(group_ids)).group_by(Tranche.split_id, Tranche.item)
            .order_by(Tranche.split_id, func.min(Tranche.id))):
        assert split_id is not None
        items[split_id].append(item)
        latest[split_id] = max(latest.get(split_id, incurred), incurred)
    for group in session.scalars(select(SplitGroup).where(SplitGroup.id.in_(group_ids))):
        data = json.loads(group.data)
        weights = {o: Fraction(w) for o, _, w in data["partners"]}
        total = sum(weights.values(), Fraction(0))
        last = latest.get(group.id)
        described[group.id] = (", ".join(items.get(group.id, ())),
                               last.isoformat() if last else None,
                               {o: str(w / total) for o, w in weights.items() if total})
    return described


def list_documents(session: Session, organisation: str | None = None, case: str | None = None,
                   status: str | None = None, from_: date | None = None,
                   to: date | None = None) -> list[dict[str, Any]]:
    """Invoices and credit notes, oldest first, filtered by the organisation they are
    addressed to, case reference, status and issue dates (inclusive)."""
    query = select(Document).join(Case, Case.id == Document.case_id)
    if organisation:
        query = query.where(Document.organisation == organisation)
    if case:
        query = query.where(Case.reference == case)
    if status:
        query = query.where(Document.status == status)
    if from_:
        query = query.where(Document.issued >= from_)
    if to:
        query = query.where(Document.issued <= to)
    return document_bodies(session, list(session.scalars(query.order_by(Document.id))))


# -- credit ----------------------------------------------------------------------------------

def allocate_credit(session: Session, case_id: int, organisation: str, on: date) -> None:
    """Set the organisation's held credit on the case against its open invoices on the case,
    oldest credit first onto the oldest invoice first, on ``on``. Reads only the documents
    with something outstanding, and the invoices only when credit is held."""
    owned = select(Document).where(Document.case_id == case_id,
                                   Document.organisation == organisation)
    credits = list(session.scalars(owned.where(
        Document.amount < 0, Document.paid + Document.credited < -Document.amount)
        .order_by(Document.issued, Document.id)))
    if not credits:
        return
    invoices = list(session.scalars(owned.where(
        Document.amount > 0, Document.paid + Document.credited < Document.amount)
        .order_by(Document.issued, Document.id)))
    for credit in credits:
        for invoice in invoices:
            amount = min(-outstanding(credit), outstanding(invoice))
            if amount <= 0:
                continue
            session.add(CreditAllocation(credit_note_id=credit.id, invoice_id=invoice.id,
                                         allocated_on=on, amount=amount))
            credit.credited += amount
            invoice.credited += amount
            _refresh(credit)
            _refresh(invoice)


# -- payments --------------------------------------------------------------------------------

def payment_body(payment: Payment, number: str) -> dict[str, Any]:
    """A payment as the API shows it."""
    return {"id": payment.id, "document": number, "date": payment.received.isoformat(),
            "amount": pence(payment.amount), "reference": payment.reference}


def record_payment(session: Session, number: str, on: date, amount: int,
                   reference: str | None, actor: str) -> dict[str, Any]:
    """Record money received against an invoice (part payments are normal), or a refund of
    credit held on a credit note. More than is outstanding is refused."""
    document = find_document(session, number, lock=True)
    dates.check_fact(on, "date")
    if on < document.issued:
        raise Invalid(f"{number} was issued on {document.issued.isoformat()}; a payment cannot "
                      "be dated before it", field="date")
    if amount <= 0:
        raise Invalid("a payment is more than 0.00", field="amount")
    left = abs(outstanding(document))
    if amount > left:
        what = "outstanding" if document.amount > 0 else "held as credit (to refund)"
        raise Invalid(f"{pence(amount)} is more than the {pence(left)} {what} on {number}",
                      field="amount")
    before = document_body(session, document)
    payment = Payment(document_id=document.id, received=on, amount=amount, reference=reference,
                      recorded_at=audit.now())
    session.add(payment)
    document.paid += amount
    _refresh(document)
    session.flush()
    body = payment_body(payment, number)
    audit.record(session, actor, "payment", "document", number, before,
                 {"payment": body, "document": document_body(session, document)})
    return body


def pay_outstanding(session: Session, number: str, on: date, actor: str) -> dict[str, Any]:
    """Pay what is outstanding on an invoice (or refund what a credit note holds): the
    document after it."""
    document = find_document(session, number, lock=True)
    left = abs(outstanding(document))
    if left == 0:
        raise Conflict(f"nothing is outstanding on {number} (it is {status(document)})",
                       field="number")
    record_payment(session, number, on, left, None, actor)
    return document_body(session, document)


def reverse_payment(session: Session, payment_id: int, on: date, reason: str, actor: str
                    ) -> dict[str, Any]:
    """Reverse a payment recorded in error (it stays on record, with its reversal)."""
    payment = session.scalar(select(Payment).where(Payment.id == payment_id).with_for_update())
    if payment is None:
        raise NotFound(f"no payment {payment_id}")
    document = session.scalar(select(Document).where(Document.id == payment.document_id)
                              .with_for_update())
    assert document is not None
    if session.scalar(select(Reversal.id).where(Reversal.payment_id == payment_id)) is not None:
        raise Conflict(f"payment {payment_id} has already been reversed", field="id")
    dates.check_fact(on, "date")
    if on < payment.received:
        raise Invalid(f"payment {payment_id} was received on {payment.received.isoformat()}; "
                      "it cannot be reversed before", field="date")
    if not reason.strip():
        raise Invalid("say why the payment is reversed", field="reason")
    before = document_body(session, document)
    reversal = Reversal(payment_id=payment_id, reversed_on=on, reason=reason,
                        recorded_at=audit.now())
    session.add(reversal)
    document.paid -= payment.amount
    _refresh(document)
    session.flush()
    body = {"id": reversal.id, "payment": payment_id, "document": document.number,
            "date": on.isoformat(), "amount": pence(payment.amount), "reason": reason}
    audit.record(session, actor, "reverse-payment", "payment", payment_id, before,
                 {"reversal": body, "document": document_body(session, document)})
    return body


# -- statements and aged debt ----------------------------------------------------------------

def _movements(session: Session, organisation: str, until: date | None = None
               ) -> list[tuple[date, int, int, dict[str, Any]]]:
    """Every movement on the organisation's account: (date, order, id, entry without
    balance), in date order; documents, then payments and refunds, then reversals."""
    moves: list[tuple[date, int, int, dict[str, Any]]] = []
    documents = {d.id: d for d in session.scalars(select(Document).where(
        Document.organisation == organisation))}
    references = {i: r for i, r in session.execute(select(Case.id, Case.reference).where(
        Case.id.in_({d.case_id for d in documents.values()})))}
    for d in documents.values():
        moves.append((d.issued, 0, d.id, {"kind": d.kind, "number": d.number,
                                          "case": references.get(d.case_id),
                                          "amount": d.amount}))
    payments = {p.id: p for p in session.scalars(select(Payment).where(
        Payment.document_id.in_(documents)))}
    for p in payments.values():
        document = documents[p.document_id]
        refund = document.amount < 0
        moves.append((p.received, 1, p.id, {
            "kind": "refund" if refund else "payment", "number": document.number,
            "case": references.get(document.case_id), "reference": p.reference,
            "amount": p.amount if refund else -p.amount}))
    for r in session.scalars(select(Reversal).where(Reversal.payment_id.in_(payments))):
        p = payments[r.payment_id]
        document = documents[p.document_id]
        refund = document.amount < 0
        moves.append((r.reversed_on, 2, r.id, {
            "kind": "reversal", "number": document.number,
            "case": references.get(document.case_id), "reference": p.reference,
            "amount": -p.amount if refund else p.amount}))
    moves.sort(key=lambda m: (m[0], m[1], m[2]))
    return [m for m in moves if until is None or m[0] <= until]


def movements(session: Session, organisation: str, until: date | None = None
              ) -> list[tuple[date, dict[str, Any]]]:
    """The organisation's movements up to ``until`` (inclusive), oldest first: (date,
    ``{"kind", "number", "case", "reference"?, "amount"}``), amounts in signed pence."""
    return [(when, move) for when, _, _, move in _movements(session, organisation, until)]


def balance(session: Session, organisation: str, on: date | None = None) -> int:
    """What the organisation owes at the end of ``on`` (negative: credit held for it)."""
    return sum(m[3]["amount"] for m in _movements(session, organisation, on))


def statement(session: Session, organisation: str, start: date | None, end: date | None
              ) -> dict[str, Any]:
    """The organisation's account from ``start`` to ``end`` (inclusive): the opening balance
    (everything before ``start``), each invoice, credit note, payment, refund and reversal with
    the running balance, and the closing balance (= opening + the entries)."""
    opening = 0
    entries = []
    running = 0
    for when, _, _, move in _movements(session, organisation, end):
        running += move["amount"]
        if start is not None and when < start:
            opening = running
            continue
        entry = {"date": when.isoformat(), "kind": move["kind"], "number": move["number"],
                 "case": move["case"]}
        if move.get("reference"):
            entry["reference"] = move["reference"]
        entries.append(entry | {"amount": pence(move["amount"]), "balance": pence(running)})
    return {"organisation": organisation,
            "from": start.isoformat() if start else None, "to": end.isoformat() if end else None,
            "opening_balance": pence(opening), "entries": entries,
            "closing_balance": pence(running)}


def _band(days_past_due: int) -> str:
    for band, limit in AGE_BANDS:
        if limit is None or days_past_due <= limit:
            return band
    return AGE_BANDS[-1][0]


def aged_debt(session: Session, on: date) -> dict[str, Any]:
    """What each organisation owes at the end of ``on``, by days past due (credit held counts
    as current, negative); each organisation's total is its statement balance on ``on``."""
    documents = list(session.scalars(select(Document).where(Document.issued <= on)
                                     .order_by(Document.id)))
    ids = [d.id for d in documents]
    settled: dict[int, int] = defaultdict(int)  # positive: paid, credited or refunded by `on`
    for document_id, amount in session.execute(
            select(Payment.document_id, func.sum(Payment.amount))
            .where(Payment.document_id.in_(ids), Payment.received <= on)
            .group_by(Payment.document_id)):
        settled[document_id] += int(amount)
    for document_id, amount in session.execute(
            select(Payment.document_id, func.sum(Payment.amount))
            .join(Reversal, Reversal.payment_id == Payment.id)
            .where(Payment.document_id.in_(ids), Reversal.reversed_on <= on)
            .group_by(Payment.document_id)):
        settled[document_id] -= int(amount)
    for credit, invoice, amount in session.execute(
            select(CreditAllocation.credit_note_id, CreditAllocation.invoice_id,
                   CreditAllocation.amount).where(CreditAllocation.allocated_on <= on)):
        settled[credit] += amount
        settled[invoice] += amount
    rows: dict[str, dict[str, int]] = {}
    for document in documents:
        sign = 1 if document.amount >= 0 else -1
        left = document.amount - sign * settled[document.id]
        if not left:
            continue
        due = document.due or document.issued
        band = "current" if left < 0 else _band((on - due).days)
        row = rows.setdefault(document.organisation, dict.fromkeys(
            [b for b, _ in AGE_BANDS] + ["total"], 0))
        row[band] += left
        row["total"] += left
    totals = {band: sum(r[band] for r in rows.values())
              for band in [b for b, _ in AGE_BANDS] + ["total"]}
    return {"date": on.isoformat(),
            "organisations": [{"organisation": o, **{k: pence(v) for k, v in r.items()}}
                              for o, r in rows.items()],
            "totals": {k: pence(v) for k, v in totals.items()}}


def due_date(session: Session, issued: date) -> date:
    """The due date of a document issued on ``issued``: issue + the issuer's payment terms."""
    return issued + timedelta(days=payment_terms_days(session))


def list_payments(session: Session, limit: int | None = None, payment_id: int | None = None
                  ) -> list[dict[str, Any]]:
    """Payments and refunds, newest first (``limit`` of them, or the one ``payment_id``), each
    ``{"id", "document", "organisation", "date", "amount", "reference", "reversed"}`` where
    ``reversed`` is the reversal's date, or None."""
    query = (select(Payment, Document.number, Document.organisation, Reversal.reversed_on)
             .join(Document, Document.id == Payment.document_id)
             .outerjoin(Reversal, Reversal.payment_id == Payment.id)
             .order_by(Payment.id.desc()))
    if payment_id is not None:
        query = query.where(Payment.id == payment_id)
    if limit is not None:
        query = query.limit(limit)
    return [payment_body(payment, number) | {
        "organisation": organisation,
        "reversed": reversed_on.isoformat() if reversed_on else None}
        for payment, number, organisation, reversed_on in session.execute(query)]
