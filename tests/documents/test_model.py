"""Laws of the document values: due dates follow the payment terms, and a statement read from
the ledger's answer balances (closing = opening + its entries, each balance running)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import allocations
from service.documents.model import Document, Issuer, Statement, pence
from tests.strategies import arrangement_dates
from tests.strategies import pence as amounts


def wire(value: int) -> str:
    return allocations.format_money(allocations.from_minor(value))


@given(arrangement_dates, st.integers(min_value=0, max_value=365))
def test_the_due_date_is_the_issue_date_plus_the_payment_terms(issued: date, days: int) -> None:
    issuer = Issuer(payment_terms_days=days)
    body = {"number": "INV-000001", "kind": "invoice", "case": "DHR-1", "organisation": "x",
            "amount": "10.00", "issued": issued.isoformat(), "status": "open"}
    document = Document.from_body(body, {}, issuer)
    assert document.due == issued + timedelta(days=days) == issuer.due(issued)
    stored = Document.from_body(body | {"due": "2030-01-01"}, {}, issuer)
    assert stored.due == date(2030, 1, 1)  # a due date the ledger answers wins


@given(st.lists(st.tuples(arrangement_dates, amounts, st.booleans()), max_size=12))
def test_a_statement_read_from_documents_balances(
        rows: list[tuple[date, int, bool]]) -> None:
    documents: list[dict[str, Any]] = []
    for index, (issued, amount, paid) in enumerate(rows):
        documents.append({
            "number": f"D{index}", "kind": "invoice" if amount >= 0 else "credit-note",
            "case": "DHR-1", "organisation": "x", "amount": wire(amount),
            "issued": issued.isoformat(), "status": "paid" if paid else "open",
            "paid_on": (issued + timedelta(days=3)).isoformat() if paid else None})
    statement = Statement.from_body({"organisation": "x", "from": None, "to": None,
                                     "documents": documents}, {"x": "X"})
    balance = statement.opening
    for entry in statement.entries:
        balance += entry.amount
        assert entry.balance == balance
    assert statement.closing == balance == sum(a for _, a, paid in rows if not paid)
    assert [e.date for e in statement.entries] == sorted(e.date for e in statement.entries)


@given(amounts)
def test_wire_amounts_read_back_as_pence(value: int) -> None:
    assert pence(wire(value)) == value
