"""Who fills each role of an arrangement on a date: the statutory partners that pay.

Invariants (tested as laws): every partner is active and statutory on the date; each body is
listed once, under the first role it fills; the order is the arrangement's role order.
"""

from __future__ import annotations

import bisect
import weakref
from collections.abc import Hashable
from datetime import date
from fractions import Fraction
from typing import Any, TypeVar

import attrs

from rules.arrangements import Arrangement, Role
from rules.exceptions import NotCovered
from rules.geography import District
from rules.ruleset import Ruleset

__all__ = ["Partner", "health_bodies_on", "health_body_on", "health_commissioner_kinds",
           "partners_on", "remember", "resolve_partners", "ruleset_memo"]


@attrs.frozen
class Partner:
    """A body paying under ``role`` with ``weight`` shares."""

    organisation: str
    role: str
    weight: Fraction


def health_bodies_on(ruleset: Ruleset, district: District, when: date) -> tuple[str, ...]:
    """Return the statutory health commissioners covering ``district`` on ``when``.

    Coverage lists bodies per period; a listed body that has ended is replaced by its
    successors, so a reorganisation entered as a successor needs no new coverage entry.
    """
    found: list[str] = []
    for body in district.health_bodies_on(when):
        for stand_in in ruleset.successors_on(body, when):
            if stand_in not in found and ruleset.statutory_on(stand_in, when):
                found.append(stand_in)
    return tuple(found)


class _Timeline:
    """The dates where anything in a ruleset starts or ends, and resolutions already made.

    Between two consecutive dates nothing changes, so partners resolved for one day of a
    segment hold for all of it: the cache is keyed by segment, not by day.
    """

    def __init__(self, ruleset: Ruleset):
        dates: set[date] = set()
        periods = [p for o in ruleset.organisations.values() for p in o.active]
        periods += [p for k in ruleset.kinds.values() for p in k.statutory]
        periods += [h.period for d in ruleset.districts.values() for h in d.health]
        for period in periods:
            dates.add(period.start)
            if period.end is not None:
                dates.add(period.end)
        self.boundaries = sorted(dates)
        self.resolved: dict[tuple[str, str, str | None, bool, int], tuple[Partner, ...]] = {}
        self.memos: dict[str, dict[Hashable, Any]] = {}


T = TypeVar("T")

#: Entries a memo of :func:`ruleset_memo` holds before it starts afresh.
MEMO_LIMIT = 65_536


def ruleset_memo(ruleset: Ruleset, name: str) -> dict[Hashable, Any]:
    """A table, kept as long as ``ruleset``, for values derived from it alone (``name`` tells
    the tables apart). Store in it with :func:`remember`."""
    return _timeline(ruleset).memos.setdefault(name, {})


def remember(memo: dict[Hashable, Any], key: Hashable, value: T) -> T:
    """Keep ``value`` under ``key`` in a :func:`ruleset_memo` table (which starts afresh once
    it holds :data:`MEMO_LIMIT` entries) and return it."""
    if len(memo) >= MEMO_LIMIT:
        memo.clear()
    memo[key] = value
    return value


#: Timelines by ruleset identity (a WeakKeyDictionary would compare whole rulesets by value on
#: every lookup); an entry goes when its ruleset does.
_TIMELINES: dict[int, tuple[weakref.ref[Ruleset], _Timeline]] = {}


def _timeline(ruleset: Ruleset) -> _Timeline:
    key = id(ruleset)
    entry = _TIMELINES.get(key)
    if entry is not None and entry[0]() is ruleset:
        return entry[1]
    timeline = _Timeline(ruleset)
    _TIMELINES[key] = (weakref.ref(ruleset, lambda _gone: _TIMELINES.pop(key, None)), timeline)
    return timeline


def partners_on(
    ruleset: Ruleset,
    arrangement: Arrangement,
    district: District,
    when: date,
    health_body: str | None = None,
    any_health_body: bool = False,
) -> tuple[Partner, ...]:
    """Resolve the arrangement's roles to the statutory partners on ``when``.

    Resolutions are cached per ruleset and per segment of its timeline (rulesets are values:
    a changed copy gets its own cache).

    Raises:
        NotCovered: when the district's health commissioner is ambiguous and ``health_body`` is
            not given, when ``health_body`` does not cover the district on ``when`` (unless
            ``any_health_body``: then any statutory health commissioner active on ``when`` may
            be named, as the victim's GP registration decides), or when an area role (council,
            health) has nobody to fill it. A named body that has ended is followed through its
            successors to the one covering the district on ``when``.
    """
    timeline = _timeline(ruleset)
    key = (arrangement.id, district.id, health_body, any_health_body,
           bisect.bisect_right(timeline.boundaries, when))
    found = timeline.resolved.get(key)
    if found is None:
        found = timeline.resolved[key] = resolve_partners(ruleset, arrangement, district, when,
                                                          health_body, any_health_body)
    return found


