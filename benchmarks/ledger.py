"""Billing runs per second on SQLite and PostgreSQL, and relative to a bare SQLAlchemy insert of
the same rows, measured in the same run.

A billing run here: one case, six partners, two tranches (a new one each run), so each run
resolves the split, settles and issues six invoices with their lines and audit events, in one
transaction. The baseline inserts the same rows (one tranche, six documents, six lines, six
audit events) with plain SQLAlchemy Core in one transaction, with no rules or checks.
PostgreSQL is used when BENCH_DATABASE_URL (or TEST_DATABASE_URL) is set.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, insert, text

import allocations
import rules
from service.ledger import billing, cases
from service.ledger.database import Database
from service.ledger.tables import (
    AuditEvent,
    Case,
    Document,
    DocumentLine,
    SplitGroup,
    Tranche,
)

RUNS = 150


def fresh(url: str | None, folder: Path, name: str) -> Database:
    if url is None:
        database = Database(f"sqlite:///{folder / name}.sqlite3")
    else:
        admin = create_engine("postgresql+psycopg://" + url.split("://", 1)[1],
                              isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "bench_{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "bench_{name}"'))
        admin.dispose()
        database = Database(url.rsplit("/", 1)[0] + f"/bench_{name}")
    database.migrate()
    return database


def billing_runs(database: Database, ruleset: rules.Ruleset) -> list[float]:
    with database.session() as session:
        case, _ = cases.create_case(session, ruleset, {
            "reference": "DHR-BENCH", "district": "erewash", "commissioned": date(2015, 1, 1),
            "health_body": None}, "bench")
        cases.add_cost(session, ruleset, case, {"item": "panel-chair",
                                                 "amount": allocations.parse_money("1000.00"),
                                                 "incurred": date(2023, 1, 1)}, "bench")
        session.commit()
    times = []
    for run in range(RUNS):
        start = time.perf_counter()
        with database.session() as session:
            case = cases.find_case(session, "DHR-BENCH", lock=True)
            cases.add_cost(session, ruleset, case, {
                "item": "overview-author", "amount": allocations.from_minor(10_000 + run),
                "incurred": date(2023, 2, 1)}, "bench")
            issued = billing.bill(session, ruleset, case, date(2023, 3, 1), "bench")
            session.commit()
        assert len(issued) == 6
        times.append(time.perf_counter() - start)
    return times


def bare_inserts(database: Database) -> list[float]:
    """The same rows as a billing run, inserted with SQLAlchemy Core and nothing else."""
    now = datetime(2023, 3, 1)
    with database.engine.begin() as connection:
        case_id = connection.execute(insert(Case).values(
            reference="DHR-BARE", district="erewash", health_body=None,
            commissioned=date(2015, 1, 1), status="open", created_at=now)
            .returning(Case.id)).scalar_one()
        split_id = connection.execute(insert(SplitGroup).values(
            case_id=case_id, key="k", data="{}", resolved_on=date(2023, 3, 1))
            .returning(SplitGroup.id)).scalar_one()
    times = []
    for run in range(RUNS):
        start = time.perf_counter()
        with database.engine.begin() as connection:
            connection.execute(insert(Tranche).values(
                case_id=case_id, item="overview-author", amount=10_000 + run,
                incurred=date(2023, 2, 1), split_id=split_id, billed_amount=10_000 + run))
            for partner in range(6):
                document_id = connection.execute(insert(Document).values(
                    number=f"B-{run}-{partner}", kind="invoice", case_id=case_id,
                    organisation=f"partner-{partner}", amount=1667, issued=date(2023, 3, 1),
                    due=date(2023, 3, 31), status="open", run=str(run))
                    .returning(Document.id)).scalar_one()
                connection.execute(insert(DocumentLine).values(
                    case_id=case_id, organisation=f"partner-{partner}", split_id=split_id,
                    document_id=document_id, amount=1667))
                connection.execute(insert(AuditEvent).values(
                    at=now, actor="bench", action="issue", entity="document",
                    entity_id=str(document_id), before=None, after="{}"))
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    ruleset = rules.default_ruleset()
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    backends = [("SQLite", None)] + ([("PostgreSQL", url)] if url else [])
    with tempfile.TemporaryDirectory() as folder:
        for label, backend_url in backends:
            ours = fresh(backend_url, Path(folder), "ledger")
            bare = fresh(backend_url, Path(folder), "bare")
            run_times, bare_times = [], []
            run_times = billing_runs(ours, ruleset)
            bare_times = bare_inserts(bare)
            a, b = statistics.median(run_times), statistics.median(bare_times)
            print(f"{label:<10} billing runs: {1 / a:6.0f}/s   bare inserts of the same rows: "
                  f"{1 / b:6.0f}/s   ratio {b / a:.2f} (a run costs {a / b:.1f}x the inserts)")
            ours.dispose()
            bare.dispose()
    if not url:
        print("PostgreSQL: set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to measure it too")


if __name__ == "__main__":
    main()
