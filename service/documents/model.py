"""What a document says, as frozen values: the issuer, the addressee, an invoice or credit note
with its lines, a partner's statement. Money is integer pence (signed: invoices positive,
credit notes negative); nothing here touches SQL, Flask or HTTP.

:meth:`Document.from_body` and :meth:`Statement.from_body` read the ledger's answers (the same
bodies the API returns), so a PDF always says what the JSON says.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import attrs

import allocations

__all__ = [
    "DEFAULT_PAYMENT_TERMS_DAYS",
    "DEFAULT_VAT_STATEMENT",
    "BillingContact",
    "Document",
    "Issuer",
    "Line",
    "Party",
    "Statement",
    "StatementEntry",
    "pence",
]

DEFAULT_VAT_STATEMENT = "Contributions between public bodies are outside the scope of VAT."
DEFAULT_PAYMENT_TERMS_DAYS = 30


def pence(text: str | None) -> int:
    """A wire amount (``"-71.43"``) as integer pence; ``None`` as 0."""
    if text is None:
        return 0
    return allocations.to_minor(allocations.parse_money(text, allow_negative=True))


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


@attrs.frozen
class Issuer:
    """Who issues the documents (the lead authority): admin-managed settings."""

    name: str = ""
    address: str = ""
    email: str = ""
    telephone: str = ""
    vat_number: str | None = None
    vat_statement: str = DEFAULT_VAT_STATEMENT
    payment_terms_days: int = DEFAULT_PAYMENT_TERMS_DAYS
    remittance: str = ""

    def due(self, issued: date) -> date:
        """The due date of a document issued on ``issued``: issue date + payment terms."""
        return issued + timedelta(days=self.payment_terms_days)

    def to_dict(self) -> dict[str, Any]:
        """The wire form (``GET /api/v1/settings/issuer``)."""
        return attrs.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Issuer:
        """The inverse of :meth:`to_dict` (fields already validated)."""
        return cls(**{f.name: data[f.name] for f in attrs.fields(cls) if f.name in data})


@attrs.frozen
class BillingContact:
    """Where a partner organisation's documents go: its accounts-payable contact."""

    organisation: str
    name: str
    address: str
    email: str | None = None
    finance_reference: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The wire form (``GET /api/v1/organisations/{id}/billing-contact``)."""
        return {"name": self.name, "address": self.address, "email": self.email,
                "finance_reference": self.finance_reference}


@attrs.frozen
class Party:
    """An organisation as a document names it."""

    id: str
    name: str


@attrs.frozen
class Line:
    """One charge: the case, the cost item, when it was incurred, the partner's share of it as
    an exact fraction, and the amount (pence, signed)."""

    case: str
    item: str
    incurred: date | None
    fraction: str | None
    amount: int

    def to_dict(self) -> dict[str, Any]:
        """The wire form: ``{"case", "item", "incurred", "fraction", "amount"}``."""
        return {"case": self.case, "item": self.item,
                "incurred": self.incurred.isoformat() if self.incurred else None,
                "fraction": self.fraction,
                "amount": allocations.format_money(allocations.from_minor(self.amount))}

    @classmethod
    def from_body(cls, body: Mapping[str, Any], case: str) -> Line:
        """A line of a document body (``{"case"?, "item", "incurred", "fraction", "amount"}``)."""
        return cls(case=body.get("case") or case, item=str(body.get("item", "")),
                   incurred=_day(body.get("incurred")), fraction=body.get("fraction"),
                   amount=pence(body["amount"]))


@attrs.frozen
class Document:
    """An invoice or credit note as issued, with what has been paid against it."""

    number: str
    kind: str
    case: str
    organisation: Party
    issued: date
    due: date
    amount: int
    status: str
    paid: int
    outstanding: int
    lines: tuple[Line, ...]
    corrects: tuple[str, ...] = ()
    on_behalf_of: Party | None = None
    credited: int = 0

    @property
    def is_credit(self) -> bool:
        """A credit note (its amounts are negative)."""
        return self.kind == "credit-note"

    @property
    def title(self) -> str:
        """"Invoice" or "Credit note"."""
        return "Credit note" if self.is_credit else "Invoice"

    @classmethod
    def from_body(cls, body: Mapping[str, Any], names: Mapping[str, str], issuer: Issuer,
                  lines: Sequence[Line] = ()) -> Document:
        """Read a document body as the ledger answers it.

        ``names`` maps organisation ids to names. Fields the ledger does not (yet) answer are
        derived: ``due`` from the issuer's payment terms, ``paid``/``outstanding`` from the
        status, ``credited`` (credit notes set against it) as none, ``lines`` from ``lines``
        given here.
        """
        issued = date.fromisoformat(body["issued"])
        amount = pence(body["amount"])
        status = str(body.get("status", "open"))
        if "paid" in body and "outstanding" in body:
            paid, outstanding = pence(body["paid"]), pence(body["outstanding"])
        else:
            paid = amount if status == "paid" else 0
            outstanding = amount - paid
        corrects = body.get("corrects") or ()
        if isinstance(corrects, str):
            corrects = (corrects,)
        behalf = body.get("on_behalf_of")
        case = str(body["case"])
        return cls(
            number=str(body["number"]), kind=str(body["kind"]), case=case,
            organisation=Party(body["organisation"], names.get(body["organisation"],
                                                               body["organisation"])),
            issued=issued, due=_day(body.get("due")) or issuer.due(issued), amount=amount,
            status=status, paid=paid, outstanding=outstanding,
            lines=tuple(lines) if lines else tuple(
                Line.from_body(line, case) for line in body.get("lines") or ()),
            corrects=tuple(str(n) for n in corrects),
            on_behalf_of=Party(behalf, names.get(behalf, behalf)) if behalf else None,
            credited=pence(body.get("credited")))


@attrs.frozen
class StatementEntry:
    """One movement on a partner's account, and the balance after it (pence, signed)."""

    date: date
    kind: str
    number: str | None
    reference: str | None
    amount: int
    balance: int


