"""Board report generation at national size (300 CSPs, 10 years, 3,000 cases, 20,000
documents) and at ten times that, timed in the same run; the figure is the ratio of the two
(target: no worse than linear, i.e. <= 10). Each timing covers gathering one year's figures and
rendering them as JSON, CSV, XLSX and HTML (with its SVG charts)."""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert

import rules
from service.app import create_app
from service.ledger.tables import Case, Document
from service.reports import board as reports
from service.reports.html import render_html

YEARS = [f"{2014 + i}-{15 + i}" for i in range(10)]


def national_ruleset(csps: int) -> rules.Ruleset:
    """The embedded rules plus ``csps`` partnerships and a fund per year over all of them."""
    data: dict[str, Any] = rules.to_dict(rules.default_ruleset())
    ids = [f"csp-{n:05d}" for n in range(csps)]
    for csp in ids:
        data["csps"][csp] = {"name": f"Partnership {csp}", "active": [{"from": date(1998, 9, 30)}],
                             "source": "benchmark"}
    rng = random.Random(3)
    data["weights"]["population"] = {"name": "Population", "source": "benchmark",
                                     "values": {c: rng.randint(40_000, 400_000) for c in ids}}
    for year in YEARS:
        data["funds"][f"grant-{year}"] = {
            "name": f"Grant {year}", "year": year, "total": f"{csps * 40_000}.00",
            "recipients": ids, "source": "benchmark",
            "lines": [{"id": "base", "kind": "per-recipient", "amount": "10000.00"},
                      {"id": "formula", "kind": "proportional", "amount": f"{csps * 25_000}.00",
                       "weights": "population", "floor": "5000.00"},
                      {"id": "rest", "kind": "residual"}]}
    return rules.from_dict(data)


def populate(app: Any, cases: int, documents: int) -> None:
    rng = random.Random(11)
    organisations = [o for o in rules.default_ruleset().organisations]
    now = datetime(2024, 1, 1)
    with app.extensions["apportion.db"].engine.begin() as connection:
        connection.execute(insert(Case), [
            {"id": n + 1, "reference": f"DHR-{n:06d}", "district": "erewash", "health_body": None,
             "commissioned": date(2014, 4, 1), "status": "open", "created_at": now}
            for n in range(cases)])
        rows = []
        for n in range(documents):
            issued = date(2014, 4, 1) + timedelta(days=rng.randrange(3650))
            amount = rng.randint(-20_000, 200_000) or 1
            rows.append({"number": f"{'INV' if amount > 0 else 'CN'}-{n:07d}",
                         "kind": "invoice" if amount > 0 else "credit-note",
                         "case_id": rng.randrange(cases) + 1,
                         "organisation": rng.choice(organisations), "amount": amount,
                         "issued": issued, "due": issued + timedelta(days=30),
                         "status": "open", "paid": 0, "credited": 0, "run": "bench"})
        connection.execute(insert(Document), rows)


def generate(app: Any, year: str) -> int:
    with app.app_context(), app.extensions["apportion.db"].session() as session:
        figures = reports.board_report(session, app.extensions["apportion.ruleset"], year)
        size = len(str(reports.report_json(figures)))
        size += len(reports.report_csv(figures)) + len(reports.report_xlsx(figures))
        size += len(render_html(figures))
    return size


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="apportion-reports-"))
    apps = {}
    for scale in (1, 10):
        ruleset_file = folder / f"rules-{scale}.toml"
        ruleset_file.write_text(rules.dumps(national_ruleset(300 * scale)))
        app = create_app({"DATABASE_URL": f"sqlite:///{folder / f'ledger-{scale}.sqlite3'}"},
                         ruleset=str(ruleset_file))
        populate(app, 3000 * scale, 20_000 * scale)
        apps[scale] = app
    timings: dict[int, list[float]] = {1: [], 10: []}
    for _ in range(3):
        for scale, app in apps.items():
            start = time.perf_counter()
            generate(app, "2018-19")
            timings[scale].append(time.perf_counter() - start)
    one, ten = statistics.median(timings[1]), statistics.median(timings[10])
    print(f"1x  (300 CSPs, 3,000 cases, 20,000 documents):    {one:.2f}s")
    print(f"10x (3,000 CSPs, 30,000 cases, 200,000 documents): {ten:.2f}s")
    print(f"ratio 10x / 1x: {ten / one:.1f} (linear would be 10)")


if __name__ == "__main__":
    main()
