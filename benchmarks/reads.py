"""The ledger's reads at growing sizes, against the same rows fetched by plain SQL.

Each read is the HTTP endpoint (through the app, with an admin token): the all-time statement
of one organisation, the first page of GET /invoices?organisation=, the board report of a
year, the first page of GET /cases and the aged-debt report. The ledger is filled through the
API (cases, costs, billing runs: the smallest size), then copied case by case with bulk
INSERT ... SELECT through SQLAlchemy Core up to each larger size (ids shifted, numbers and
references suffixed: every copy keeps the ledger's invariants), so every size holds the same
kind of history. For each size and read: the median and spread of interleaved runs (each run
alternates the read and its plain SQL call by call, at least 5 times each and for at least
0.1 s, and takes each one's mean: one request of a few milliseconds is at the mercy of a noisy
machine, and a burst of load hits both alike), its growth per 10x documents, and its ratio to
plain SQL (the median of the runs' ratios) doing what the read needs (hand-written Core
queries: the rows a list or statement shows, the sums a report shows; no ORM objects, no
answer built). On SQLite, and on PostgreSQL when BENCH_DATABASE_URL (or TEST_DATABASE_URL) is
set (databases named after its database, ``<name>_bench_<size>``).

Targets (issue 16): each read grows <= 11x per 10x documents and stays <= 2x plain SQL at the
largest size.

    python benchmarks/reads.py [--sizes 1000,10000,100000] [--runs 5] [--sqlite-only]
"""

from __future__ import annotations

import argparse
import functools
import itertools
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa

from service.app import create_app
from service.ledger import tokens
from service.ledger.tables import Base

ORGANISATION = "derbyshire-county-council"  # a partner on every case
DISTRICTS = ["amber-valley", "bolsover", "chesterfield", "erewash"]
YEAR = "2014-15"
PAGE = 100  # the lists' default page size
APPORTION = str(Path(sys.executable).with_name("apportion"))


def _token(url: str) -> str:
    """An admin token made by the ``apportion`` command (``benchmarks/billing.py`` uses it)."""
    out = subprocess.run([APPORTION, "token", "create", "--role", "admin", "--name", "bench"],
                         env={**os.environ, "DATABASE_URL": url}, capture_output=True,
                         text=True, check=True).stdout
    return next(word for word in out.split() if word.startswith("apn_"))


def fill_through_the_api(url: str, documents: int) -> str:
    """Bill cases through the API until about ``documents`` documents exist; return the
    admin token used (copied with the ledger to the larger sizes)."""
    app = create_app({"DATABASE_URL": url})
    client = app.test_client()
    with app.extensions["apportion.db"].session() as session:
        token = tokens.create_token(session, "bench", "admin")
        session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    issued, n = 0, 0
    while issued < documents:
        # Billing dates never go back (numbers and dates run in the same order): each case
        # takes the next five days.
        opened = date(2014, 5, 1) + timedelta(days=5 * n)
        reference = f"DHR-{opened.year}-{n:05d}"
        district = DISTRICTS[n % len(DISTRICTS)]
        answer = client.post("/api/v1/cases", headers=headers, json={
            "reference": reference, "district": district, "commissioned": opened.isoformat()})
        assert answer.status_code == 201, answer.get_data(as_text=True)
        for step, item in ((1, "panel-chair"), (3, "overview-author")):
            answer = client.post(f"/api/v1/cases/{reference}/costs", headers=headers, json={
                "item": item, "amount": f"{1000 + n % 997}.{n % 100:02d}",
                "incurred": (opened + timedelta(days=step)).isoformat()})
            assert answer.status_code == 201, answer.get_data(as_text=True)
            answer = client.post(f"/api/v1/cases/{reference}/billing", headers=headers, json={
                "date": (opened + timedelta(days=step + 1)).isoformat()})
            assert answer.status_code == 201, answer.get_data(as_text=True)
            issued += len(answer.get_json()["documents"])
        # one partner pays its last invoice of the case in full a week later
        number = answer.get_json()["documents"][n % len(answer.get_json()["documents"])][
            "number"]
        answer = client.post(f"/api/v1/invoices/{number}/paid", headers=headers, json={
            "date": (opened + timedelta(days=11)).isoformat()})
        assert answer.status_code == 200, answer.get_data(as_text=True)
        n += 1
    app.extensions["apportion.db"].dispose()
    return token


