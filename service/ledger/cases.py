"""Cases and their cost tranches: opening a case, adding and revising costs, reading a case.

A case stores no victim-identifying data (there is no field for it). Every write is audited.
"""

from __future__ import annotations

import functools
import operator
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, Date, Select, bindparam, func, select
from sqlalchemy.orm import Session

import allocations
import rules
from service.ledger import audit, dates
from service.ledger.collection import collection_paused
from service.ledger.errors import Conflict, Invalid, NotFound
from service.ledger.money import pence
from service.ledger.paging import Page, bound, cut, keyset
from service.ledger.tables import Case, DocumentLine, Tranche

__all__ = [
    "STATUSES",
    "add_cost",
    "case_bodies",
    "case_body",
    "case_years",
    "create_case",
    "edit_case",
    "find_case",
    "health_notes",
    "list_cases",
    "revise_cost",
    "tranche_body",
    "unbilled_cases",
]

#: A case's statuses.
STATUSES = ("open", "closed", "withdrawn")


def health_notes(ruleset: rules.Ruleset, district_id: str, on: date,
                 health_body: str | None) -> list[str]:
    """Check a case's health body on its commission date; return notes for the answer.

    A district split between commissioners on ``on`` needs one named; any statutory health
    commissioner active on ``on`` (or starting later: the review may outlive a
    reorganisation) may be named (the victim's GP registration decides), with a note when it
    lies outside the district map.

    Raises:
        Invalid: naming ``health_body`` (the choice to make).
        rules.RulesError: naming ``health_body`` (unknown, or not a commissioner then).
    """
    district = ruleset.district(district_id, field="district")
    candidates = rules.health_bodies_on(ruleset, district, on)
    named = ruleset.organisations.get(health_body or "")
    if named is not None and named.active and on < min(p.start for p in named.active):
        # a commissioner that started after the commission date (the review outlived a
        # reorganisation): checked on the day it started
        on = min(p.start for p in named.active)
        candidates = rules.health_bodies_on(ruleset, district, on)
    if health_body is None:
        if len(candidates) > 1:
            raise Invalid(f"district {district.id!r} is split between health commissioners on "
                          f"{on.isoformat()}: {', '.join(candidates)}; name the relevant one "
                          "as health_body", field="health_body")
        return []
    body = rules.health_body_on(ruleset, district, on, health_body, any_health_body=True)
    if body in candidates:
        return []
    return [f"{ruleset.name_of(body)} ({body}) lies outside the district map for "
            f"{district.id} on {on.isoformat()} (there: {', '.join(candidates) or 'none'}); "
            "accepted as named, since the victim's GP registration decides"]


def create_case(session: Session, ruleset: rules.Ruleset, data: dict[str, Any], actor: str
                ) -> tuple[Case, list[str]]:
    """Open a case, with notes for the answer. The district must be known, and covered by an
    arrangement; a district split between health commissioners on the commission date needs
    ``health_body``. No victim-identifying data is accepted (there is no field for it)."""
    district = ruleset.district(data["district"], field="district")
    if not any(district.id in a.districts for a in ruleset.arrangements.values()):
        raise rules.NotCovered(f"no arrangement covers district {district.id!r}", field="district")
    dates.check_fact(data["commissioned"], "commissioned")
    notes = health_notes(ruleset, district.id, data["commissioned"], data.get("health_body"))
    if session.scalar(select(Case.id).where(Case.reference == data["reference"])) is not None:
        raise Conflict(f"case {data['reference']!r} already exists", field="reference")
    case = Case(reference=data["reference"], district=district.id,
                health_body=data.get("health_body"), commissioned=data["commissioned"],
                status="open", created_at=audit.now())
    session.add(case)
    session.flush()
    audit.record(session, actor, "create", "case", case.reference, None, _case_row(case))
    return case, notes


def edit_case(session: Session, ruleset: rules.Ruleset, case: Case, data: dict[str, Any],
              actor: str) -> list[str]:
    """Change a case's health body, commission date, status or reference (audited, before and
    after); returns notes for the answer. Documents already issued are not touched: the next
    billing run or rebill uses the case as it now stands."""
    before = _case_row(case)
    commissioned = data.get("commissioned", case.commissioned)
    health_body = data.get("health_body", case.health_body)
    if "commissioned" in data:
        dates.check_fact(commissioned, "commissioned")
    notes = health_notes(ruleset, case.district, commissioned, health_body)
    reference = data.get("reference", case.reference)
    if reference != case.reference and session.scalar(
            select(Case.id).where(Case.reference == reference)) is not None:
        raise Conflict(f"case {reference!r} already exists", field="reference")
    case.reference, case.commissioned = reference, commissioned
    case.health_body, case.status = health_body, data.get("status", case.status)
    session.flush()
    after = _case_row(case)
    if after != before:
        audit.record(session, actor, "edit", "case", before["reference"], before, after)
    return notes


