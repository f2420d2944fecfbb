"""split_by_weight against an integer-only largest-remainder reference, timed side by side.

Prints, for n = 9, 1,000 and 100,000 parties, the median time of each over interleaved rounds
and the ratio (apportion / reference). The reference is the bare algorithm on a list of ints:
no validation, no Money, no explanation. Target: ratio <= 3 at n = 1,000 and n = 100,000.
Ratios, not absolute times, are the result: this machine is shared and noisy.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from allocations import from_minor, split_by_weight


def reference(total: int, weights: list[int]) -> list[int]:
    """Integer-only largest remainder: floors, then leftover pennies by remainder, ties first."""
    whole = sum(weights)
    shares = []
    remainders = []
    for weight in weights:
        share, remainder = divmod(total * weight, whole)
        shares.append(share)
        remainders.append(remainder)
    leftover = total - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for index in order[:leftover]:
        shares[index] += 1
    return shares


def timed(call: Callable[[], object], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        call()
    return (time.perf_counter() - start) / repeat


def measure(rng: random.Random, n: int, repeat: int, rounds: int) -> tuple[float, float, float]:
    """Median seconds per call of split_by_weight, the reference, and split + Money shares."""
    weights_list = [rng.randint(1, 250_000) for _ in range(n)]
    weights = {f"p{i}": w for i, w in enumerate(weights_list)}
    total_minor = rng.randint(10**8, 10**10)
    total = from_minor(total_minor)
    result = split_by_weight(total, weights)
    assert list(result.minor_shares) == reference(total_minor, weights_list)
    ours, theirs, money = [], [], []
    for _ in range(rounds):  # interleave, so both see the same machine
        ours.append(timed(lambda: split_by_weight(total, weights), repeat))
        theirs.append(timed(lambda: reference(total_minor, weights_list), repeat))
        money.append(timed(lambda: list(split_by_weight(total, weights).shares.values()),
                           max(1, repeat // 3)))
    return statistics.median(ours), statistics.median(theirs), statistics.median(money)


def main() -> None:
    rng = random.Random(20261123)
    print(f"{'n':>8} {'apportion':>12} {'reference':>12} {'ratio':>7} {'with Money':>11}")
    for n, repeat, rounds in ((9, 20000, 7), (1000, 300, 7), (100_000, 3, 7)):
        a, b, c = measure(rng, n, repeat, rounds)
        print(f"{n:>8} {a * 1e6:>10.1f}us {b * 1e6:>10.1f}us {a / b:>7.2f} {c / b:>10.2f}x")
    print("ratio = split_by_weight / integer reference (target <= 3 at n = 1,000 and 100,000);")
    print("with Money = also building every share as a py-moneyed Money, over the reference.")


if __name__ == "__main__":
    main()
