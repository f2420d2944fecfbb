"""A what-if over 1,000 DHR requests and 10 funds, per request, relative to one split_by_weight.

Both are timed in the same run, interleaved. The figure is: (time to compare the scenario) /
(1,000 requests + 10 funds) / (time of one seven-way split_by_weight). It says how many plain
splits one request of a what-if costs (each request is evaluated twice: base and scenario).
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import rules
from allocations import from_minor, split_by_weight


def workload(ruleset: rules.Ruleset) -> tuple[list[rules.DhrRequest], list[rules.Fund]]:
    rng = random.Random(7)
    districts = list(ruleset.arrangement("derbyshire-dhr").districts)
    requests: list[rules.DhrRequest] = []
    while len(requests) < 1000:
        district = rng.choice(districts)
        day = date(2011, 9, 1) + timedelta(days=rng.randrange(0, 5500))
        bodies = rules.health_bodies_on(ruleset, ruleset.district(district), day)
        requests.append(rules.DhrRequest(
            district, day, (rules.Cost("panel-chair", from_minor(rng.randint(10**4, 10**7))),
                            rules.Cost("overview-author", from_minor(rng.randint(10**4, 10**7)))),
            bodies[0] if len(bodies) > 1 else None))
    base = ruleset.fund("home-office-csf-2012-13")
    funds = []
    for index in range(10):
        funds.append(rules.fund_from_dict({
            "id": f"grant-{index}", "name": "Grant", "year": f"20{13 + index}-{14 + index}",
            "total": "500000.00", "recipients": list(base.recipients),
            "lines": [{"id": "base", "kind": "per-recipient", "amount": "5000.00"},
                      {"id": "formula", "kind": "proportional", "amount": "300000.00",
                       "weights": "population-2011", "floor": "20000.00", "cap": "60000.00"},
                      {"id": "iom", "kind": "fixed", "recipient": "derbyshire-county-council",
                       "amount": "50000.00"},
                      {"id": "rest", "kind": "residual", "recipient": None}]}))
    return requests, funds


def main() -> None:
    ruleset = rules.default_ruleset()
    requests, funds = workload(ruleset)
    changes = [rules.change_from_dict(c) for c in (
        {"op": "set-policy", "arrangement": "derbyshire-dhr", "policy": "probation",
         "value": "one-share"},
        {"op": "add-contribution", "arrangement": "derbyshire-dhr", "organisation":
         "derbyshire-pcc", "item": "panel-chair", "percent": "50", "cap": "5000.00"},
        {"op": "merge-csps", "csps": ["bolsover-csp", "chesterfield-csp"], "into": "north-csp",
         "date": "2013-04-01"})]
    weights = dict.fromkeys("abcdefg", 1)
    total = from_minor(425000)
    whatif, single = [], []
    for _ in range(5):
        start = time.perf_counter()
        comparison = rules.compare(ruleset, changes, requests, funds)
        whatif.append((time.perf_counter() - start) / (len(requests) + len(funds)))
        start = time.perf_counter()
        for _ in range(20000):
            split_by_weight(total, weights)
        single.append((time.perf_counter() - start) / 20000)
    assert len(comparison.scenario_dhr) == 1000
    per_request, per_split = statistics.median(whatif), statistics.median(single)
    print(f"what-if per request (base + scenario): {per_request * 1e6:.1f}us")
    print(f"one seven-way split_by_weight:          {per_split * 1e6:.1f}us")
    print(f"ratio: {per_request / per_split:.1f} splits per what-if request")


if __name__ == "__main__":
    main()
