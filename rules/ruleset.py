"""The ruleset: every organisation, district, partnership, arrangement, weight set and fund.

A :class:`Ruleset` is a value: scenarios build changed copies and never touch the original.
Lookups raise :class:`UnknownId` listing the known ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from fractions import Fraction

import attrs

from rules.arrangements import Arrangement
from rules.exceptions import UnknownId
from rules.funds import Fund
from rules.geography import Csp, District
from rules.organisations import Kind, Organisation

__all__ = ["Ruleset", "WeightSet"]


@attrs.frozen
class WeightSet:
    """Named weights for proportional fund lines (e.g. 2011 Census population per CSP)."""

    id: str
    name: str
    values: Mapping[str, Fraction]
    source: str = ""


@attrs.frozen(eq=True)
class Ruleset:
    """All the rules one service instance answers from."""

    id: str
    name: str
    kinds: Mapping[str, Kind]
    organisations: Mapping[str, Organisation]
    districts: Mapping[str, District]
    csps: Mapping[str, Csp]
    arrangements: Mapping[str, Arrangement]
    weight_sets: Mapping[str, WeightSet] = attrs.field(factory=dict)
    funds: Mapping[str, Fund] = attrs.field(factory=dict)
    currency: str = "GBP"
    source: str = ""

    def __hash__(self) -> int:  # identity: rulesets are cached per object
        return id(self)

    def organisation(self, org_id: str, field: str | None = None) -> Organisation:
        """Return the organisation ``org_id`` or raise :class:`UnknownId`."""
        try:
            return self.organisations[org_id]
        except (KeyError, TypeError):
            raise UnknownId("organisation", str(org_id), self.organisations, field=field) from None

    def district(self, district_id: str, field: str | None = None) -> District:
        """Return the district ``district_id`` or raise :class:`UnknownId`."""
        try:
            return self.districts[district_id]
        except (KeyError, TypeError):
            raise UnknownId("district", str(district_id), self.districts, field=field) from None

    def arrangement(self, arrangement_id: str, field: str | None = None) -> Arrangement:
        """Return the arrangement ``arrangement_id`` or raise :class:`UnknownId`."""
        try:
            return self.arrangements[arrangement_id]
        except (KeyError, TypeError):
            raise UnknownId("arrangement", str(arrangement_id), self.arrangements,
                            field=field) from None

    def fund(self, fund_id: str, field: str | None = None) -> Fund:
        """Return the fund ``fund_id`` or raise :class:`UnknownId`."""
        try:
            return self.funds[fund_id]
        except (KeyError, TypeError):
            raise UnknownId("fund", str(fund_id), self.funds, field=field) from None

    def csp(self, csp_id: str, field: str | None = None) -> Csp:
        """Return the CSP ``csp_id`` or raise :class:`UnknownId`."""
        try:
            return self.csps[csp_id]
        except (KeyError, TypeError):
            raise UnknownId("CSP", str(csp_id), self.csps, field=field) from None

    def weight_set(self, set_id: str, field: str | None = None) -> WeightSet:
        """Return the weight set ``set_id`` or raise :class:`UnknownId`."""
        try:
            return self.weight_sets[set_id]
        except (KeyError, TypeError):
            raise UnknownId("weight set", str(set_id), self.weight_sets, field=field) from None

    def statutory_on(self, org_id: str, when: date) -> bool:
        """Return whether ``org_id`` is active and of a statutory kind on ``when``."""
        organisation = self.organisations[org_id]
        kind = self.kinds.get(organisation.kind)
        return organisation.active_on(when) and kind is not None and kind.statutory_on(when)

    def successors_on(self, body_id: str, when: date) -> tuple[str, ...]:
        """Return who stands for organisation or CSP ``body_id`` on ``when``.

        Itself if active; once it has ended, its successors (followed transitively, each
        once); nothing if it is not yet active or ended without successors.
        """
        body: Organisation | Csp | None = self.organisations.get(body_id) or self.csps.get(body_id)
        if body is not None and body.active_on(when):  # the usual case: itself
            return (body_id,)
        found: list[str] = []
        self._follow(body_id, when, found, set())
        return tuple(found)

    def _follow(self, body_id: str, when: date, found: list[str], seen: set[str]) -> None:
        if body_id in seen:
            return
        seen.add(body_id)
        body: Organisation | Csp | None = self.organisations.get(body_id) or self.csps.get(body_id)
        if body is None:
            return
        if body.active_on(when):
            if body_id not in found:
                found.append(body_id)
        elif body.ended_by(when):
            for successor in body.successors:
                self._follow(successor, when, found, seen)

    def organisations_on(self, when: date) -> list[Organisation]:
        """Return the organisations active on ``when``, in ruleset order."""
        return [o for o in self.organisations.values() if o.active_on(when)]

    def name_of(self, body_id: str) -> str:
        """Return the display name of an organisation, CSP or district id (the id if unknown)."""
        body: Organisation | Csp | District | None = (
            self.organisations.get(body_id) or self.csps.get(body_id)
            or self.districts.get(body_id))
        return body.name if body is not None else body_id
