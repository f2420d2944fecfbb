"""Billing runs early and late in a long case: does a run cost what changed, or the history?

One case is billed ``--runs`` times through the API (a new cost, then a billing run, each
time); the figure is the median time of the last ``--window`` runs over the median of the
first ``--window`` (after ``--warmup`` runs). The case is replayed ``--repeats`` times on fresh
ledgers, alternating databases, and the ratios' median and spread are printed. On SQLite, and
on PostgreSQL when BENCH_DATABASE_URL (or TEST_DATABASE_URL) is set. Target (issue 16): late
runs <= 1.3x early ones.

    python benchmarks/billing.py [--runs 600] [--window 50] [--repeats 3] [--sqlite-only]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa

from benchmarks.reads import _driver, _token
from service.app import create_app

TARGET = 1.3


def fresh(base: str | None, folder: Path, name: str) -> str:
    if base is None:
        return f"sqlite:///{folder / name}.sqlite3"
    # named after the base database too, so benchmarks run against one server side by side
    # (one database each) do not drop each other's ledgers
    name = f"bench_{base.rsplit('/', 1)[1]}_{name}"
    admin = sa.create_engine(_driver(base), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.rsplit("/", 1)[0] + f"/{name}"


def long_case(url: str, runs: int) -> list[float]:
    """Seconds of each billing run (the cost added before it is not timed)."""
    app = create_app({"DATABASE_URL": url})
    client = app.test_client()
    headers = {"Authorization": f"Bearer {_token(url)}"}
    answer = client.post("/api/v1/cases", headers=headers, json={
        "reference": "DHR-LONG", "district": "erewash", "commissioned": "2015-01-01"})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    times = []
    for run in range(runs):
        day = f"{2015 + run // 300}-{1 + run % 300 // 25:02d}-{1 + run % 25:02d}"
        answer = client.post("/api/v1/cases/DHR-LONG/costs", headers=headers, json={
            "item": "overview-author", "amount": f"{100 + run}.{run % 100:02d}",
            "incurred": day})
        assert answer.status_code == 201, answer.get_data(as_text=True)
        start = time.perf_counter()
        answer = client.post("/api/v1/cases/DHR-LONG/billing", headers=headers,
                             json={"date": day})
        times.append(time.perf_counter() - start)
        assert answer.status_code == 201, answer.get_data(as_text=True)
        assert answer.get_json()["documents"], "each run issues documents"
    app.extensions["apportion.db"].dispose()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=600)
    parser.add_argument("--window", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    url = None if args.sqlite_only else (
        os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL"))
    backends = [("SQLite", None)] + ([("PostgreSQL", url)] if url else [])
    found: dict[str, list[tuple[float, float]]] = {label: [] for label, _ in backends}
    memory = "/dev/shm" if Path("/dev/shm").is_dir() else None  # SQLite: time work, not fsync
    with tempfile.TemporaryDirectory(dir=memory) as folder:
        for repeat in range(args.repeats):
            for label, base in backends:
                times = long_case(fresh(base, Path(folder), f"billing_{repeat}"), args.runs)
                early = statistics.median(times[args.warmup:args.warmup + args.window])
                late = statistics.median(times[-args.window:])
                found[label].append((early, late))
    print(f"billing runs in one case of {args.runs} runs: median of runs "
          f"{args.warmup + 1}-{args.warmup + args.window} (early) and of the last "
          f"{args.window} (late); {args.repeats} repeats")
    for label, pairs in found.items():
        ratios = [late / early for early, late in pairs]
        ratio = statistics.median(ratios)
        print(f"  {label:<10} early {statistics.median(e for e, _ in pairs) * 1000:6.1f} ms  "
              f"late {statistics.median(lt for _, lt in pairs) * 1000:6.1f} ms  late/early "
              f"{ratio:.2f} [{min(ratios):.2f}-{max(ratios):.2f}]  target <= {TARGET}: "
              f"{'met' if ratio <= TARGET else 'NOT met'}")
    if not url:
        print("PostgreSQL: set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to measure it too")


if __name__ == "__main__":
    main()
