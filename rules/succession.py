"""Succession: who stands for a body that has ended, for the partner's roles and for what it
owed and was owed.

A document owed by or to a body that no longer exists on its issue date goes to the body that
took over its liabilities: ``liabilities_to`` in the ruleset where the data says so (with a
source), else the one successor covering the district in question; where the data cannot
decide, :class:`~rules.exceptions.NotCovered` names the choice to make.
"""

from __future__ import annotations

from datetime import date

from rules.exceptions import NotCovered
from rules.membership import health_bodies_on, health_body_on
from rules.ruleset import Ruleset

__all__ = ["liable_body"]


def liable_body(ruleset: Ruleset, organisation: str, district: str, when: date,
                health_body: str | None = None) -> str:
    """The body answerable on ``when`` for what ``organisation`` owes or is owed on a case in
    ``district`` (``health_body``: the case's named commissioner, if any).

    Itself while it exists; once ended, ``liabilities_to`` (followed on if that body has
    ended too), else its successors on ``when`` that cover the district, else its only
    successor; several left, the case's health body decides if it is one of them.

    Raises:
        NotCovered: nobody took over, or several could have and the data cannot decide; the
            field names the choice (``health_body`` on the case, or the ruleset's
            ``organisations.<id>.liabilities_to``).
    """
    seen: list[str] = []
    current = organisation
    while True:
        if current in seen:  # a cycle of liabilities: the ruleset must say
            raise NotCovered(f"the liabilities of {organisation!r} lead back to {current!r}",
                             field=f"organisations.{organisation}.liabilities_to")
        seen.append(current)
        body = ruleset.organisations.get(current)
        if body is None or not body.ended_by(when):
            return current
        current = body.liabilities_to or _covering_successor(ruleset, current, district, when,
                                                             health_body)


def _covering_successor(ruleset: Ruleset, organisation: str, district_id: str, when: date,
                        health_body: str | None) -> str:
    day = when.isoformat()
    successors = [b for b in ruleset.successors_on(organisation, when) if b != organisation]
    field = f"organisations.{organisation}.liabilities_to"
    if not successors:
        raise NotCovered(f"{organisation!r} had ended by {day} and nobody took over its "
                         f"liabilities; the ruleset must name who did (liabilities_to)",
                         field=field)
    if len(successors) == 1:
        return successors[0]
    district = ruleset.districts.get(district_id)
    covering = successors
    if district is not None:
        area = set(health_bodies_on(ruleset, district, when))
        area |= set(ruleset.successors_on(district.council, when))
        covering = [b for b in successors if b in area] or successors
    if len(covering) == 1:
        return covering[0]
    if health_body is not None and district is not None:
        try:
            named = health_body_on(ruleset, district, when, health_body, any_health_body=True)
        except NotCovered:
            named = None
        if named in covering:
            return named
    health = district is not None and all(b in area for b in covering)
    raise NotCovered(
        f"{organisation!r} had ended by {day}; its liabilities on a case in {district_id!r} "
        f"could pass to any of {', '.join(covering)}: "
        + ("name the case's health_body" if health else
           "the ruleset must name who took them over (liabilities_to)"),
        field="health_body" if health else field)
