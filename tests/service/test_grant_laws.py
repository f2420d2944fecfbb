"""Awards under random command sequences (commit, condition, pay, recover) on the ledger's
database: a model predicts every acceptance and refusal, and the laws hold after each step.

Laws: per recipient, sum paid - sum recovered <= sum awarded (and never negative); every
award's stages sum exactly to the award; a stage is paid only once, when due and its condition
is met; refused commands change nothing.
"""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy import select

import rules
from allocations import from_minor
from service.grants import awards
from service.ledger.database import Database
from service.ledger.errors import LedgerError
from service.ledger.tables import Award, AwardStage, Recovery

CSPS = ["amber-valley-csp", "bolsover-csp", "chesterfield-csp", "derbyshire-dales-csp",
        "erewash-csp", "high-peak-csp", "north-east-derbyshire-csp", "south-derbyshire-csp"]


def _ruleset() -> rules.Ruleset:
    data = rules.to_dict(rules.default_ruleset())
    for fund_id, total, stages in (
            ("staged-2013-14", "100000.03", [
                {"id": "award", "percent": "80", "due": "2013-04-30"},
                {"id": "evaluation", "percent": "20", "due": "2013-10-31",
                 "condition": "outcome report received"}]),
            ("thirds-2014-15", "1000.00", [
                {"id": "a", "percent": "33.34", "due": "2014-04-30"},
                {"id": "b", "percent": "33.33", "due": "2014-07-31", "condition": "mid-year"},
                {"id": "c", "percent": "33.33", "due": "2014-10-31", "condition": "year end"}])):
        data["funds"][fund_id] = {
            "name": fund_id, "year": fund_id[-7:], "total": total, "recipients": CSPS,
            "lines": [{"id": "formula", "kind": "proportional", "amount": total,
                       "weights": "population-2011"}],
            "stages": stages}
    return rules.from_dict(data)


RULESET = _ruleset()
FUNDS = ["staged-2013-14", "thirds-2014-15"]
START = date(2013, 4, 1)
days = st.integers(0, 700).map(lambda n: START + timedelta(days=n))


class Awards(RuleBasedStateMachine):
    """The model: committed funds, and per stage its due date, condition state and payment."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = tempfile.TemporaryDirectory()
        self.db = Database(f"sqlite:///{Path(self.folder.name) / 'grants.sqlite3'}")
        self.db.migrate()
        self.committed: set[str] = set()
        # (award number, stage) -> [due, condition?, met (None/True/False), paid]
        self.stages: dict[tuple[str, str], list[Any]] = {}
        self.numbers: list[str] = []
        self.paid_net: dict[str, int] = {}

    def teardown(self) -> None:
        self.db.dispose()
        self.folder.cleanup()

    def _run(self, call: Any) -> Any:
        with self.db.session() as session:
            try:
                result = call(session)
            except LedgerError:
                session.rollback()
                return None
            session.commit()
            return result

    @rule(fund=st.sampled_from(FUNDS), on=days)
    def commit(self, fund: str, on: date) -> None:
        result = self._run(lambda s: awards.commit_fund(s, RULESET, fund, on, "test"))
        assert (result is not None) == (fund not in self.committed)
        if result is None:
            return
        self.committed.add(fund)
        for award in result:
            self.numbers.append(award["number"])
            self.paid_net[award["number"]] = 0
            for stage in award["stages"]:
                self.stages[(award["number"], stage["stage"])] = [
                    date.fromisoformat(stage["due"]), stage.get("condition"), None, False]

    @precondition(lambda self: self.stages)
    @rule(data=st.data(), met=st.booleans(), on=days)
    def condition(self, data: st.DataObject, met: bool, on: date) -> None:
        number, stage = data.draw(st.sampled_from(sorted(self.stages)))
        model = self.stages[(number, stage)]
        awarded_on = self._awarded_on(number)
        result = self._run(lambda s: awards.record_condition(s, number, stage, met, on, None,
                                                             "test"))
        expected = model[1] is not None and not model[3] and on >= awarded_on
        assert (result is not None) == expected, (number, stage, model, on)
        if result is not None:
            model[2] = met

    @precondition(lambda self: self.stages)
    @rule(data=st.data(), on=days)
    def pay(self, data: st.DataObject, on: date) -> None:
        number, stage = data.draw(st.sampled_from(sorted(self.stages)))
        model = self.stages[(number, stage)]
        result = self._run(lambda s: awards.pay_stage(s, number, stage, on, "test"))
        expected = not model[3] and on >= model[0] and (model[1] is None or model[2] is True)
        assert (result is not None) == expected, (number, stage, model, on)
        if result is not None:
            model[3] = True
            self.paid_net[number] += int(result["amount"].replace(".", ""))

    @precondition(lambda self: self.numbers)
    @rule(data=st.data(), pence=st.integers(-5, 3_000_000), on=days)
    def recover(self, data: st.DataObject, pence: int, on: date) -> None:
        number = data.draw(st.sampled_from(self.numbers))
        result = self._run(lambda s: awards.recover(s, number, from_minor(pence), on, "underspend",
                                                    "test"))
        expected = 0 < pence <= self.paid_net[number] and on >= self._awarded_on(number)
        assert (result is not None) == expected
        if result is not None:
            self.paid_net[number] -= pence

    def _awarded_on(self, number: str) -> date:
        with self.db.session() as session:
            found = session.scalar(select(Award.awarded_on).where(Award.number == number))
            assert found is not None
            return found

    @invariant()
    def laws(self) -> None:
        with self.db.session() as session:
            per_recipient: dict[str, list[int]] = {}
            for award in session.scalars(select(Award)):
                stages = list(session.scalars(select(AwardStage).where(
                    AwardStage.award_id == award.id)))
                assert sum(s.amount for s in stages) == award.amount  # stages sum to awards
                paid = sum(s.amount for s in stages if s.paid_on is not None)
                recovered = sum(r.amount for r in session.scalars(
                    select(Recovery).where(Recovery.award_id == award.id)))
                assert 0 <= paid - recovered <= award.amount
                assert paid - recovered == self.paid_net[award.number]
                for stage in stages:
                    if stage.paid_on is not None:
                        assert stage.paid_on >= stage.due
                        assert stage.condition is None or stage.condition_met is True
                totals = per_recipient.setdefault(award.recipient, [0, 0])
                totals[0] += award.amount
                totals[1] += paid - recovered
            for awarded, net in per_recipient.values():
                assert net <= awarded


TestAwards = Awards.TestCase
TestAwards.settings = settings(
    parent=settings.get_profile(settings._current_profile or "default"),
    max_examples=min(settings().max_examples, 25), stateful_step_count=25, deadline=None)