def resolve_partners(ruleset: Ruleset, arrangement: Arrangement, district: District,
                     when: date, health_body: str | None = None, any_health_body: bool = False
                     ) -> tuple[Partner, ...]:
    """:func:`partners_on` without the cache."""
    partners: list[Partner] = []
    taken: set[str] = set()
    for role in arrangement.roles:
        bodies = [b for b in _fillers(ruleset, role, district, when, health_body,
                                      any_health_body) if b not in taken]
        if not bodies:
            continue
        each = role.weight if role.fill == "each" else role.weight / len(bodies)
        for body in bodies:
            taken.add(body)
            partners.append(Partner(body, role.id, each))
    return tuple(partners)


def _fillers(ruleset: Ruleset, role: Role, district: District, when: date,
             health_body: str | None, any_health_body: bool) -> list[str]:
    if role.area == "health":
        return [health_body_on(ruleset, district, when, health_body, any_health_body)]
    if role.area == "council":
        councils = [b for b in ruleset.successors_on(district.council, when)
                    if ruleset.statutory_on(b, when)]
        if not councils:
            raise NotCovered(f"no statutory council fills role {role.id!r} for district "
                             f"{district.id!r} on {when.isoformat()}", field="district")
        return councils
    found: list[str] = []
    for listed in role.organisations:
        for body in ruleset.successors_on(listed, when):
            if body not in found and ruleset.statutory_on(body, when):
                found.append(body)
    return found


def health_commissioner_kinds(ruleset: Ruleset) -> frozenset[str]:
    """The kinds of body the districts' health coverage lists (PCT, CCG, ICB...): the data
    says what a health commissioner is."""
    return frozenset(ruleset.organisations[b].kind for d in ruleset.districts.values()
                     for h in d.health for b in h.bodies if b in ruleset.organisations)


def health_body_on(ruleset: Ruleset, district: District, when: date,
                   health_body: str | None = None, any_health_body: bool = False) -> str:
    """The health commissioner paying for ``district`` on ``when``.

    A named body that has ended by then is followed through its successors to the one covering
    the district (a CCG merged away -> the merged CCG -> the ICB that replaced it).
    Unnamed (or, with ``any_health_body``, named but not started yet), the district map decides
    when it lists one commissioner.

    Raises:
        NotCovered: naming ``health_body`` when the choice is the caller's to make.
    """
    candidates = health_bodies_on(ruleset, district, when)
    day = when.isoformat()
    listed = ", ".join(candidates) or "none"
    if health_body is not None and any_health_body:
        named = ruleset.organisation(health_body, field="health_body")
        if named.active and when < min(p.start for p in named.active):
            # named for a review that outlived a reorganisation: before the named body
            # started, the district map decides
            health_body = None
    if health_body is not None:
        named = ruleset.organisation(health_body, field="health_body")
        body = health_body
        if named.ended_by(when):
            stand_ins = [b for b in ruleset.successors_on(health_body, when)
                         if ruleset.statutory_on(b, when)]
            covering = [b for b in stand_ins if b in candidates]
            if len(covering) == 1 or (any_health_body and len(stand_ins) == 1):
                body = (covering or stand_ins)[0]
            elif covering:
                raise NotCovered(
                    f"health body {health_body!r} had ended by {day}; several of its successors "
                    f"cover district {district.id!r}: {', '.join(covering)}; name the relevant "
                    "one as health_body", field="health_body")
            else:
                raise NotCovered(
                    f"health body {health_body!r} had ended by {day} and no successor of it "
                    f"covers district {district.id!r}; the commissioner(s) then: {listed}; name "
                    "the relevant one as health_body", field="health_body")
        if body in candidates:
            return body
        if (any_health_body and ruleset.statutory_on(body, when)
                and ruleset.organisation(body).kind in health_commissioner_kinds(ruleset)):
            return body
        if any_health_body:
            raise NotCovered(
                f"health body {body!r} is not a statutory health commissioner on {day}; the "
                f"commissioner(s) of district {district.id!r} then: {listed}",
                field="health_body")
        raise NotCovered(
            f"health body {body!r} does not cover district {district.id!r} on {day}; "
            f"the commissioner(s) then: {listed}", field="health_body")
    if not candidates:
        raise NotCovered(f"no statutory health commissioner covers district {district.id!r} "
                         f"on {day}", field="district")
    if len(candidates) > 1:
        raise NotCovered(
            f"district {district.id!r} is covered by several health commissioners on {day}: "
            f"{', '.join(candidates)}; name the relevant one as health_body",
            field="health_body")
    return candidates[0]
