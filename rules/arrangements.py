"""Cost-sharing arrangements: ordered roles and the policies a what-if can change."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import attrs
from moneyed import Money

from rules.periods import Period

__all__ = [
    "AREAS",
    "FILLS",
    "GOVERNING_DATES",
    "Arrangement",
    "Contribution",
    "Role",
]

#: How a role filled by several bodies pays: each a full share, or one share between them.
FILLS = ("each", "one-share")
#: Roles filled from the victim's area rather than a list: the district's health
#: commissioner(s), or the district's council.
AREAS = ("health", "council")
#: Which date resolves the partners: the billing date, or the case's commission date.
GOVERNING_DATES = ("billing", "commission")


@attrs.frozen
class Role:
    """A place in the arrangement filled, on a date, by statutory bodies.

    Attributes:
        id: the role's slug (``police-force``); also the name of its fill policy.
        organisations: bodies that fill it (their successors take over when they end); empty
            for an area role.
        area: ``"health"`` or ``"council"`` when the victim's district decides who fills it.
        weight: shares per body (1 by default).
        fill: ``"each"`` body pays a share, or ``"one-share"`` split between them.
    """

    id: str
    name: str
    organisations: tuple[str, ...] = ()
    area: str | None = None
    weight: Fraction = Fraction(1)
    fill: str = "each"


@attrs.frozen
class Contribution:
    """A body paying ``percent`` of an item's cost (up to ``cap``) before the split."""

    organisation: str
    item: str
    percent: Decimal
    cap: Money | None = None
    source: str = ""


@attrs.frozen
class Arrangement:
    """A cost-sharing protocol in force over a period for some districts."""

    id: str
    name: str
    in_force: Period
    districts: tuple[str, ...]
    roles: tuple[Role, ...]
    shared_items: tuple[str, ...]
    governing_date: str = "billing"
    contributions: tuple[Contribution, ...] = ()
    source: str = ""

    def covers(self, district: str, when: date) -> bool:
        """Return whether the arrangement applies to ``district`` on ``when``."""
        return district in self.districts and self.in_force.contains(when)

    def role(self, role_id: str) -> Role | None:
        """Return the role ``role_id`` or ``None``."""
        for role in self.roles:
            if role.id == role_id:
                return role
        return None
