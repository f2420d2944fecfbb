"""The ledger's invariants under random sequences of commands, on both databases: case
creation, costs, revisions, billing runs, rebills (dry and real), payments, retries with the same
Idempotency-Key, and membership changes to the rules between billing runs."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule

import rules
from tests import strategies
from tests.service import invariants
from tests.service.conftest import BACKENDS, Ledger, make_ledger, postgres_database

pytestmark = pytest.mark.slow

DISTRICTS = [("amber-valley", None), ("erewash", None), ("chesterfield", None),
             ("high-peak", "tameside-glossop-ccg"), ("derbyshire-dales", "north-derbyshire-ccg")]
CHANGES = [
    {"op": "end-organisation", "organisation": "derbyshire-fire-rescue", "date": "2016-04-01"},
    {"op": "set-policy", "arrangement": "derbyshire-dhr", "policy": "probation",
     "value": "one-share"},
    {"op": "add-contribution", "arrangement": "derbyshire-dhr", "organisation": "derbyshire-pcc",
     "item": "panel-chair", "percent": "50", "cap": "500.00"},
    {"op": "set-role-weight", "arrangement": "derbyshire-dhr", "role": "district-council",
     "weight": 2},
    {"op": "replace-organisation", "organisation": "derbyshire-county-council",
     "date": "2015-01-01", "successors": [{"id": "east-midlands-council", "name": "EM Council",
                                           "kind": "county-council"}]},
]
money = st.integers(0, 10**7).map(lambda p: f"{p // 100}.{p % 100:02d}")


class LedgerMachine(RuleBasedStateMachine):
    backend = "sqlite"
    cases = Bundle("cases")

    @initialize()
    def start(self) -> None:
        folder = Path(tempfile.mkdtemp(prefix="ledger-laws-"))
        postgres = postgres_database() if self.backend == "postgresql" else None
        self.ledger: Ledger = make_ledger(self.backend, folder, postgres)
        self.client = self.ledger.client()
        self.count = 0
        self.costs: dict[str, list[int]] = {}
        self.last: tuple[str, Any, str, Any] | None = None

    def teardown(self) -> None:
        if hasattr(self, "ledger"):
            self.ledger.dispose()

    def _post(self, path: str, body: Any, key: str | None = None) -> Any:
        headers = self.ledger.headers("finance")
        if key:
            headers["Idempotency-Key"] = key
        response = self.client.post(f"/api/v1{path}", json=body, headers=headers)
        assert response.status_code < 500, response.get_data(as_text=True)
        if key:
            self.last = (path, body, key, response.get_json())
        return response

    @rule(target=cases, where=st.sampled_from(DISTRICTS), commissioned=strategies.arrangement_dates)
    def create_case(self, where: tuple[str, str | None], commissioned: date) -> str:
        self.count += 1
        reference = f"DHR-{self.count}"
        body: dict[str, Any] = {"reference": reference, "district": where[0],
                                "commissioned": commissioned.isoformat()}
        if where[1]:
            body["health_body"] = where[1]
        assert self._post("/cases", body, key=f"case-{reference}").status_code == 201
        self.costs[reference] = []
        return reference

    @rule(case=cases, item=st.sampled_from(["panel-chair", "overview-author"]), amount=money,
          incurred=strategies.arrangement_dates)
    def add_cost(self, case: str, item: str, amount: str, incurred: date) -> None:
        response = self._post(f"/cases/{case}/costs", {"item": item, "amount": amount,
                                                       "incurred": incurred.isoformat()})
        assert response.status_code == 201
        self.costs[case].append(response.get_json()["id"])

    @rule(case=cases, pick=st.integers(0, 50), amount=money)
    def revise_cost(self, case: str, pick: int, amount: str) -> None:
        if self.costs[case]:
            tranche = self.costs[case][pick % len(self.costs[case])]
            response = self.client.patch(f"/api/v1/cases/{case}/costs/{tranche}",
                                         json={"amount": amount},
                                         headers=self.ledger.headers("finance"))
            assert response.status_code == 200

    @rule(case=cases, on=strategies.arrangement_dates, key=st.booleans())
    def bill(self, case: str, on: date, key: bool) -> None:
        self.count += 1
        response = self._post(f"/cases/{case}/billing", {"date": on.isoformat()},
                              key=f"bill-{self.count}" if key else None)
        assert response.status_code in (201, 422), response.get_json()

    @rule(case=cases, on=strategies.arrangement_dates, dry=st.booleans())
    def rebill(self, case: str, on: date, dry: bool) -> None:
        response = self._post(f"/cases/{case}/rebill", {"date": on.isoformat(), "dry_run": dry})
        assert response.status_code in ((200,) if dry else (201,)) + (422,)

    @rule(pick=st.integers(0, 10**6), on=strategies.arrangement_dates)
    def pay(self, pick: int, on: date) -> None:
        listed = self.client.get("/api/v1/invoices?status=open",
                                 headers=self.ledger.headers("viewer")).get_json()["invoices"]
        if listed:
            number = listed[pick % len(listed)]["number"]
            response = self._post(f"/invoices/{number}/paid", {"date": on.isoformat()})
            assert response.status_code in (200, 422)

    @rule()
    def retry(self) -> None:
        if self.last is not None:
            path, body, key, answer = self.last
            again = self._post(path, body, key=key)
            assert again.get_json() == answer

    @rule(change=st.sampled_from(CHANGES))
    def change_membership(self, change: dict[str, Any]) -> None:
        current = self.ledger.app.extensions["apportion.ruleset"]
        try:
            changed = rules.apply_changes(current, [rules.change_from_dict(change)])
        except rules.RulesError:
            return
        self.ledger.app.extensions["apportion.ruleset"] = changed

    @invariant()
    def holds(self) -> None:
        if hasattr(self, "ledger"):
            invariants.check(self.ledger.app)


class PostgresLedgerMachine(LedgerMachine):
    backend = "postgresql"


def _settings(limit: int) -> settings:
    return settings(max_examples=min(settings().max_examples, limit), stateful_step_count=25,
                    deadline=None)


TestLedgerSQLite = LedgerMachine.TestCase
TestLedgerSQLite.settings = _settings(60)

if "postgresql" in BACKENDS:
    TestLedgerPostgres = PostgresLedgerMachine.TestCase
    TestLedgerPostgres.settings = _settings(30)
else:  # pragma: no cover - CI always sets TEST_DATABASE_URL
    @pytest.mark.skip(reason="TEST_DATABASE_URL is not set")
    def test_ledger_postgres() -> None:
        raise AssertionError
