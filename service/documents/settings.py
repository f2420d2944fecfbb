"""Issuer settings and billing contacts, kept in the ledger database; every change audited
(before and after) in the same transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.documents.model import BillingContact, Issuer
from service.ledger import audit
from service.ledger.tables import BillingContactRow, IssuerSettings

__all__ = ["contact", "contacts", "issuer", "save_contact", "save_issuer"]

_ISSUER_ID = 1


def issuer(session: Session) -> Issuer:
    """The issuer settings (the defaults until an admin saves them)."""
    row = session.get(IssuerSettings, _ISSUER_ID)
    if row is None:
        return Issuer()
    return Issuer(name=row.name, address=row.address, email=row.email,
                  telephone=row.telephone, vat_number=row.vat_number,
                  vat_statement=row.vat_statement, payment_terms_days=row.payment_terms_days,
                  remittance=row.remittance)


def save_issuer(session: Session, data: Mapping[str, Any], actor: str) -> Issuer:
    """Replace the issuer settings with ``data`` (every field, already validated)."""
    before = issuer(session)
    after = Issuer.from_dict(data)
    row = session.get(IssuerSettings, _ISSUER_ID, with_for_update=True)
    if row is None:
        row = IssuerSettings(id=_ISSUER_ID)
        session.add(row)
    for name, value in after.to_dict().items():
        setattr(row, name, value)
    row.updated_at = audit.now()
    session.flush()
    audit.record(session, actor, "set-issuer", "settings", "issuer", before.to_dict(),
                 after.to_dict())
    return after


def _contact(row: BillingContactRow) -> BillingContact:
    return BillingContact(row.organisation, row.name, row.address, row.email,
                          row.finance_reference)


def contact(session: Session, organisation: str) -> BillingContact | None:
    """The organisation's billing contact, if one is kept."""
    row = session.get(BillingContactRow, organisation)
    return None if row is None else _contact(row)


def contacts(session: Session) -> dict[str, BillingContact]:
    """Every billing contact, by organisation id."""
    return {row.organisation: _contact(row)
            for row in session.scalars(select(BillingContactRow))}


def save_contact(session: Session, organisation: str, data: Mapping[str, Any], actor: str
                 ) -> BillingContact:
    """Create or replace the organisation's billing contact (fields already validated)."""
    row = session.get(BillingContactRow, organisation, with_for_update=True)
    before = None if row is None else _contact(row).to_dict()
    if row is None:
        row = BillingContactRow(organisation=organisation)
        session.add(row)
    row.name, row.address = data["name"], data["address"]
    row.email, row.finance_reference = data.get("email"), data.get("finance_reference")
    row.updated_at = audit.now()
    session.flush()
    saved = _contact(row)
    audit.record(session, actor, "set-billing-contact", "organisation", organisation, before,
                 saved.to_dict())
    return saved
