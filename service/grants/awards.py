"""Awards: a fund's committed allocation as numbered grants, paid in stages, recovered in part.

Committing a fund issues one numbered award per recipient with something to receive, each with
its payment stages (the fund's stages; one stage of 100% on the award date where the fund sets
none). A stage is paid in full, once, on or after its due date and only when its condition (if
any) has been recorded as met. Underspend is clawed back by a numbered recovery. Invariants,
per award: its stages sum to its amount; paid - recovered never exceeds the amount and is never
negative. Every write is audited; one transaction per command (the caller commits).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

import allocations
import rules
from service.ledger import audit
from service.ledger.errors import Conflict, Invalid, NotFound
from service.ledger.money import pence
from service.ledger.paging import Page, cut, since
from service.ledger.tables import Award, AwardStage, Recovery, Series

__all__ = [
    "award_bodies",
    "award_body",
    "commit_fund",
    "list_awards",
    "pay_stage",
    "record_condition",
    "recover",
]


def _next_number(session: Session, series: str) -> str:
    """The next number of a gap-free series, taken inside the issuing transaction."""
    last, prefix = session.execute(
        update(Series).where(Series.name == series).values(last=Series.last + 1)
        .returning(Series.last, Series.prefix)).one()
    return f"{prefix}{last:06d}"


def _not_after_today(on: date) -> None:
    if on > audit.now().date():
        raise Invalid(f"{on.isoformat()} is in the future; record what has happened",
                      field="date")


def commit_fund(session: Session, ruleset: rules.Ruleset, fund_id: str, on: date, actor: str
                ) -> list[dict[str, Any]]:
    """Commit the allocation of fund ``fund_id`` on ``on``: one numbered award per recipient.

    Raises:
        NotFound: the ruleset has no such fund.
        Conflict: the fund's awards were already committed.
        Invalid: the date is in the future, or the allocation awards nothing.
        RulesError: the fund cannot be allocated (naming the field).
    """
    fund = ruleset.funds.get(fund_id)
    if fund is None:
        raise NotFound(f"unknown fund {fund_id!r}; known: {', '.join(ruleset.funds)}")
    _not_after_today(on)
    if session.scalar(select(Award.id).where(Award.fund == fund_id).limit(1)) is not None:
        raise Conflict(f"the awards of fund {fund_id!r} were already committed", field="fund")
    allocation = rules.allocate_fund(ruleset, fund)
    awarded = {r: a for r, a in allocation.awards.items() if allocations.to_minor(a) > 0}
    if not awarded:
        raise Invalid(f"fund {fund_id!r} allocates nothing to anybody yet: nothing to award",
                      field="fund")
    bodies = []
    for recipient, amount in awarded.items():
        award = Award(number=_next_number(session, "award"), fund=fund.id, year=fund.year,
                      recipient=recipient, amount=allocations.to_minor(amount), awarded_on=on,
                      created_at=audit.now())
        session.add(award)
        session.flush()
        schedule = allocation.schedules.get(recipient)
        if schedule:
            parts = [(s.stage, s.amount, s.due, s.condition) for s in schedule]
        else:
            parts = [("award", amount, on, None)]
        for position, (stage, money, due, condition) in enumerate(parts):
            session.add(AwardStage(award_id=award.id, position=position, stage=stage,
                                   amount=allocations.to_minor(money), due=due,
                                   condition=condition))
        session.flush()
        body = award_body(session, award)
        audit.record(session, actor, "commit", "award", award.number, None, body)
        bodies.append(body)
    return bodies


def _stages(session: Session, award: Award) -> list[AwardStage]:
    return list(session.scalars(select(AwardStage).where(AwardStage.award_id == award.id)
                                .order_by(AwardStage.position)))


def _recoveries(session: Session, award: Award) -> list[Recovery]:
    return list(session.scalars(select(Recovery).where(Recovery.award_id == award.id)
                                .order_by(Recovery.id)))


def _status(stage: AwardStage) -> str:
    if stage.paid_on is not None:
        return "paid"
    if stage.condition is not None and stage.condition_met is not True:
        return "condition-not-met" if stage.condition_met is False else "awaiting-condition"
    return "payable"


def _stage_body(stage: AwardStage) -> dict[str, Any]:
    body: dict[str, Any] = {
        "stage": stage.stage, "amount": pence(stage.amount), "due": stage.due.isoformat(),
        "status": _status(stage), "paid_on": stage.paid_on.isoformat() if stage.paid_on else None}
    if stage.condition is not None:
        body["condition"] = stage.condition
        body["condition_met"] = stage.condition_met
        body["condition_date"] = stage.condition_on.isoformat() if stage.condition_on else None
        body["condition_note"] = stage.condition_note
    return body


def award_body(session: Session, award: Award) -> dict[str, Any]:
    """An award as the API shows it: stages, what is paid, recovered and still to pay."""
    return award_bodies(session, [award])[0]


def award_bodies(session: Session, found: Sequence[Award]) -> list[dict[str, Any]]:
    """Awards as the API shows them (see :func:`award_body`), in two queries whatever their
    number: their stages and their recoveries."""
    if not found:
        return []
    ids = [award.id for award in found]
    stages: dict[int, list[AwardStage]] = defaultdict(list)
    for stage in session.scalars(select(AwardStage).where(AwardStage.award_id.in_(ids))
                                 .order_by(AwardStage.award_id, AwardStage.position)):
        stages[stage.award_id].append(stage)
    recoveries: dict[int, list[Recovery]] = defaultdict(list)
    for recovery in session.scalars(select(Recovery).where(Recovery.award_id.in_(ids))
                                    .order_by(Recovery.id)):
        recoveries[recovery.award_id].append(recovery)
    return [_award_body(award, stages.get(award.id, []), recoveries.get(award.id, []))
            for award in found]


def _award_body(award: Award, stages: Sequence[AwardStage], recoveries: Sequence[Recovery]
                ) -> dict[str, Any]:
    paid = sum(s.amount for s in stages if s.paid_on is not None)
    recovered = sum(r.amount for r in recoveries)
    return {
        "number": award.number, "fund": award.fund, "year": award.year,
        "recipient": award.recipient, "amount": pence(award.amount),
        "awarded": award.awarded_on.isoformat(),
        "stages": [_stage_body(s) for s in stages],
        "paid": pence(paid), "recovered": pence(recovered), "net_paid": pence(paid - recovered),
        "to_pay": pence(award.amount - paid),
        "recoveries": [{"number": r.number, "amount": pence(r.amount),
                        "date": r.recovered_on.isoformat(), "reason": r.reason}
                       for r in recoveries]}


def list_awards(session: Session, fund: str | None = None, recipient: str | None = None,
                limit: int | None = None, cursor: int | None = None) -> Page[dict[str, Any]]:
    """Awards in number order, optionally of one fund and/or one recipient; at most ``limit``
    of them after the award whose id is ``cursor`` (keyset paging: a constant number of
    queries whatever the page's size or depth)."""
    query = select(Award)
    if fund:
        query = query.where(Award.fund == fund)
    if recipient:
        query = query.where(Award.recipient == recipient)
    if cursor is not None:
        query = query.where(Award.id > since(cursor))
    query = query.order_by(Award.id)
    if limit is not None:
        query = query.limit(limit + 1)
    shown, last = cut(list(session.scalars(query)), limit, lambda award: award.id)
    return Page(award_bodies(session, shown), last)


def find_award(session: Session, number: str, lock: bool = False) -> Award:
    """The award ``number`` (``NotFound`` if none); ``lock`` holds its row until commit."""
    query = select(Award).where(Award.number == number)
    if lock:
        query = query.with_for_update()
    award = session.scalar(query)
    if award is None:
        raise NotFound(f"no award {number!r}")
    return award


def _find_stage(session: Session, award: Award, stage_id: str) -> AwardStage:
    stage = session.scalar(select(AwardStage).where(AwardStage.award_id == award.id,
                                                    AwardStage.stage == stage_id))
    if stage is None:
        known = ", ".join(s.stage for s in _stages(session, award))
        raise NotFound(f"award {award.number} has no stage {stage_id!r} (its stages: {known})")
    return stage


def record_condition(session: Session, number: str, stage_id: str, met: bool, on: date,
                     note: str | None, actor: str) -> dict[str, Any]:
    """Record whether a stage's condition is met (it may be recorded again until paid)."""
    award = find_award(session, number, lock=True)
    stage = _find_stage(session, award, stage_id)
    if stage.condition is None:
        raise Invalid(f"stage {stage_id!r} of {number} has no condition to record", field="met")
    if stage.paid_on is not None:
        raise Conflict(f"stage {stage_id!r} of {number} was paid on {stage.paid_on}; its "
                       "condition can no longer change", field="met")
    _not_after_today(on)
    if on < award.awarded_on:
        raise Invalid(f"{number} was awarded on {award.awarded_on}; a condition cannot be "
                      "recorded before", field="date")
    before = award_body(session, award)
    stage.condition_met, stage.condition_on, stage.condition_note = met, on, note
    session.flush()
    after = award_body(session, award)
    audit.record(session, actor, "condition", "award", number, before, after)
    return after


def pay_stage(session: Session, number: str, stage_id: str, on: date, actor: str
              ) -> dict[str, Any]:
    """Pay a stage in full on ``on``: refused before it is due and until its condition is met."""
    award = find_award(session, number, lock=True)
    stage = _find_stage(session, award, stage_id)
    if stage.paid_on is not None:
        raise Conflict(f"stage {stage_id!r} of {number} was already paid on {stage.paid_on}",
                       field="stage")
    _not_after_today(on)
    if on < stage.due:
        raise Invalid(f"stage {stage_id!r} of {number} is due on {stage.due}; it cannot be "
                      f"paid on {on}", field="date")
    if stage.condition is not None and stage.condition_met is not True:
        state = "was recorded as not met" if stage.condition_met is False else \
            "has not been recorded as met"
        raise Invalid(f"stage {stage_id!r} of {number} is paid only once its condition is met, "
                      f"and it {state}: {stage.condition}", field="stage")
    before = award_body(session, award)
    stage.paid_on = on
    session.flush()
    after = award_body(session, award)
    audit.record(session, actor, "pay", "award", number, before, after)
    return {"award": number, "stage": stage_id, "amount": pence(stage.amount),
            "date": on.isoformat(), "paid": after["paid"], "to_pay": after["to_pay"]}


def recover(session: Session, number: str, amount: allocations.Money, on: date, reason: str,
            actor: str) -> dict[str, Any]:
    """Claw back underspend: a numbered recovery, never more than was paid and not recovered."""
    award = find_award(session, number, lock=True)
    minor = allocations.to_minor(amount)
    if minor <= 0:
        raise Invalid("a recovery must be more than 0.00", field="amount")
    _not_after_today(on)
    if on < award.awarded_on:
        raise Invalid(f"{number} was awarded on {award.awarded_on}; nothing can be recovered "
                      "before", field="date")
    stages = _stages(session, award)
    paid = sum(s.amount for s in stages if s.paid_on is not None)
    recovered = sum(r.amount for r in _recoveries(session, award))
    if minor > paid - recovered:
        raise Invalid(f"{number} has {pence(paid - recovered)} paid and not recovered; "
                      f"{pence(minor)} cannot be recovered", field="amount")
    before = award_body(session, award)
    recovery = Recovery(number=_next_number(session, "recovery"), award_id=award.id,
                        amount=minor, recovered_on=on, reason=reason)
    session.add(recovery)
    session.flush()
    after = award_body(session, award)
    audit.record(session, actor, "recover", "award", number, before, after)
    return {"number": recovery.number, "award": number, "amount": pence(minor),
            "date": on.isoformat(), "reason": reason}