def _closure(metadata: sa.MetaData) -> list[sa.Table]:
    """The tables holding case history: cases and every table referring to one of them, in
    dependency order."""
    inside: set[str] = {"cases"}
    changed = True
    while changed:
        changed = False
        for table in metadata.sorted_tables:
            if table.name not in inside and any(
                    fk.column.table.name in inside for fk in table.foreign_keys):
                inside.add(table.name)
                changed = True
    return [t for t in metadata.sorted_tables if t.name in inside]


def multiply(url: str, factor: int) -> None:
    """Copy every case's history ``factor - 1`` more times with plain SQL (ids shifted, unique
    texts suffixed)."""
    engine = sa.create_engine(_driver(url))
    tables = _closure(Base.metadata)
    with engine.begin() as connection:
        top = {t.name: connection.execute(sa.select(sa.func.max(t.c.id))).scalar() or 0
               for t in tables if "id" in t.c}
        for copy in range(1, factor):
            for table in tables:
                columns, values = [], []
                for column in table.c:
                    foreign = next(iter(column.foreign_keys), None)
                    if column.name == "id" and column.primary_key:
                        value: Any = column + copy * top[table.name]
                    elif foreign is not None and foreign.column.table.name in top:
                        value = column + copy * top[foreign.column.table.name]
                    elif column.unique or any(
                            isinstance(c, sa.UniqueConstraint) and column.name in c.columns
                            and len(c.columns) == 1 for c in table.constraints):
                        value = (column + f"~{copy}") if column.type.python_type is str \
                            else column
                    else:
                        value = column
                    columns.append(column.name)
                    values.append(value)
                query = sa.select(*values)
                if "id" in table.c:
                    query = query.where(table.c.id <= top[table.name])
                else:
                    firsts = [c for c in table.c if c.foreign_keys]
                    column = firsts[0]
                    referred = next(iter(column.foreign_keys)).column.table.name
                    query = query.where(column <= top[referred])
                connection.execute(sa.insert(table).from_select(columns, query))
    # the planner's statistics and (PostgreSQL) the visibility map, as after a day's use: else
    # autovacuum wakes up on the copied rows half-way through the measurements
    vacuum = "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text(vacuum))
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            for table in tables:
                if "id" in table.c and table.c.id.autoincrement:
                    connection.execute(sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"(SELECT max(id) FROM {table.name}))"))
    engine.dispose()


