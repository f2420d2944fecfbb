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

import functools
import json
import operator
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from sqlalchemy import (
    BigInteger,
    Row,
    String,
    Subquery,
    and_,
    cast,
    func,
    literal,
    not_,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from service.ledger import audit, dates
from service.ledger.collection import collection_paused
from service.ledger.errors import Conflict, Invalid, NotFound
from service.ledger.money import CENTS, pence
from service.ledger.paging import Page, bound, cut, keyset, since
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
    "invoiced_organisations",
    "list_documents",
    "list_payments",
    "movements",
    "pay_outstanding",
    "payment_terms_days",
    "record_payment",
    "reverse_payment",
    "statement",
    "statement_page",
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

def outstanding(document: Any) -> int:
    """What is still owed on it (pence, signed like the document)."""
    sign = 1 if document.amount >= 0 else -1
    return int(document.amount - sign * (document.paid + document.credited))


def status(document: Any) -> str:
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
    session.flush()  # the Core reads below do not flush by themselves
    return _bodies(session.connection(), [(*_fields_of(d), None) for d in documents])


#: What a document's body shows of it, in the order a list reads them (as plain tuples: a
#: row's fields by position cost a fraction of its attributes by name).
_FIELDS = ("id", "number", "kind", "case_id", "organisation", "on_behalf_of", "amount",
           "issued", "due", "paid", "credited")
_fields_of = operator.attrgetter(*_FIELDS)
#: The columns a list reads (as Core rows) to show a document, then its case's reference.
_DOCUMENT_COLUMNS = (*(getattr(Document, name) for name in _FIELDS), Case.reference)
#: Where a document's id, its case's id and its case's reference are in such a row.
_ID, _CASE_ID, _REFERENCE = 0, _FIELDS.index("case_id"), len(_FIELDS)


def _ids() -> Any:
    return sa.bindparam("ids", expanding=True)


# The reads of a page of documents, built once (a list runs them on every request): the cases'
# references, the documents corrected, the lines, and the lines' groups (items, latest date
# incurred, stored split).
_REFERENCES = select(Case.id, Case.reference).where(Case.id.in_(_ids()))
_CORRECTED = (select(Correction.document_id, Document.number)
              .join(Document, Document.id == Correction.corrected_id)
              .where(Correction.document_id.in_(_ids())).order_by(Document.id))
_LINES = (select(DocumentLine.document_id, DocumentLine.split_id, DocumentLine.organisation,
                 DocumentLine.amount, SplitGroup.data)
          .join(SplitGroup, SplitGroup.id == DocumentLine.split_id)
          .where(DocumentLine.document_id.in_(_ids())).order_by(DocumentLine.id))
_GROUP_ITEMS = (select(Tranche.split_id, Tranche.item, func.max(Tranche.incurred))
                .where(Tranche.split_id.in_(_ids())).group_by(Tranche.split_id, Tranche.item)
                .order_by(Tranche.split_id, func.min(Tranche.id)))


def _bodies(connection: sa.Connection, rows: Sequence[Sequence[Any]]
            ) -> list[dict[str, Any]]:
    """The bodies of documents given as tuples of their :data:`_FIELDS` and their case's
    reference (``None``: read here). Read as Core rows, in three queries whatever the number
    of documents (four when references are to read)."""
    if not rows:
        return []
    references = {row[_CASE_ID]: row[_REFERENCE] for row in rows}
    missing = [case_id for case_id, reference in references.items() if reference is None]
    if missing:
        references.update(connection.execute(_REFERENCES, {"ids": missing}).all())
    ids = [row[_ID] for row in rows]
    corrects: dict[int, list[str]] = defaultdict(list)
    for document_id, number in connection.execute(_CORRECTED, {"ids": ids}).all():
        corrects[document_id].append(number)
    lines = connection.execute(_LINES, {"ids": ids}).all()
    described = _describe_groups(connection, {line[1] for line in lines})
    reference_of = {row[_ID]: references[row[_CASE_ID]] for row in rows}
    per_document: dict[int | None, list[dict[str, Any]]] = defaultdict(list)
    for owner, split_id, organisation, amount, group_data in lines:
        items, incurred = described.get(split_id, ("", None))
        per_document[owner].append({
            "case": reference_of[owner], "item": items, "incurred": incurred,
            "fraction": _group_fractions(group_data).get(organisation),
            "amount": pence(amount)})
    bodies = []
    for (id_, number, kind, case_id, organisation, on_behalf_of, amount, issued, due, paid,
         credited, _) in rows:
        if amount < 0:
            paid, credited = -paid, -credited
        left = amount - paid - credited  # outstanding(document), signed like it
        body: dict[str, Any] = {"number": number, "kind": kind,
                                "case": references[case_id], "organisation": organisation}
        if on_behalf_of:
            body["on_behalf_of"] = on_behalf_of
        body["amount"] = pence(amount)
        body["issued"] = issued.isoformat()
        body["due"] = (due or issued).isoformat()
        body["status"] = (("paid" if paid else "credited") if left == 0 else
                          "open" if amount < 0 or left == amount else "part-paid")
        body["paid"] = pence(paid)
        body["credited"] = pence(credited)
        body["outstanding"] = pence(left)
        body["corrects"] = corrects.get(id_, [])
        body["lines"] = per_document.get(id_, [])
        bodies.append(body)
    return bodies


def _describe_groups(connection: sa.Connection, group_ids: set[int]
                     ) -> dict[int, tuple[str, str | None]]:
    """Per split group: its cost items (in order of their first tranche) and the latest date
    incurred (aggregated in SQL: a group's tranches are not loaded)."""
    if not group_ids:
        return {}
    items: dict[int, list[str]] = defaultdict(list)
    latest: dict[int, date] = {}
    for split_id, item, incurred in connection.execute(
            _GROUP_ITEMS, {"ids": list(group_ids)}).all():
        assert split_id is not None  # (tranches of the groups asked for)
        items[split_id].append(item)
        latest[split_id] = max(latest.get(split_id, incurred), incurred)
    return {group_id: (", ".join(found), latest[group_id].isoformat())
            for group_id, found in items.items()}


@functools.lru_cache(maxsize=1024)
def _group_fractions(data: str) -> dict[str, str]:
    """Each partner's fraction of a split group from its stored JSON (groups repeat the same
    few splits, so each is parsed once)."""
    return _fractions(tuple((o, str(w)) for o, _, w in json.loads(data)["partners"]))


@functools.lru_cache(maxsize=1024)
def _fractions(partners: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """Each partner's fraction of a split group from its (partner, weight) pairs (groups
    repeat the same few splits, so their fractions are worked out once)."""
    weights = {o: Fraction(w) for o, w in partners}
    total = sum(weights.values(), Fraction(0))
    return {o: str(w / total) for o, w in weights.items() if total}


def list_documents(session: Session, organisation: str | None = None, case: str | None = None,
                   status: str | None = None, from_: date | None = None,
                   to: date | None = None, unsettled: bool = False,
                   limit: int | None = None, cursor: int | None = None
                   ) -> Page[dict[str, Any]]:
    """Invoices and credit notes, oldest first, filtered by the organisation they are
    addressed to, case reference, status, issue dates (inclusive), and ``unsettled``
    (only those with something outstanding); at most ``limit`` of
    them after the document whose id is ``cursor`` (keyset paging on the id: a constant
    number of queries whatever the page's size or depth)."""
    given = bound(cursor, limit, organisation=organisation, case=case, status=status,
                  from_=from_, to=to)
    query = _documents_query(frozenset(given), unsettled)
    session.flush()  # a Core read does not flush by itself
    connection = session.connection()
    with collection_paused():  # Core rows: no ORM objects for a page of documents
        shown, last = cut(connection.execute(query, given).all(), limit,
                          operator.itemgetter(_ID))
        return Page(_bodies(connection, shown), last)


@functools.cache
def _documents_query(given: frozenset[str], unsettled: bool) -> sa.Select[Any]:
    """The page query of :func:`list_documents` for the filters ``given`` (names of its bound
    parameters): built once per combination, so a request reuses the compiled statement."""
    query = select(*_DOCUMENT_COLUMNS).join(Case, Case.id == Document.case_id)
    if unsettled:
        query = query.where(Document.status.in_(("open", "part-paid")))
    return keyset(query, {
        "organisation": Document.organisation == sa.bindparam("organisation"),
        "case": Case.reference == sa.bindparam("case"),
        "status": Document.status == sa.bindparam("status"),
        "from_": Document.issued >= sa.bindparam("from_", type_=sa.Date),
        "to": Document.issued <= sa.bindparam("to", type_=sa.Date),
    }, given, Document.id)


def invoiced_organisations(session: Session) -> list[str]:
    """Every organisation a document has been addressed to."""
    return list(session.scalars(select(Document.organisation).distinct()))


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

def _moves(organisation: str) -> Subquery:
    """Every movement on the organisation's account, as one query's rows: ``on`` (its date),
    ``rank`` (documents 0, payments and refunds 1, reversals 2), ``id``, ``kind``, ``number``,
    ``case_id``, ``reference`` and ``amount`` (signed pence: what it adds to the balance)."""
    refund = Document.amount < 0
    documents = select(
        Document.issued.label("on"), literal(0).label("rank"), Document.id.label("id"),
        Document.kind.label("kind"), Document.number.label("number"),
        Document.case_id.label("case_id"), cast(null(), String(100)).label("reference"),
        Document.amount.label("amount")).where(Document.organisation == organisation)
    paid = select(
        Payment.received, literal(1), Payment.id,
        sa.case((refund, literal("refund")), else_=literal("payment")), Document.number,
        Document.case_id, Payment.reference,
        sa.case((refund, Payment.amount), else_=-Payment.amount)).join(
        Document, Document.id == Payment.document_id).where(Document.organisation == organisation)
    reversed_ = select(
        Reversal.reversed_on, literal(2), Reversal.id, literal("reversal"), Document.number,
        Document.case_id, Payment.reference,
        sa.case((refund, -Payment.amount), else_=Payment.amount)).join(
        Payment, Payment.id == Reversal.payment_id).join(
        Document, Document.id == Payment.document_id).where(Document.organisation == organisation)
    return union_all(documents, paid, reversed_).subquery("moves")


def _between(moves: Subquery, start: date | None, end: date | None) -> list[Any]:
    return ([moves.c.on >= start] if start else []) + ([moves.c.on <= end] if end else [])


def _total(session: Session, moves: Subquery, *conditions: Any) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(moves.c.amount), 0))
                              .where(*conditions)) or 0)


