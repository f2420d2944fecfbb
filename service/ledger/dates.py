"""Dates the ledger accepts: facts (a commission, a cost incurred, a payment, a billing run)
happen on or before today, and not before the ledger's earliest plausible date."""

from __future__ import annotations

from datetime import date

from service.ledger import audit
from service.ledger.errors import Invalid

__all__ = ["EARLIEST", "check_fact", "today"]

#: No Community Safety Partnership existed before the Crime and Disorder Act 1998.
EARLIEST = date(1998, 1, 1)


def today() -> date:
    """Today in UTC."""
    return audit.now().date()


def check_fact(on: date, field: str) -> None:
    """Refuse a date no finance officer could mean: in the future, or before CSPs existed."""
    if on > today():
        raise Invalid(f"{on.isoformat()} is after today ({today().isoformat()}): the ledger "
                      "records what has happened", field=field)
    if on < EARLIEST:
        raise Invalid(f"{on.isoformat()} is before {EARLIEST.isoformat()}, when no Community "
                      "Safety Partnership existed: an implausible date", field=field)
