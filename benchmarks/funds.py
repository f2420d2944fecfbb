"""Fund lines with damping against a plain proportional line of the same size, timed side by side.

Prints, for 10, 300 (a national count of CSPs), 1,000 and 10,000 recipients, the median time of
allocating one proportional line with a floor and damping (±10% against last year's amounts, so
recipients are held and what they free or need is shared again) and of a plain proportional line
of the same pot and weights, and the ratio damped / plain. A ratio that stays flat as n grows by
three orders of magnitude shows the damped allocation is O(n log n) like the plain one (sorting
the breakpoints once; no list-membership checks in loops).
Ratios, not absolute times, are the result: this machine is shared and noisy.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import rules
from allocations import (
    Damping,
    Proportional,
    allocate_lines,
    from_minor,
    split_by_weight,
    to_minor,
)


def timed(call: Callable[[], object], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        call()
    return (time.perf_counter() - start) / repeat


def lines(rng: random.Random, n: int) -> tuple[list[str], Proportional, Proportional]:
    """A plain line and the same line damped against last year's (differently weighted) split."""
    names = [f"csp-{i}" for i in range(n)]
    weights = {name: rng.randint(20_000, 400_000) for name in names}
    pot = from_minor(rng.randint(10**8, 10**10))
    last_year = dict(split_by_weight(pot, {name: weight * rng.randint(70, 130)
                                           for name, weight in weights.items()}).shares)
    plain = Proportional("formula", pot, weights, floor=from_minor(to_minor(pot) // (4 * n)))
    damped = Proportional("formula", pot, weights, floor=plain.floor,
                          damping=Damping(last_year, Fraction(10), Fraction(10)))
    return names, plain, damped


def measure(rng: random.Random, n: int, repeat: int, rounds: int) -> tuple[float, float, int]:
    names, plain, damped = lines(rng, n)
    total = plain.amount
    result = allocate_lines(total, [damped], names)
    held = sum(1 for e in result.lines[0].explanations() if e.damped)
    ours, theirs = [], []
    for _ in range(rounds):  # interleave, so both see the same machine
        ours.append(timed(lambda: allocate_lines(total, [damped], names), repeat))
        theirs.append(timed(lambda: allocate_lines(total, [plain], names), repeat))
    return statistics.median(ours), statistics.median(theirs), held


def national(rng: random.Random, n: int) -> tuple[rules.Ruleset, rules.Fund, rules.Fund]:
    """A ruleset of ``n`` CSPs with last year's fund, and this year's fund damped against it
    and the same fund plain (a proportional line by weight with a floor, same size)."""
    csps = [f"csp-{i:03d}" for i in range(n)]
    weights = {c: rng.randint(20_000, 400_000) for c in csps}
    last = {c: w * rng.randint(70, 130) for c, w in weights.items()}

    def fund(year: str, values: dict[str, int], **extra: object) -> dict[str, object]:
        line = {"id": "formula", "kind": "proportional", "amount": "30000000.00",
                "weights": values, "floor": "10000.00", **extra.pop("line", {})}  # type: ignore[dict-item]
        return {"name": year, "year": year, "total": "30000000.00", "recipients": csps,
                "lines": [line], **extra}

    ruleset = rules.from_dict({
        "id": "national", "name": "National benchmark", "source": "benchmark", "kinds": {},
        "organisations": {},
        "districts": {}, "arrangements": {},
        "csps": {c: {"name": c, "active": [{"from": "2000-04-01"}], "source": "benchmark"}
                 for c in csps},
        "funds": {"grant-2013-14": fund("2013-14", last)}})
    damped = rules.fund_from_dict({"id": "grant-2014-15", **fund(
        "2014-15", weights, follows="grant-2013-14",
        line={"damping": {"max_decrease": "10", "max_increase": "10"}})})
    plain = rules.fund_from_dict({"id": "grant-2014-15", **fund("2014-15", weights)})
    return ruleset, damped, plain


def fund_ratio(rng: random.Random, n: int, repeat: int, rounds: int) -> tuple[float, int]:
    """Whole fund through the rules: damped (following last year's fund) / plain."""
    ruleset, damped, plain = national(rng, n)
    held = sum(1 for e in rules.allocate_fund(ruleset, damped).explanations().values()
               if e[0].damped)
    ours, theirs = [], []
    for _ in range(rounds):
        ours.append(timed(lambda: rules.allocate_fund(ruleset, damped), repeat))
        theirs.append(timed(lambda: rules.allocate_fund(ruleset, plain), repeat))
    return statistics.median(ours) / statistics.median(theirs), held


def main() -> None:
    rng = random.Random(20261125)
    print(f"{'n':>7} {'damped':>12} {'plain':>12} {'ratio':>7} {'held':>6}")
    for n, repeat, rounds in ((10, 400, 7), (300, 40, 7), (1000, 12, 7), (10_000, 2, 5)):
        damped, plain, held = measure(rng, n, repeat, rounds)
        print(f"{n:>7} {damped * 1e3:>10.2f}ms {plain * 1e3:>10.2f}ms {damped / plain:>7.2f} "
              f"{held:>6}")
    print("ratio = proportional line with floor and ±10% damping / the same line without damping")
    print("(held = recipients a damping bound held); flat across n means O(n log n) like plain.")
    ratio, held = fund_ratio(rng, 300, 10, 7)
    print(f"a 300-CSP fund through the rules, damped against the fund it follows / plain: "
          f"{ratio:.2f} ({held} CSPs held by damping; the damped fund also allocates last "
          "year's fund)")


if __name__ == "__main__":
    main()
