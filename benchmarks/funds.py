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


def main() -> None:
    rng = random.Random(20261125)
    print(f"{'n':>7} {'damped':>12} {'plain':>12} {'ratio':>7} {'held':>6}")
    for n, repeat, rounds in ((10, 400, 7), (300, 40, 7), (1000, 12, 7), (10_000, 2, 5)):
        damped, plain, held = measure(rng, n, repeat, rounds)
        print(f"{n:>7} {damped * 1e3:>10.2f}ms {plain * 1e3:>10.2f}ms {damped / plain:>7.2f} "
              f"{held:>6}")
    print("ratio = proportional line with floor and ±10% damping / the same line without damping")
    print("(held = recipients a damping bound held); flat across n means O(n log n) like plain.")


if __name__ == "__main__":
    main()
