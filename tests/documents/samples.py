"""Sample documents for the rendering tests (made-up bodies and addresses; no victim data)."""

from __future__ import annotations

from datetime import date
from typing import Any

import attrs

from service.documents.model import BillingContact, Document, Issuer, Line, Party

ISSUER = Issuer(
    name="Example County Council", address="Community Safety Unit\nCounty Hall\nMatlock DE4 3AG",
    email="csu.finance@example.gov.uk", telephone="01629 000000", vat_number="GB 123 4567 89",
    remittance="BACS to Example County Council\nSort code 00-00-00, account 12345678")

CONTACT = BillingContact("derbyshire-constabulary", "Accounts Payable",
                         "Butterley Hall\nRipley DE5 3RS", "ap@example.police.uk", "PO-4411")


def invoice(lines: int = 2, **changes: Any) -> Document:
    """An invoice with ``lines`` lines of 708.34 and 500.00 alternately."""
    made = tuple(Line("DHR/2015/01", "overview-author" if i % 2 == 0 else "panel-chair",
                      date(2015, 3, 1 + i % 28), "1/6", 70834 if i % 2 == 0 else 50000)
                 for i in range(lines))
    issued = date(2015, 4, 1)
    document = Document(
        number="INV-000007", kind="invoice", case="DHR/2015/01",
        organisation=Party("derbyshire-constabulary", "Derbyshire Constabulary"),
        issued=issued, due=ISSUER.due(issued), amount=sum(line.amount for line in made),
        status="open", paid=0, outstanding=sum(line.amount for line in made), lines=made)
    return attrs.evolve(document, **changes)
