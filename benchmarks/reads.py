"""The ledger's reads at growing sizes, against the same rows fetched by plain SQL.

Each read is the HTTP endpoint (through the app, with a viewer token): the all-time statement
of one organisation, GET /invoices?organisation=, the board report of a year, GET /cases and
the aged-debt report. The ledger is filled through the API (cases, costs, billing runs: the
smallest size), then copied case by case with plain SQL up to each larger size, so every size
holds the same kind of history. For each size and read: the median and spread of interleaved
runs, its growth per 10x documents, and its ratio to plain SQL fetching the rows the read
needs (SQLAlchemy Core, no ORM objects, no answer built). On SQLite, and on PostgreSQL when
BENCH_DATABASE_URL (or TEST_DATABASE_URL) is set.

Targets (issue 16): each read grows <= 11x per 10x documents and stays <= 2x plain SQL at the
largest size.

    python benchmarks/reads.py [--sizes 1000,10000,100000] [--runs 3] [--sqlite-only]
"""

from __future__ import annotations

import argparse
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
from service.ledger.tables import Base

ORGANISATION = "derbyshire-county-council"  # a partner on every case
DISTRICTS = ["amber-valley", "bolsover", "chesterfield", "erewash"]
YEAR = "2014-15"
APPORTION = str(Path(sys.executable).with_name("apportion"))


def _token(url: str) -> str:
    out = subprocess.run([APPORTION, "token", "create", "--role", "admin", "--name", "bench"],
                         env={**os.environ, "DATABASE_URL": url}, capture_output=True,
                         text=True, check=True).stdout
    return next(word for word in out.split() if word.startswith("apn_"))


def fill_through_the_api(url: str, documents: int) -> str:
    """Bill cases through the API until about ``documents`` documents exist; return the
    admin token used (copied with the ledger to the larger sizes)."""
    app = create_app({"DATABASE_URL": url})
    client = app.test_client()
    token = _token(url)
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
        if engine.dialect.name == "postgresql":
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
    """The rows ``read`` needs, fetched with Core (no ORM objects, no answer)."""
    tables = Base.metadata.tables
    documents, lines, cases = tables["documents"], tables["document_lines"], tables["cases"]
    tranches = tables["tranches"]
    payments = tables.get("payments")
    rows = 0
    if read in ("statement", "invoices"):
        rows += len(connection.execute(sa.select(documents, cases.c.reference).join(cases).where(
            documents.c.organisation == ORGANISATION).order_by(documents.c.issued,
                                                              documents.c.id)).all())
        if read == "invoices":
            rows += len(connection.execute(sa.select(lines).join(
                documents, lines.c.document_id == documents.c.id).where(
                documents.c.organisation == ORGANISATION)).all())
        if payments is not None:
            rows += len(connection.execute(sa.select(payments).join(
                documents, payments.c.document_id == documents.c.id).where(
                documents.c.organisation == ORGANISATION)).all())
    elif read == "board":
        start = int(YEAR[:4])
        rows += len(connection.execute(sa.select(documents).where(
            documents.c.issued.between(date(start, 4, 1), date(start + 1, 3, 31)))).all())
        rows += len(connection.execute(sa.select(cases)).all())
    elif read == "cases":
        rows += len(connection.execute(sa.select(cases)).all())
        rows += len(connection.execute(sa.select(tranches)).all())
        rows += len(connection.execute(sa.select(
            documents.c.case_id, documents.c.organisation, documents.c.amount)).all())
    elif read == "aged-debt":
        rows += len(connection.execute(sa.select(documents).where(
            documents.c.status != "paid")).all())
        if payments is not None:
            rows += len(connection.execute(sa.select(payments)).all())
    return rows


READS: dict[str, str] = {
    "statement": f"/api/v1/organisations/{ORGANISATION}/statement",
    "invoices": f"/api/v1/invoices?organisation={ORGANISATION}",
    "board": f"/api/v1/reports/board?year={YEAR}",
    "cases": "/api/v1/cases",
    "aged-debt": "/api/v1/reports/aged-debt?date=2020-03-31",
}


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def measure(url: str, runs: int, token: str) -> dict[str, tuple[list[float], list[float]]]:
    app = create_app({"DATABASE_URL": url})
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    engine = sa.create_engine(_driver(url))
    found: dict[str, tuple[list[float], list[float]]] = {}
    for read, path in READS.items():
        answer = client.get(path, headers=headers)
        if answer.status_code == 404:
            continue  # not in this version of the service
        assert answer.status_code == 200, (path, answer.get_data(as_text=True)[:300])
        ours, sql = [], []
        for _ in range(runs):
            start = time.perf_counter()
            client.get(path, headers=headers).get_data()
            ours.append(time.perf_counter() - start)
            with engine.connect() as connection:
                start = time.perf_counter()
                plain_sql(connection, read)
                sql.append(time.perf_counter() - start)
        found[read] = (ours, sql)
    engine.dispose()
    app.extensions["apportion.db"].dispose()
    return found


def _databases(base: str | None, folder: Path, sizes: list[int]) -> dict[int, str]:
    if base is None:
        return {size: f"sqlite:///{folder / f'reads-{size}.sqlite3'}" for size in sizes}
    root = base.rsplit("/", 1)[0]
    return {size: f"{root}/bench_reads_{size}" for size in sizes}


def prepare(base: str | None, folder: Path, sizes: list[int]) -> tuple[dict[int, str], str]:
    urls = _databases(base, folder, sizes)
    smallest = min(sizes)
    admin = None
    if base is not None:
        admin = sa.create_engine(_driver(base), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            for size in sizes:
                connection.execute(sa.text(
                    f'DROP DATABASE IF EXISTS "bench_reads_{size}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "bench_reads_{smallest}"'))
    token = fill_through_the_api(urls[smallest], smallest)
    actual = count_documents(urls[smallest])
    for size in sizes:
        if size == smallest:
            continue
        if admin is None:
            shutil.copy(folder / f"reads-{smallest}.sqlite3", folder / f"reads-{size}.sqlite3")
        else:
            with admin.connect() as connection:
                connection.execute(sa.text(
                    f'CREATE DATABASE "bench_reads_{size}" TEMPLATE "bench_reads_{smallest}"'))
        multiply(urls[size], max(1, round(size / actual)))
    if admin is not None:
        admin.dispose()
    return urls, token


def report(label: str, prepared: tuple[dict[int, str], str], runs: int) -> None:
    urls, token = prepared
    results = {size: measure(url, runs, token) for size, url in urls.items()}
    sizes = sorted(results)
    print(f"\n{label}: ledger reads (median of {runs} interleaved runs, [min-max]); "
          "growth per 10x documents; ratio to plain SQL")
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
        ratio = statistics.median(ours) / statistics.median(sql)
        growth = max(per_ten) if per_ten else float("nan")
        verdict = "met" if growth <= 11 and ratio <= 2 else "NOT met"
        print(f"  {read:<10}" + "".join(f"{c:>31}" for c in cells)
              + f"   {growth:8.1f}x   {ratio:6.1f}x   {verdict}")


def _log10(value: float) -> float:
    import math
    return math.log10(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000",
                        help="documents at each size, comma-separated")
    parser.add_argument("--runs", type=int, default=3)
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
