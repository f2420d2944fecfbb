"""The ledger's invariants under random sequences of commands, on both databases: cases and
their edits, costs and revisions, dated billing runs, rebills (dry and real), reorganisations
between runs (a named health body merging away, a council replaced, policies changed), part
payments, payments in full, overpayments, reversals, credit allocation, and retries with the
same Idempotency-Key. Every DESIGN.md §6 invariant is checked after every step
(:func:`tests.service.invariants.check`).

A refusal is accepted only where the machine's own model says a valid request must be refused
(a billing date before the latest document, an overpayment, a second reversal, a split district
without its health body); a billing run that the data cannot decide for lack of a health body
is answered as a finance officer would, by naming one on the case, after which the run must
succeed: a stuck case is a failure, never a skip. Step counts per rule and outcome are printed
at the end of the session (``LEDGER_STEPS``)."""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

import rules
from service.ledger import dates
from tests.service import invariants
from tests.service.conftest import BACKENDS, Ledger, make_ledger, postgres_database

#: Steps taken, by rule and outcome, over every run of the machines in this session.
LEDGER_STEPS: Counter[str] = Counter()

START = date(2011, 9, 1)
DISTRICTS = ["amber-valley", "erewash", "chesterfield", "high-peak", "derbyshire-dales",
             "north-east-derbyshire", "bolsover"]
