"""A billing run costs what changed, not the case's history (issue 16): the number of SQL
statements and of rows loaded as objects by a run do not grow with the runs before it, on
SQLite and PostgreSQL. A revision late in a long case still reads only what it corrects."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from service.ledger.tables import Base
from tests.service import invariants
from tests.service.conftest import Ledger
from tests.service.test_ledger import cost, documents, open_case, post


@contextmanager
def counted(ledger: Ledger) -> Iterator[Counter[str]]:
    """Count the statements sent and the rows loaded as objects (per table) meanwhile."""
    engine = ledger.app.extensions["apportion.db"].engine
    found: Counter[str] = Counter()

    def statement(*_: Any) -> None:
        found["statements"] += 1

    def loaded(target: Any, _context: Any) -> None:
        found[type(target).__tablename__] += 1

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(Base, "load", loaded, propagate=True)
    try:
        yield found
    finally:
        event.remove(Base, "load", loaded)
        event.remove(engine, "before_cursor_execute", statement)


def run(ledger: Ledger, day: int) -> Counter[str]:
    """Add a cost and bill it (every partner gets an invoice); what the run cost."""
    client = ledger.client()
    on = f"2013-{5 + day // 28:02d}-{1 + day % 28:02d}"
    cost(ledger, client, f"{100 + day}.{day:02d}", on)
    with counted(ledger) as found:
        assert documents(post(client, ledger, "/cases/DHR-2013-02/billing", {"date": on}))
    return found


def test_a_billing_run_costs_the_same_however_long_the_case(ledger: Ledger) -> None:
    open_case(ledger, ledger.client())
    costs = [run(ledger, day) for day in range(24)]
    early, late = costs[3], costs[-1]
    assert late == early, (early, late)
    assert late["tranches"] <= 2 and late.get("documents", 0) <= 6, late
    invariants.check(ledger.app)


def test_a_late_revision_reads_only_the_group_it_corrects(ledger: Ledger) -> None:
    client = ledger.client()
    open_case(ledger, client)
    first = cost(ledger, client, "600.00", "2013-04-01")
    documents(post(client, ledger, "/cases/DHR-2013-02/billing", {"date": "2013-04-01"}))
    for day in range(12):
        run(ledger, day)
    response = client.patch(f"/api/v1/cases/DHR-2013-02/costs/{first}",
                            json={"amount": "300.00"}, headers=ledger.headers())
    assert response.status_code == 200, response.get_json()
    with counted(ledger) as found:
        issued = documents(post(client, ledger, "/cases/DHR-2013-02/billing",
                                {"date": "2013-06-01"}))
    assert {kind for kind, _, _ in issued} == {"credit-note"}
    assert found["tranches"] == 1, found  # the revised tranche, not the case's 13
    invariants.check(ledger.app)