@attrs.frozen
class Statement:
    """A partner's account over a period: opening balance, movements, closing balance."""

    organisation: Party
    start: date | None
    end: date | None
    opening: int
    entries: tuple[StatementEntry, ...]
    closing: int

    @classmethod
    def from_body(cls, body: Mapping[str, Any], names: Mapping[str, str]) -> Statement:
        """Read a statement body as the ledger answers it: ``{"organisation", "from", "to",
        "opening_balance", "entries": [{"date", "kind", "number"?, "reference"?, "amount",
        "balance"}], "closing_balance"}``. An older body listing only ``documents`` is read
        as entries too (each document, then its payment when paid), from a zero opening."""
        organisation = Party(body["organisation"], names.get(body["organisation"],
                                                             body["organisation"]))
        start, end = _day(body.get("from")), _day(body.get("to"))
        if "entries" in body:
            entries = tuple(StatementEntry(
                date.fromisoformat(e["date"]), str(e["kind"]), e.get("number"),
                e.get("reference"), pence(e["amount"]), pence(e["balance"]))
                for e in body["entries"])
            return cls(organisation, start, end, pence(body.get("opening_balance")), entries,
                       pence(body.get("closing_balance")))
        movements: list[tuple[date, str, str | None, str | None, int]] = []
        for document in body.get("documents", []):
            amount = pence(document["amount"])
            movements.append((date.fromisoformat(document["issued"]), document["kind"],
                              document["number"], document["case"], amount))
            if document.get("status") == "paid" and document.get("paid_on"):
                movements.append((date.fromisoformat(document["paid_on"]), "payment",
                                  document["number"], document["case"], -amount))
        movements.sort(key=lambda m: m[0])
        balance, built = 0, []
        for on, kind, number, reference, amount in movements:
            balance += amount
            built.append(StatementEntry(on, kind, number, reference, amount, balance))
        return cls(organisation, start, end, 0, tuple(built), balance)
