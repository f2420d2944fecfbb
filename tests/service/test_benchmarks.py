"""The reads benchmark still runs against this version of the service (a tiny ledger: the
figures mean nothing at this size; the rows and their verdicts must all be printed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_reads_benchmark_prints_every_read() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "reads.py"), "--sqlite-only",
         "--sizes", "100,300", "--runs", "2"],
        capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [line.split() for line in done.stdout.splitlines() if line.startswith("  ")]
    printed = {row[0] for row in rows if row[-1] == "met"}  # "met" or "NOT met"
    assert set(printed) == {"statement", "invoices", "board", "cases", "aged-debt"}, done.stdout