def _position(on: date, rank: int, move_id: int) -> int:
    """A movement's place in the statement's order, as one integer (a page's cursor)."""
    return (on.toordinal() << 34) | (rank << 32) | move_id


def _after(moves: Subquery, position: int) -> Any:
    """Movements after ``position`` in the statement's order (date, rank, id)."""
    try:
        on = date.fromordinal(position >> 34)
    except ValueError:
        raise Invalid("not a cursor of this statement (use the `next` of a page)",
                      field="cursor") from None
    rank, move_id = (position >> 32) & 3, since(position & (2**32 - 1))
    return or_(moves.c.on > on, and_(moves.c.on == on, or_(
        moves.c.rank > rank, and_(moves.c.rank == rank, moves.c.id > move_id))))


def _entries(session: Session, moves: Subquery, *conditions: Any, limit: int | None = None
             ) -> Sequence[Row[Any]]:
    query = (select(moves.c.on, moves.c.rank, moves.c.id, moves.c.kind, moves.c.number,
                    Case.reference.label("case"), moves.c.reference, moves.c.amount)
             .join(Case, Case.id == moves.c.case_id).where(*conditions)
             .order_by(moves.c.on, moves.c.rank, moves.c.id))
    if limit is not None:
        query = query.limit(limit)
    session.flush()  # a Core read does not flush by itself
    with collection_paused():  # Core rows: no ORM result processing for thousands of rows
        return session.connection().execute(query).all()