def _driver(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def count_documents(url: str) -> int:
    engine = sa.create_engine(_driver(url))
    with engine.connect() as connection:
        found = connection.execute(sa.text("SELECT count(*) FROM documents")).scalar_one()
    engine.dispose()
    return int(found)


def plain_sql(connection: sa.Connection, read: str) -> int:
    """What ``read`` needs, by hand-written SQL through Core (no ORM objects, no answer
    built): the rows a list or statement shows, or the sums a report shows."""
    tables = Base.metadata.tables
    documents, lines, cases = tables["documents"], tables["document_lines"], tables["cases"]
    tranches, groups = tables["tranches"], tables["split_groups"]
    payments, reversals = tables["payments"], tables["payment_reversals"]
    credit = tables["credit_allocations"]
    mine = documents.c.organisation == ORGANISATION
    rows = 0
    if read == "statement":  # every movement of the organisation's account, in order
        rows += len(connection.execute(sa.select(
            documents.c.issued, documents.c.id, documents.c.kind, documents.c.number,
            cases.c.reference, documents.c.amount).select_from(documents).join(
            cases, cases.c.id == documents.c.case_id).where(mine).order_by(
            documents.c.issued, documents.c.id)).all())
        rows += len(connection.execute(sa.select(payments, documents.c.number).select_from(
            payments).join(documents, documents.c.id == payments.c.document_id).where(
            mine)).all())
        rows += len(connection.execute(sa.select(reversals, payments.c.amount).select_from(
            reversals).join(payments, payments.c.id == reversals.c.payment_id).join(
            documents, documents.c.id == payments.c.document_id).where(mine)).all())
    elif read == "invoices":  # the first page of the organisation's documents, with lines
        page = connection.execute(sa.select(documents, cases.c.reference).select_from(
            documents).join(cases, cases.c.id == documents.c.case_id).where(mine).order_by(
            documents.c.id).limit(PAGE + 1)).all()
        ids = [row.id for row in page]
        found = connection.execute(sa.select(lines).where(lines.c.document_id.in_(ids))).all()
        split = {row.split_id for row in found}
        rows += len(page) + len(found)
        rows += len(connection.execute(sa.select(groups.c.id, groups.c.data).where(
            groups.c.id.in_(split))).all())
        rows += len(connection.execute(sa.select(
            tranches.c.split_id, tranches.c.item, tranches.c.incurred).where(
            tranches.c.split_id.in_(split))).all())
    elif read == "cases":  # the first page of cases, their costs and nets
        page = connection.execute(sa.select(cases).order_by(cases.c.id).limit(PAGE + 1)).all()
        ids = [row.id for row in page]
        rows += len(page)
        rows += len(connection.execute(sa.select(tranches).where(
            tranches.c.case_id.in_(ids))).all())
        rows += len(connection.execute(sa.select(
            lines.c.case_id, lines.c.organisation, sa.func.sum(lines.c.amount)).where(
            lines.c.case_id.in_(ids), lines.c.document_id.is_not(None)).group_by(
            lines.c.case_id, lines.c.organisation)).all())
    elif read == "board":  # the year's sums per organisation, and the reviews' history
        start = date(int(YEAR[:4]), 4, 1)
        end = date(start.year + 1, 3, 31)
        rows += len(connection.execute(sa.select(
            documents.c.organisation, sa.func.sum(documents.c.amount)).where(
            documents.c.issued.between(start, end)).group_by(documents.c.organisation)).all())
        rows += len(connection.execute(sa.select(
            documents.c.organisation, sa.func.sum(documents.c.amount)).where(
            documents.c.issued <= end).group_by(documents.c.organisation)).all())
        rows += len(connection.execute(sa.select(
            documents.c.organisation, sa.func.sum(payments.c.amount)).select_from(payments).join(
            documents, documents.c.id == payments.c.document_id).where(
            payments.c.received <= end).group_by(documents.c.organisation)).all())
        # the forecast's history: reviews per district and financial year, and a summary of
        # what reviews cost
        year = sa.extract("year", cases.c.commissioned)
        starts = sa.case((sa.extract("month", cases.c.commissioned) >= 4, year), else_=year - 1)
        rows += len(connection.execute(sa.select(
            cases.c.district, starts, sa.func.count()).group_by(cases.c.district, starts)).all())
        each = sa.select((cases.c.status == "closed").label("closed"),
                         sa.func.sum(tranches.c.amount).label("cost")).join(
            tranches, tranches.c.case_id == cases.c.id).group_by(
            cases.c.id, cases.c.status).subquery()
        rows += len(connection.execute(sa.select(
            each.c.closed, sa.func.count(), sa.func.sum(each.c.cost), sa.func.min(each.c.cost),
            sa.func.max(each.c.cost)).group_by(each.c.closed)).all())
    elif read == "aged-debt":  # what is left on each document, per organisation and band
        on = date(2020, 3, 31)
        settled = sa.union_all(
            sa.select(payments.c.document_id.label("id"), payments.c.amount).where(
                payments.c.received <= on),
            sa.select(payments.c.document_id, -payments.c.amount).select_from(reversals).join(
                payments, payments.c.id == reversals.c.payment_id).where(
                reversals.c.reversed_on <= on),
            sa.select(credit.c.invoice_id, credit.c.amount).where(credit.c.allocated_on <= on),
            sa.select(credit.c.credit_note_id, credit.c.amount).where(
                credit.c.allocated_on <= on)).subquery()
        done = sa.select(settled.c.id, sa.func.sum(settled.c.amount).label("amount")).group_by(
            settled.c.id).subquery()
        left = documents.c.amount - sa.func.coalesce(done.c.amount, 0)
        due = sa.func.coalesce(documents.c.due, documents.c.issued)
        band = sa.case((left < 0, "current"), (due >= on, "current"),
                       (due >= on - timedelta(days=30), "1-30"),
                       (due >= on - timedelta(days=60), "31-60"),
                       (due >= on - timedelta(days=90), "61-90"), else_="over-90")
        rows += len(connection.execute(sa.select(
            documents.c.organisation, band, sa.func.sum(left)).outerjoin(
            done, done.c.id == documents.c.id).where(documents.c.issued <= on).group_by(
            documents.c.organisation, band)).all())
    return rows


READS: dict[str, str] = {
    "statement": f"/api/v1/organisations/{ORGANISATION}/statement",
    "invoices": f"/api/v1/invoices?organisation={ORGANISATION}&limit={PAGE}",
    "board": f"/api/v1/reports/board?year={YEAR}",
    "cases": f"/api/v1/cases?limit={PAGE}",
    "aged-debt": "/api/v1/reports/aged-debt?date=2020-03-31",
}


#: A run alternates a read and its plain SQL, call by call, at least this many times and for
#: at least this long (seconds), and reports each one's mean time: a burst of the neighbours'
#: load hits both alike.
RUN_CALLS, RUN_SECONDS = 5, 0.1


def paired(ours: Callable[[], object], plain: Callable[[], object]) -> tuple[float, float]:
    """The mean times of ``ours`` and ``plain``, called alternately at least
    :data:`RUN_CALLS` times each and for at least :data:`RUN_SECONDS` in all."""
    spent_ours = spent_plain = 0.0
    calls = 0
    while calls < RUN_CALLS or spent_ours + spent_plain < RUN_SECONDS:
        start = time.perf_counter()
        ours()
        middle = time.perf_counter()
        plain()
        spent_ours += middle - start
        spent_plain += time.perf_counter() - middle
        calls += 1
    return spent_ours / calls, spent_plain / calls


def _get(client: Any, path: str, headers: dict[str, str]) -> bytes:
    return bytes(client.get(path, headers=headers).get_data())


#: Per size, per read: each run's mean time of the read and of its plain SQL (seconds).
Timings = dict[int, dict[str, tuple[list[float], list[float]]]]


def measure(urls: dict[int, str], runs: int, token: str) -> Timings:
    """Every read at every size, run after run (each run goes through every size and read:
    the sizes and reads are interleaved too)."""
    headers = {"Authorization": f"Bearer {token}"}
    apps = {size: create_app({"DATABASE_URL": url}) for size, url in urls.items()}
    engines = {size: sa.create_engine(_driver(url)) for size, url in urls.items()}
    found: Timings = {size: {} for size in urls}
    served = []
    for read, path in READS.items():
        answer = apps[min(urls)].test_client().get(path, headers=headers)
        if answer.status_code == 404:
            continue  # not in this version of the service
        assert answer.status_code == 200, (path, answer.get_data(as_text=True)[:300])
        served.append(read)
    for _ in range(runs):
        for size in urls:
            client = apps[size].test_client()
            with engines[size].connect() as connection:
                for read in served:
                    ours, sql = paired(
                        functools.partial(_get, client, READS[read], headers),
                        functools.partial(plain_sql, connection, read))
                    timings = found[size].setdefault(read, ([], []))
                    timings[0].append(ours)
                    timings[1].append(sql)
    for size in urls:
        engines[size].dispose()
        apps[size].extensions["apportion.db"].dispose()
    return found


def _databases(base: str | None, folder: Path, sizes: list[int]) -> dict[int, str]:
    if base is None:
        return {size: f"sqlite:///{folder / f'reads-{size}.sqlite3'}" for size in sizes}
    root, name = base.rsplit("/", 1)
    return {size: f"{root}/{name}_bench_{size}" for size in sizes}


def prepare(base: str | None, folder: Path, sizes: list[int]) -> tuple[dict[int, str], str]:
    urls = _databases(base, folder, sizes)
    names = {size: url.rsplit("/", 1)[1] for size, url in urls.items()}
    smallest = min(sizes)
    admin = None
    if base is not None:
        admin = sa.create_engine(_driver(base), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            for size in sizes:
                connection.execute(sa.text(
                    f'DROP DATABASE IF EXISTS "{names[size]}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{names[smallest]}"'))
    started = time.perf_counter()
    token = fill_through_the_api(urls[smallest], smallest)
    actual = count_documents(urls[smallest])
    print(f"  filled {actual:,} documents through the API in "
          f"{time.perf_counter() - started:.1f} s", flush=True)
    for size in sizes:
        if size == smallest:
            continue
        if admin is None:
            shutil.copy(folder / f"reads-{smallest}.sqlite3", folder / f"reads-{size}.sqlite3")
        else:
            with admin.connect() as connection:
                connection.execute(sa.text(
                    f'CREATE DATABASE "{names[size]}" TEMPLATE "{names[smallest]}"'))
        started = time.perf_counter()
        multiply(urls[size], max(1, round(size / actual)))
        print(f"  copied up to {count_documents(urls[size]):,} documents by bulk INSERT ... "
              f"SELECT in {time.perf_counter() - started:.1f} s", flush=True)
    if admin is not None:
        admin.dispose()
    return urls, token


def report(label: str, prepared: tuple[dict[int, str], str], runs: int) -> None:
    urls, token = prepared
    results = measure(urls, runs, token)
    sizes = sorted(results)
    print(f"\n{label}: ledger reads (median of {runs} interleaved runs, [min-max]); "
          "growth per 10x documents; ratio to plain SQL (median of the runs' ratios "
          "[min-max])")
    print(f"  {'read':<10}" + "".join(f"{count_documents(urls[s]):>26,} docs" for s in sizes)
          + "   growth/10x   x SQL at largest")
    for read in READS:
        if read not in results[sizes[0]]:
            print(f"  {read:<10} (not served by this version)")
            continue
        cells, medians = [], []
        for size in sizes:
            ours, sql = results[size][read]
            medians.append(statistics.median(ours))
            cells.append(f"{statistics.median(ours) * 1000:9.1f} ms "
                         f"[{min(ours) * 1000:.0f}-{max(ours) * 1000:.0f}]")
        steps = [b / a for a, b in itertools.pairwise(medians)]
        per_ten = [step ** (1 / max(1e-9, _log10(sizes[i + 1] / sizes[i])))
                   for i, step in enumerate(steps)]
        ours, sql = results[sizes[-1]][read]
        ratios = [a / b for a, b in zip(ours, sql, strict=True)]
        ratio = statistics.median(ratios)
        growth = max(per_ten) if per_ten else float("nan")
        verdict = "met" if growth <= 11 and ratio <= 2 else "NOT met"
        print(f"  {read:<10}" + "".join(f"{c:>31}" for c in cells)
              + f"   {growth:8.1f}x   {ratio:6.1f}x [{min(ratios):.1f}-{max(ratios):.1f}]"
              + f"   {verdict}")


def _log10(value: float) -> float:
    import math
    return math.log10(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000",
                        help="documents at each size, comma-separated")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    url = None if args.sqlite_only else (
        os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL"))
    memory = "/dev/shm" if Path("/dev/shm").is_dir() else None  # SQLite: time work, not fsync
    with tempfile.TemporaryDirectory(dir=memory) as folder:
        report("SQLite", prepare(None, Path(folder), sizes), args.runs)
        if url:
            report("PostgreSQL", prepare(url, Path(folder), sizes), args.runs)
        else:
            print("PostgreSQL: set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to measure it too")


if __name__ == "__main__":
    main()
