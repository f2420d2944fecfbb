"""Fund allocation at 10 / 1,000 / 10,000 recipients against a plain proportional split.

Three paths are timed, interleaved with the baseline in the same run:

* ``lines``: :func:`allocations.allocate_lines` over one line of every kind the allocations
  package has (fixed, per-recipient, proportional with floor, cap and damping, passport, bids,
  residual);
* ``fund``: a fund of a ruleset with a fixed, a per-recipient, a proportional (floor and cap)
  and a residual line, through :func:`service.wire.answers.fund_answer` (what the API calls:
  :func:`rules.allocate_fund` and the answer's body builder);
* ``follows``: a fund with one line of every kind the rules read (:data:`rules.LINE_KINDS`) that
  follows the previous year's fund: its proportional line damped against that fund's, a
  passport line of that fund's per-recipient line, a bids line with a bid per recipient (more
  asked than the pot: scaled), through the same builder, which also checks the allocation
  against the fund followed (rounding paradoxes). Both years' funds are allocated.

The baseline is a plain integer largest-remainder split of the fund's total by the recipients'
weights (a few lines of Python, no checks, no explanations, no money objects), done once per
line of the fund: each line shares (part of) the pot among the recipients once. Figures: median
and spread of ``--runs`` interleaved runs; the ratio to the baseline. Target (issue 16): <= 3x
the plain split at 10,000 recipients, i.e. O(n log n) on every line kind.

    python benchmarks/allocation.py [--sizes 10,1000,10000] [--runs 3]
"""

from __future__ import annotations

import argparse
import functools
import random
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import allocations
import rules
from service.wire import answers

TARGET = 3.0


def plain_split(total: int, weights: list[int]) -> list[int]:
    """Largest remainder in integers: the floor of each quota, leftovers to the largest
    remainders."""
    denominator = sum(weights)
    quotas = [divmod(total * w, denominator) for w in weights]
    shares = [q for q, _ in quotas]
    leftover = total - sum(shares)
    for index in sorted(range(len(weights)), key=lambda i: -quotas[i][1])[:leftover]:
        shares[index] += 1
    return shares


def every_line(n: int) -> tuple[allocations.Money, list[Any], list[str], list[int]]:
    rng = random.Random(n)
    names = [f"r{i:05d}" for i in range(n)]
    weights = [rng.randint(40_000, 400_000) for _ in names]
    money = allocations.from_minor
    previous = {r: money(rng.randint(1_500_00, 2_500_00)) for r in names}
    lines: list[Any] = [
        allocations.Fixed("fixed", names[0], money(500_00)),
        allocations.PerRecipient("each", money(1_000_00)),
        allocations.Proportional("formula", money(2_000_00 * n), dict(zip(names, weights,
                                                                          strict=True)),
                                 floor=money(500_00), cap=money(6_000_00)),
        allocations.Proportional("damped", money(2_000_00 * n), dict(zip(names, weights,
                                                                         strict=True)),
                                 damping=allocations.Damping(previous, Decimal(60),
                                                             Decimal(60))),
        allocations.Passport("passport", {r: money(100_00 + i % 50) for i, r in
                                          enumerate(names)}),
        allocations.Bids("bids", money(300_00 * n), tuple(
            allocations.Bid(f"bid-{i}", r, money(rng.randint(100_00, 900_00)), i % 3 != 0)
            for i, r in enumerate(names))),
        allocations.Residual("rest"),
    ]
    total = money(10_000_00 * n)
    return total, lines, names, weights


def national_fund(n: int) -> tuple[rules.Ruleset, rules.Fund]:
    data: dict[str, Any] = rules.to_dict(rules.default_ruleset())
    rng = random.Random(n)
    ids = [f"csp-{i:05d}" for i in range(n)]
    for csp in ids:
        data["csps"][csp] = {"name": f"Partnership {csp}", "active": [{"from": "1998-09-30"}],
                             "source": "benchmark"}
    data["weights"]["population"] = {"name": "Population", "source": "benchmark",
                                     "values": {c: rng.randint(40_000, 400_000) for c in ids}}
    known = {
        "fixed": {"id": "fixed", "kind": "fixed", "amount": "500.00", "recipient": ids[0]},
        "per-recipient": {"id": "each", "kind": "per-recipient", "amount": "1000.00"},
        "proportional": {"id": "formula", "kind": "proportional", "amount": f"{2000 * n}.00",
                         "weights": "population", "floor": "500.00", "cap": "6000.00"},
        "residual": {"id": "rest", "kind": "residual"},
    }
    lines = [known[kind] for kind in rules.LINE_KINDS if kind in known]
    lines.sort(key=lambda line: line["kind"] == "residual")
    data["funds"]["national"] = {"name": "National", "year": "2016-17",
                                 "total": f"{10_000 * n}.00", "recipients": ids,
                                 "source": "benchmark", "lines": lines}
    ruleset = rules.from_dict(data)
    return ruleset, ruleset.fund("national")