def movements(session: Session, organisation: str, until: date | None = None
              ) -> list[tuple[date, dict[str, Any]]]:
    """The organisation's movements up to ``until`` (inclusive), oldest first: (date,
    ``{"kind", "number", "case", "reference"?, "amount"}``), amounts in signed pence."""
    moves = _moves(organisation)
    found = []
    for row in _entries(session, moves, *_between(moves, None, until)):
        move = {"kind": row.kind, "number": row.number, "case": row.case,
                "amount": row.amount}
        if row.rank:
            move["reference"] = row.reference
        found.append((row.on, move))
    return found


def balance(session: Session, organisation: str, on: date | None = None) -> int:
    """What the organisation owes at the end of ``on`` (negative: credit held for it), summed
    in SQL."""
    moves = _moves(organisation)
    return _total(session, moves, *_between(moves, None, on))


def statement(session: Session, organisation: str, start: date | None, end: date | None
              ) -> dict[str, Any]:
    """The organisation's account from ``start`` to ``end`` (inclusive): the opening balance
    (everything before ``start``), each invoice, credit note, payment, refund and reversal with
    the running balance, and the closing balance (= opening + the entries)."""
    return statement_page(session, organisation, start, end)[0]


def statement_page(session: Session, organisation: str, start: date | None, end: date | None,
                   limit: int | None = None, cursor: int | None = None
                   ) -> tuple[dict[str, Any], int | None]:
    """:func:`statement` with at most ``limit`` entries after the position ``cursor`` (the
    running balance carried over from the entries before), and the position of the last
    entry shown when more follow. Balances are summed in SQL; only the entries shown are read.
    """
    moves = _moves(organisation)
    within = _between(moves, start, end)
    opening = 0 if start is None else _total(session, moves, moves.c.on < start)
    running = opening
    if cursor is not None:
        after = _after(moves, cursor)
        running += _total(session, moves, *within, not_(after))
        within = [*within, after]
    rows, last = cut(_entries(session, moves, *within,
                              limit=None if limit is None else limit + 1),
                     limit, lambda r: _position(r.on, r.rank, r.id))
    with collection_paused():  # thousands of entries: no collections while they are built
        entries: list[dict[str, Any]] = []
        append = entries.append
        days: dict[date, str] = {}  # a statement's entries share few dates: each written once
        cents = CENTS
        for row in rows:
            on, _, _, kind, number, reference_of_case, reference, amount = tuple(row)
            running += amount
            day = days.get(on)
            if day is None:
                day = days[on] = on.isoformat()
            # pence(amount) and pence(running), inline: a statement formats thousands of each
            if amount >= 0:
                whole, part = divmod(amount, 100)
                shown = f"{whole}.{cents[part]}"
            else:
                whole, part = divmod(-amount, 100)
                shown = f"-{whole}.{cents[part]}"
            if running >= 0:
                whole, part = divmod(running, 100)
                balance = f"{whole}.{cents[part]}"
            else:
                whole, part = divmod(-running, 100)
                balance = f"-{whole}.{cents[part]}"
            if reference:
                append({"date": day, "kind": kind, "number": number, "case": reference_of_case,
                        "reference": reference, "amount": shown, "balance": balance})
            else:
                append({"date": day, "kind": kind, "number": number, "case": reference_of_case,
                        "amount": shown, "balance": balance})
    if limit is not None:  # the closing balance counts the entries not shown
        running = opening + _total(session, moves, *_between(moves, start, end))
    return {"organisation": organisation,
            "from": start.isoformat() if start else None, "to": end.isoformat() if end else None,
            "opening_balance": pence(opening), "entries": entries,
            "closing_balance": pence(running)}, last