def _case_row(case: Any) -> dict[str, Any]:
    return {"reference": case.reference, "district": case.district,
            "health_body": case.health_body, "commissioned": case.commissioned.isoformat(),
            "status": case.status}


def find_case(session: Session, reference: str, lock: bool = False) -> Case:
    """The case ``reference`` (404 if unknown); ``lock`` holds its row until commit."""
    query = select(Case).where(Case.reference == reference)
    if lock:
        query = query.with_for_update()
    case = session.scalar(query)
    if case is None:
        raise NotFound(f"no case {reference!r}")
    return case


def add_cost(session: Session, ruleset: rules.Ruleset, case: Case, data: dict[str, Any],
             actor: str) -> Tranche:
    """Add a cost tranche (not billed until the next billing run)."""
    shared = {i for a in ruleset.arrangements.values() if case.district in a.districts
              for i in a.shared_items}
    if data["item"] not in shared:
        raise rules.NotCovered(f"no arrangement for {case.district!r} shares cost item "
                               f"{data['item']!r}; shared: {', '.join(sorted(shared))}",
                               field="item")
    dates.check_fact(data["incurred"], "incurred")
    tranche = Tranche(case_id=case.id, item=data["item"],
                      amount=allocations.to_minor(data["amount"]), incurred=data["incurred"])
    session.add(tranche)
    session.flush()
    audit.record(session, actor, "add-cost", "tranche", tranche.id, None, tranche_body(tranche))
    return tranche


def revise_cost(session: Session, case: Case, tranche_id: int, amount: allocations.Money,
                actor: str) -> Tranche:
    """Revise a tranche's amount; a billed difference settles at the next billing run."""
    tranche = session.scalar(select(Tranche).where(Tranche.id == tranche_id,
                                                   Tranche.case_id == case.id))
    if tranche is None:
        raise NotFound(f"case {case.reference!r} has no cost {tranche_id}")
    before = tranche_body(tranche)
    tranche.amount = allocations.to_minor(amount)
    audit.record(session, actor, "revise-cost", "tranche", tranche.id, before,
                 tranche_body(tranche))
    return tranche


def tranche_body(tranche: Any) -> dict[str, Any]:
    """A tranche as the API shows it (a :class:`Tranche`, or a row with its columns)."""
    return {"id": tranche.id, "item": tranche.item, "amount": pence(tranche.amount),
            "incurred": tranche.incurred.isoformat(), "billed": tranche.split_id is not None,
            "billed_amount": None if tranche.billed_amount is None
            else pence(tranche.billed_amount)}


def case_body(session: Session, case: Case, notes: Sequence[str] = ()) -> dict[str, Any]:
    """A case with its costs, what is billed and the net invoiced per organisation (the
    partner whose share it is, documents on its behalf included)."""
    body = case_bodies(session, [case])[0]
    if notes:
        body["notes"] = list(notes)
    return body


_TRANCHE_COLUMNS = (Tranche.id, Tranche.case_id, Tranche.item, Tranche.amount,
                    Tranche.incurred, Tranche.split_id, Tranche.billed_amount)
# The reads of a page of cases, built once (a list runs them on every request): their
# tranches, and each one's net invoiced per organisation, in the order each organisation was
# first invoiced on the case (one organisation a document).
_TRANCHES = (select(*_TRANCHE_COLUMNS).where(Tranche.case_id.in_(bindparam("ids", expanding=True)))
             .order_by(Tranche.id))
_NETS = (select(DocumentLine.case_id, DocumentLine.organisation, func.sum(DocumentLine.amount))
         .where(DocumentLine.case_id.in_(bindparam("ids", expanding=True)),
                DocumentLine.document_id.is_not(None))
         .group_by(DocumentLine.case_id, DocumentLine.organisation)
         .order_by(DocumentLine.case_id, func.min(DocumentLine.document_id)))
#: What a case's body shows of it, in the order a list reads them (plain tuples: a row's
#: fields by position cost a fraction of its attributes by name).
_FIELDS = ("id", "reference", "district", "health_body", "commissioned", "status")
_fields_of = operator.attrgetter(*_FIELDS)
_CASE_COLUMNS = tuple(getattr(Case, name) for name in _FIELDS)


def case_bodies(session: Session, cases: Sequence[Case]) -> list[dict[str, Any]]:
    """Cases as the API shows them (see :func:`case_body`)."""
    session.flush()  # Core reads below do not flush by themselves
    return _bodies(session.connection(), [_fields_of(case) for case in cases])


