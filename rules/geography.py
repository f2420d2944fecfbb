"""Districts, their community safety partnerships, councils and health commissioners over time."""

from __future__ import annotations

from datetime import date

import attrs

from rules.periods import Period, active_on, ended_by

__all__ = ["Csp", "District", "HealthCoverage"]


@attrs.frozen
class HealthCoverage:
    """Which health commissioner(s) cover a district over a period (several where it was split)."""

    period: Period
    bodies: tuple[str, ...]
    source: str = ""


@attrs.frozen
class District:
    """A local authority district: its council, its CSP and its health coverage over time.

    ``gss`` is its Government Statistical Service code (``E07000032``), the beneficiary location
    of open grants data.
    """

    id: str
    name: str
    council: str
    csp: str
    health: tuple[HealthCoverage, ...] = ()
    source: str = ""
    gss: str = ""

    def health_bodies_on(self, when: date) -> tuple[str, ...]:
        """Return the health commissioners listed for the district on ``when``, in order."""
        bodies: list[str] = []
        for coverage in self.health:
            if coverage.period.contains(when):
                bodies.extend(b for b in coverage.bodies if b not in bodies)
        return tuple(bodies)


@attrs.frozen
class Csp:
    """A community safety partnership; ``successors`` receive its money once it has ended."""

    id: str
    name: str
    active: tuple[Period, ...]
    successors: tuple[str, ...] = ()
    source: str = ""

    def active_on(self, when: date) -> bool:
        """Return whether the partnership exists on ``when``."""
        return active_on(self.active, when)

    def ended_by(self, when: date) -> bool:
        """Return whether the partnership has ended by ``when``."""
        return ended_by(self.active, when)