def aged_debt(session: Session, on: date) -> dict[str, Any]:
    """What each organisation owes at the end of ``on``, by days past due (credit held counts
    as current, negative); each organisation's total is its statement balance on ``on``.

    Summed in SQL: what is settled against each document by ``on`` (payments net of
    reversals, credit allocated), what is left, its band, and the total per organisation and
    band; only those totals are read."""
    paid = (select(Payment.document_id.label("id"), func.sum(Payment.amount).label("amount"))
            .where(Payment.received <= on).group_by(Payment.document_id))
    reversed_ = (select(Payment.document_id.label("id"),
                        (-func.sum(Payment.amount)).label("amount"))
                 .join(Reversal, Reversal.payment_id == Payment.id)
                 .where(Reversal.reversed_on <= on).group_by(Payment.document_id))
    credit_out = (select(CreditAllocation.credit_note_id.label("id"),
                         func.sum(CreditAllocation.amount).label("amount"))
                  .where(CreditAllocation.allocated_on <= on)
                  .group_by(CreditAllocation.credit_note_id))
    credit_in = (select(CreditAllocation.invoice_id.label("id"),
                        func.sum(CreditAllocation.amount).label("amount"))
                 .where(CreditAllocation.allocated_on <= on)
                 .group_by(CreditAllocation.invoice_id))
    settlements = union_all(paid, reversed_, credit_out, credit_in).subquery("settlements")
    # (a sum of integers stays an integer: PostgreSQL would otherwise work out every
    # document's remainder in numeric)
    settled = (select(settlements.c.id,
                      sa.cast(func.sum(settlements.c.amount), BigInteger).label("amount"))
               .group_by(settlements.c.id).subquery("settled"))
    done = func.coalesce(settled.c.amount, 0)
    left = Document.amount - sa.case((Document.amount >= 0, done), else_=-done)
    documents = (select(Document.id, Document.organisation, left.label("left"),
                        func.coalesce(Document.due, Document.issued).label("due"),
                        sa.case((left < 0, 1), else_=0).label("credit"))
                 .outerjoin(settled, settled.c.id == Document.id)
                 .where(Document.issued <= on).subquery("owed"))
    # Summed per organisation, due date and whether it is credit held (a few groups per
    # organisation and day, which PostgreSQL aggregates by hash, not by sorting every
    # document); each group's band is worked out here.
    found = session.execute(
        select(documents.c.organisation, documents.c.due, documents.c.credit,
               sa.cast(func.sum(documents.c.left), BigInteger), func.min(documents.c.id))
        .where(documents.c.left != 0)
        .group_by(documents.c.organisation, documents.c.due, documents.c.credit)).all()
    limits = [(name, on - timedelta(days=limit)) for name, limit in AGE_BANDS
              if limit is not None]
    owed: dict[tuple[str, str], int] = defaultdict(int)
    firsts: dict[str, int] = {}
    for organisation, due, credit, amount, first in found:
        band_name = AGE_BANDS[0][0] if credit else next(
            (name for name, since_ in limits if due >= since_), AGE_BANDS[-1][0])
        owed[(organisation, band_name)] += int(amount)
        firsts[organisation] = min(first, firsts.get(organisation, first))
    rows: dict[str, dict[str, int]] = {}
    for organisation in sorted(firsts, key=lambda o: firsts[o]):
        rows[organisation] = dict.fromkeys([b for b, _ in AGE_BANDS] + ["total"], 0)
    for (organisation, band_name), amount in owed.items():
        rows[organisation][band_name] += amount
        rows[organisation]["total"] += amount
    totals = {name: sum(r[name] for r in rows.values())
              for name in [b for b, _ in AGE_BANDS] + ["total"]}
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
