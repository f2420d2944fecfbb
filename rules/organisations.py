"""Organisations, their kinds, and when a kind is a statutory member of a CSP."""

from __future__ import annotations

from datetime import date

import attrs

from rules.periods import Period, active_on, ended_by

__all__ = ["Kind", "Organisation"]


@attrs.frozen
class Kind:
    """A kind of body (police authority, CCG...); ``statutory`` says when it is a responsible
    authority of a CSP (s.5 Crime and Disorder Act 1998 as amended over time)."""

    id: str
    name: str
    statutory: tuple[Period, ...] = ()
    source: str = ""

    def statutory_on(self, when: date) -> bool:
        """Return whether bodies of this kind are statutory members on ``when``."""
        return active_on(self.statutory, when)


@attrs.frozen
class Organisation:
    """A body that can be billed or funded, active over half-open periods.

    ``successors`` take over its roles once it is no longer active (a trust split in two, a CCG
    merged into one). ``liabilities_to`` names the body that took over what it owed and was
    owed when it ended (``liabilities_source`` cites why); where absent, the successor covering
    the district in question does (:func:`rules.liable_body`).
    """

    id: str
    name: str
    kind: str
    active: tuple[Period, ...]
    successors: tuple[str, ...] = ()
    source: str = ""
    liabilities_to: str | None = None
    liabilities_source: str = ""

    def active_on(self, when: date) -> bool:
        """Return whether the organisation exists on ``when``."""
        return active_on(self.active, when)

    def ended_by(self, when: date) -> bool:
        """Return whether the organisation has ceased by ``when`` (after having existed)."""
        return ended_by(self.active, when)