def _bodies(connection: Connection, rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """The bodies of cases given as tuples of their :data:`_FIELDS`, in two queries whatever
    their number, read as Core rows: their tranches, and each one's net invoiced per
    organisation summed in SQL."""
    if not rows:
        return []
    ids = {"ids": [row[0] for row in rows]}
    costs: dict[int, list[dict[str, Any]]] = defaultdict(list)
    totals: dict[int, int] = defaultdict(int)
    billed: dict[int, int] = defaultdict(int)
    days: dict[date, str] = {}  # a page's tranches share few dates: each written once
    for tranche_id, case_id, item, amount, incurred, split_id, billed_amount in (
            connection.execute(_TRANCHES, ids).all()):
        day = days.get(incurred)
        if day is None:
            day = days[incurred] = incurred.isoformat()
        shown = pence(amount)
        # tranche_body's answer, built inline (a page shows hundreds of tranches)
        costs[case_id].append({
            "id": tranche_id, "item": item, "amount": shown, "incurred": day,
            "billed": split_id is not None,
            "billed_amount": None if billed_amount is None else
            shown if billed_amount == amount else pence(billed_amount)})
        totals[case_id] += amount
        if split_id is not None and billed_amount:
            billed[case_id] += billed_amount
    net: dict[int, list[dict[str, str]]] = defaultdict(list)
    for case_id, organisation, amount in connection.execute(_NETS, ids).all():
        net[case_id].append({"organisation": organisation, "net": pence(int(amount))})
    return [{"reference": reference, "district": district, "health_body": health_body,
             "commissioned": commissioned.isoformat(), "status": status,
             "costs": costs.get(id_, []), "total": pence(totals.get(id_, 0)),
             "billed": pence(billed.get(id_, 0)), "invoiced": net.get(id_, [])}
            for id_, reference, district, health_body, commissioned, status in rows]


@functools.cache
def _cases_query(given: frozenset[str]) -> Select[Any]:
    """The page query of :func:`list_cases` for the filters ``given`` (names of its bound
    parameters): built once per combination, so a request reuses the compiled statement."""
    return keyset(select(*_CASE_COLUMNS), {
        "status": Case.status == bindparam("status"),
        "district": Case.district == bindparam("district"),
        "start": Case.commissioned >= bindparam("start", type_=Date),
        "end": Case.commissioned < bindparam("end", type_=Date),
        "q": func.lower(Case.reference).contains(bindparam("q"), escape="/"),
    }, given, Case.id)


def list_cases(session: Session, status: str | None = None, district: str | None = None,
               year: str | None = None, q: str | None = None, limit: int | None = None,
               cursor: int | None = None) -> Page[dict[str, Any]]:
    """Cases with their figures, oldest first, filtered by status, district, the year they were
    commissioned (``2015`` a calendar year, ``2015-16`` a financial year) and ``q`` (part of the
    reference, any case); at most ``limit`` of them after the case whose id is ``cursor``
    (keyset paging: a constant number of queries whatever the page's size or depth)."""
    start, end = _year_span(year) if year else (None, None)
    given = bound(cursor, limit, status=status, district=district, start=start, end=end,
                  q=_like(q.lower()) if q else None)
    session.flush()  # a Core read does not flush by itself
    connection = session.connection()
    with collection_paused():
        shown, last = cut(connection.execute(_cases_query(frozenset(given)), given).all(),
                          limit, operator.itemgetter(0))
        return Page(_bodies(connection, shown), last)


def _like(text: str) -> str:
    """``text`` with LIKE's wildcards escaped (by ``/``), to match as it is."""
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


def unbilled_cases(session: Session, limit: int | None = None) -> list[dict[str, Any]]:
    """Cases (oldest first, at most ``limit``) with a cost not billed yet, or revised since
    it was billed."""
    waiting = select(Tranche.case_id).where(
        (Tranche.split_id.is_(None)) | (Tranche.billed_amount.is_(None))
        | (Tranche.billed_amount != Tranche.amount))
    query = select(Case).where(Case.id.in_(waiting)).order_by(Case.id)
    if limit is not None:
        query = query.limit(limit)
    return case_bodies(session, list(session.scalars(query)))


def case_years(session: Session) -> tuple[date, date, int] | None:
    """The first and last commission dates of any case, and how many cases there are (None
    when there is none)."""
    first, last, count = session.execute(select(
        func.min(Case.commissioned), func.max(Case.commissioned), func.count(Case.id))).one()
    return None if first is None else (first, last, int(count))


def _year_span(year: str) -> tuple[date, date]:
    if "-" in year:
        start = rules.financial_year_start(year)
        return start, date(start.year + 1, 4, 1)
    return date(int(year), 1, 1), date(int(year) + 1, 1, 1)