def following_fund(n: int) -> tuple[rules.Ruleset, rules.Fund]:
    """A fund of every line kind following the previous year's fund (see the module doc)."""
    ruleset, _ = national_fund(n)
    data: dict[str, Any] = rules.to_dict(ruleset)
    rng = random.Random(n + 1)
    ids = list(data["funds"]["national"]["recipients"])
    data["weights"]["population-2017"] = {
        "name": "Population 2017", "source": "benchmark",
        "values": {c: w + rng.randint(-2_000, 2_000)
                   for c, w in data["weights"]["population"]["values"].items()}}
    lines = [
        {"id": "fixed", "kind": "fixed", "amount": "500.00", "recipient": ids[0]},
        {"id": "each", "kind": "per-recipient", "amount": "1000.00"},
        {"id": "formula", "kind": "proportional", "amount": f"{2100 * n}.00",
         "weights": "population-2017", "floor": "500.00", "cap": "6000.00",
         "damping": {"max_decrease": "5", "max_increase": "10"}},
        {"id": "passport", "kind": "passport", "fund": "national", "lines": ["each"]},
        {"id": "bids", "kind": "bids", "amount": f"{300 * n}.00", "bids": [
            {"id": f"bid-{i}", "recipient": r, "amount": f"{rng.randint(100, 900)}.00",
             "approved": i % 3 != 0} for i, r in enumerate(ids)]},
        {"id": "rest", "kind": "residual"},
    ]
    assert {line["kind"] for line in lines} == set(rules.LINE_KINDS)
    data["funds"]["following"] = {"name": "National, next year", "year": "2017-18",
                                  "total": f"{11_000 * n}.00", "recipients": ids,
                                  "follows": "national", "source": "benchmark", "lines": lines}
    ruleset = rules.from_dict(data)
    return ruleset, ruleset.fund("following")


def _fund_answer(ruleset: rules.Ruleset, fund: rules.Fund) -> dict[str, Any]:
    return answers.fund_answer(ruleset, fund)


def _plain_lines(pence: int, weights: list[int], count: int) -> list[list[int]]:
    return [plain_split(pence, weights) for _ in range(count)]


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,1000,10000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"fund allocation vs a plain proportional split; median of {args.runs} interleaved "
          "runs [min-max]")
    print(f"  {'recipients':>10}  {'path':<7} {'ours':>22} {'plain split/line':>22} "
          f"{'ratio':>7}")
    for n in sizes:
        total, lines, names, weights = every_line(n)
        ruleset, fund = national_fund(n)
        later, following = following_fund(n)
        pence = allocations.to_minor(total)
        paths: dict[str, Callable[[], object]] = {
            "lines": functools.partial(allocations.allocate_lines, total, lines, names),
            "fund": functools.partial(_fund_answer, ruleset, fund),
            "follows": functools.partial(_fund_answer, later, following),
        }
        # the fund followed is allocated too: its lines count
        line_count = {"lines": len(lines), "fund": len(fund.lines),
                      "follows": len(following.lines) + len(later.fund("national").lines)}
        for name, path in paths.items():
            ours, plain = [], []
            for _ in range(args.runs):
                ours.append(timed(path))
                plain.append(timed(functools.partial(_plain_lines, pence, weights,
                                                     line_count[name])))
            ratio = statistics.median(ours) / statistics.median(plain)
            verdict = "" if n < max(sizes) else (
                f"  target <= {TARGET}: {'met' if ratio <= TARGET else 'NOT met'}")
            print(f"  {n:>10,}  {name:<7} {_cell(ours):>22} {_cell(plain):>22} "
                  f"{ratio:6.1f}x{verdict}")


def _cell(values: list[float]) -> str:
    return (f"{statistics.median(values) * 1000:.2f} ms [{min(values) * 1000:.2f}-"
            f"{max(values) * 1000:.2f}]")


if __name__ == "__main__":
    main()