CHANGES: list[dict[str, Any]] = [
    {"op": "replace-organisation", "organisation": "tameside-glossop-ccg", "date": "2016-04-01",
     "successors": [{"id": "glossop-ccg", "name": "Glossop CCG", "kind": "ccg"}]},
    {"op": "replace-organisation", "organisation": "hardwick-ccg", "date": "2015-04-01",
     "successors": ["north-derbyshire-ccg"]},
    {"op": "replace-organisation", "organisation": "derbyshire-fire-rescue",
     "date": "2016-04-01", "successors": [{"id": "east-midlands-fire", "name": "EM Fire",
                                           "kind": "fire-rescue"}]},
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
pytestmark = pytest.mark.slow

pence = st.integers(0, 10**7)
days = st.integers(0, (date.today() - START).days)
#: A run's date: days after the latest document (before it: refused), often a jump forward.
run_offsets = st.one_of(st.integers(-60, 400), st.integers(400, 6000))


def _money(amount: int) -> str:
    return f"{amount // 100}.{amount % 100:02d}"


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
        self.references: dict[int, str] = {}  # case key -> its reference now
        self.costs: dict[int, list[int]] = {}
        self.last: tuple[str, Any, str, Any] | None = None
        self.today = dates.today()

    def teardown(self) -> None:
        if hasattr(self, "ledger"):
            self.ledger.dispose()

    @property
    def ruleset(self) -> rules.Ruleset:
        return self.ledger.app.extensions["apportion.ruleset"]  # type: ignore[no-any-return]

    def _send(self, method: str, path: str, body: Any, key: str | None = None) -> Any:
        headers = self.ledger.headers("finance")
        if key:
            headers["Idempotency-Key"] = key
        response = self.client.open(f"/api/v1{path}", method=method, json=body, headers=headers)
        assert response.status_code < 500, response.get_data(as_text=True)
        if response.status_code >= 400:
            assert response.content_type == "application/problem+json"
        if key and response.status_code < 400:  # a refusal is not kept: a retry runs again
            self.last = (path, body, key, response.get_json())
        return response

    def _get(self, path: str) -> Any:
        response = self.client.get(f"/api/v1{path}", headers=self.ledger.headers("viewer"))
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def _latest(self) -> date | None:
        issued = [date.fromisoformat(d["issued"]) for d in self._get("/invoices")["invoices"]]
        return max(issued) if issued else None

    def _day(self, offset: int, after: date | None = None) -> date:
        return min((after or START) + timedelta(days=offset), self.today)

    def _case(self, key: int) -> dict[str, Any]:
        return self._get(f"/cases/{self.references[key]}")  # type: ignore[no-any-return]

    # -- cases -----------------------------------------------------------------------------

    @precondition(lambda self: len(getattr(self, "references", {})) < 4)
    @rule(target=cases, district=st.sampled_from(DISTRICTS), offset=days,
          name_health=st.booleans(), slashed=st.booleans())
    def create_case(self, district: str, offset: int, name_health: bool, slashed: bool) -> int:
        self.count += 1
        reference = f"DHR/{self.count}/01" if slashed else f"DHR-{self.count}"
        commissioned = self._day(offset)
        body: dict[str, Any] = {"reference": reference, "district": district,
                                "commissioned": commissioned.isoformat()}
        covering = rules.health_bodies_on(self.ruleset, self.ruleset.district(district),
                                          commissioned)
        if name_health and covering:
            body["health_body"] = covering[-1]
        response = self._send("POST", "/cases", body, key=f"case-{reference}")
        if len(covering) > 1 and "health_body" not in body:
            assert response.status_code == 422, response.get_json()
            assert list(response.get_json()["errors"]) == ["health_body"]
            body["health_body"] = covering[0]
            LEDGER_STEPS["create_case:422 health_body, then named"] += 1
            response = self._send("POST", "/cases", body, key=f"case-{reference}-named")
        assert response.status_code == 201, response.get_json()
        LEDGER_STEPS["create_case"] += 1
        self.references[self.count] = reference
        self.costs[self.count] = []
        self.add_cost(self.count, "overview-author", 100_000 + offset, offset)
        return self.count

    @rule(case=cases, status=st.sampled_from(["open", "closed", "withdrawn"]),
          rename=st.booleans(), offset=st.one_of(st.none(), days))
    def edit_case(self, case: int, status: str, rename: bool, offset: int | None) -> None:
        body: dict[str, Any] = {"status": status}
        if rename:
            body["reference"] = f"{self.references[case]}.r"[-40:]
        if offset is not None:
            body["commissioned"] = self._day(offset).isoformat()
        response = self._send("PATCH", f"/cases/{self.references[case]}", body)
        if response.status_code == 422 and "commissioned" in body:
            # moving the commission date into a split period needs a health body that decides
            assert list(response.get_json()["errors"]) == ["health_body"], response.get_json()
            district = self.ruleset.district(self._case(case)["district"])
            assert len(rules.health_bodies_on(self.ruleset, district, date.fromisoformat(
                body["commissioned"]))) > 1, response.get_json()
            LEDGER_STEPS["edit_case:422 health_body"] += 1
            return
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["status"] == status
        self.references[case] = response.get_json()["reference"]
        LEDGER_STEPS["edit_case"] += 1

    @rule(case=cases, item=st.sampled_from(["panel-chair", "overview-author"]), amount=pence,
          offset=days)
    def add_cost(self, case: int, item: str, amount: int, offset: int) -> None:
        response = self._send("POST", f"/cases/{self.references[case]}/costs",
                              {"item": item, "amount": _money(amount),
                               "incurred": self._day(offset).isoformat()})
        assert response.status_code == 201, response.get_json()
        self.costs[case].append(response.get_json()["id"])
        LEDGER_STEPS["add_cost"] += 1

    @rule(case=cases, pick=st.integers(0, 50), amount=pence)
    def revise_cost(self, case: int, pick: int, amount: int) -> None:
        if self.costs[case]:
            tranche = self.costs[case][pick % len(self.costs[case])]
            response = self._send("PATCH", f"/cases/{self.references[case]}/costs/{tranche}",
                                  {"amount": _money(amount)})
            assert response.status_code == 200, response.get_json()
            LEDGER_STEPS["revise_cost"] += 1

    # -- billing ---------------------------------------------------------------------------

    def _run(self, case: int, path: str, body: dict[str, Any], ok: int, name: str,
             key: str | None = None) -> None:
        latest = self._latest()
        on = date.fromisoformat(body["date"])
        response = self._send("POST", f"/cases/{self.references[case]}/{path}", body, key=key)
        if latest is not None and on < latest:
            assert response.status_code == 422, response.get_json()
            assert list(response.get_json()["errors"]) == ["date"]
            LEDGER_STEPS[f"{name}:422 date before the latest document"] += 1
            return
        if response.status_code == 422 and list(response.get_json()["errors"]) == [
                "health_body"]:
            # the data cannot decide which commissioner: name one on the case, as the
            # refusal asks, and the same run must then go through
            current = self._case(case)
            district = self.ruleset.district(current["district"])
            covering = rules.health_bodies_on(self.ruleset, district, on)
            assert len(covering) > 1 or current["health_body"] is None or any(
                word in response.get_json()["detail"] for word in ("ended", "liabilities")), (
                response.get_json(), current)
            fixed = self._send("PATCH", f"/cases/{self.references[case]}",
                               {"health_body": covering[0]})
            assert fixed.status_code == 200, fixed.get_json()
            response = self._send("POST", f"/cases/{self.references[case]}/{path}", body)
            LEDGER_STEPS[f"{name}:422 health_body, named, then run"] += 1
        assert response.status_code == ok, (response.get_json(), body)
        self.issued = getattr(self, "issued", False) or bool(response.get_json()["documents"])
        LEDGER_STEPS[name] += 1

    @rule(case=cases, offset=run_offsets, key=st.booleans())
    def bill(self, case: int, offset: int, key: bool) -> None:
        self.count += 1
        on = self._day(offset, self._latest())
        self._run(case, "billing", {"date": on.isoformat()}, 201, "bill",
                  key=f"bill-{self.count}" if key else None)

    @rule(case=cases, offset=run_offsets, dry=st.booleans())
    def rebill(self, case: int, offset: int, dry: bool) -> None:
        on = self._day(offset, self._latest())
        self._run(case, "rebill", {"date": on.isoformat(), "dry_run": dry}, 200 if dry else 201,
                  "rebill (dry run)" if dry else "rebill")

    @precondition(lambda self: len(getattr(self, "applied", ())) < len(CHANGES))
    @rule(pick=st.integers(0, 100))
    def reorganise(self, pick: int) -> None:
        """A reorganisation or policy change between runs: documents already issued keep
        their splits; the next runs follow the new rules (and succession)."""
        self.applied: set[int] = getattr(self, "applied", set())
        waiting = [i for i in range(len(CHANGES)) if i not in self.applied]
        index = waiting[pick % len(waiting)]
        change = CHANGES[index]
        self.applied.add(index)
        changed = rules.apply_changes(self.ruleset, [rules.change_from_dict(change)])
        self.ledger.app.extensions["apportion.ruleset"] = changed
        LEDGER_STEPS[f"reorganise:{change['op']} {change.get('organisation', '')}".strip()] += 1

    # -- payments --------------------------------------------------------------------------

    def _open_documents(self) -> list[dict[str, Any]]:
        return [d for d in self._get("/invoices")["invoices"] if d["outstanding"] != "0.00"]

    @precondition(lambda self: getattr(self, "issued", False))
    @rule(pick=st.integers(0, 10**6), part=st.integers(1, 100), offset=st.integers(0, 400),
          how=st.sampled_from(["part", "in full", "over"]))
    def pay(self, pick: int, part: int, offset: int, how: str) -> None:
        documents = self._open_documents()
        if not documents:
            LEDGER_STEPS["pay:nothing open"] += 1
            return
        document = documents[pick % len(documents)]
        number = document["number"]
        left = abs(int(document["outstanding"].replace(".", "").replace("-", "")))
        on = self._day(offset, date.fromisoformat(document["issued"])).isoformat()
        if how == "in full":
            response = self._send("POST", f"/invoices/{number}/paid", {"date": on})
            assert response.status_code == 200, response.get_json()
            assert response.get_json()["outstanding"] == "0.00"
        elif how == "over":
            response = self._send("POST", f"/invoices/{number}/payments",
                                  {"date": on, "amount": _money(left + part)})
            assert response.status_code == 422, response.get_json()
            assert list(response.get_json()["errors"]) == ["amount"]
        else:
            amount = max(1, left * part // 100)
            response = self._send("POST", f"/invoices/{number}/payments",
                                  {"date": on, "amount": _money(amount), "reference": f"R{pick}"})
            assert response.status_code == 201, response.get_json()
            self.payments.append(response.get_json()["id"])
        LEDGER_STEPS[f"pay:{how}"] += 1

    @property
    def payments(self) -> list[int]:
        if not hasattr(self, "_payments"):
            self._payments: list[int] = []
        return self._payments

    @precondition(lambda self: bool(getattr(self, "_payments", None)))
    @rule(pick=st.integers(0, 10**6))
    def reverse(self, pick: int) -> None:
        if not self.payments:
            LEDGER_STEPS["reverse:no payment yet"] += 1
            return
        payment = self.payments[pick % len(self.payments)]
        response = self._send("POST", f"/payments/{payment}/reversal",
                              {"date": self.today.isoformat(), "reason": "recorded in error"})
        reversed_before: set[int] = getattr(self, "_reversed", set())
        if payment in reversed_before:
            assert response.status_code == 409, response.get_json()
            LEDGER_STEPS["reverse:409 already reversed"] += 1
            return
        assert response.status_code == 201, response.get_json()
        reversed_before.add(payment)
        self._reversed = reversed_before
        LEDGER_STEPS["reverse"] += 1

    @rule()
    def retry(self) -> None:
        if self.last is not None:
            path, body, key, answer = self.last
            again = self._send("POST", path, body, key=key)
            assert again.get_json() == answer
            LEDGER_STEPS["retry"] += 1

    @invariant()
    def holds(self) -> None:
        if hasattr(self, "ledger"):
            invariants.check(self.ledger.app)


@pytest.fixture(scope="module", autouse=True)
def step_counts() -> Iterator[None]:
    """Print the step counts per rule and outcome when the module ends (``pytest -s``), and
    write them as JSON to ``$LEDGER_STEPS_FILE`` when set."""
    yield
    if LEDGER_STEPS:
        print("\nledger state machine steps:")
        for name, count in sorted(LEDGER_STEPS.items()):
            print(f"  {count:6d}  {name}")
        if os.environ.get("LEDGER_STEPS_FILE"):
            Path(os.environ["LEDGER_STEPS_FILE"]).write_text(json.dumps(LEDGER_STEPS, indent=1))


class PostgresLedgerMachine(LedgerMachine):
    backend = "postgresql"


def _settings(limit: int) -> settings:
    return settings(max_examples=min(settings().max_examples, limit), stateful_step_count=40,
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
