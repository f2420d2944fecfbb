"""Fund allocation grows as n log n in the recipients on every line kind (issue 16): four times
the recipients cost well under sixteen times as much (the CPU time of the best of a few runs,
so other processes on the machine do not count)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

import allocations
from benchmarks.allocation import every_line, following_fund, national_fund
from service.wire import answers


def best(action: Callable[[], object], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.process_time()
        action()
        times.append(time.process_time() - start)
    return min(times)


def lines(n: int) -> Callable[[], object]:
    total, every, names, _ = every_line(n)
    return lambda: allocations.allocate_lines(total, every, names)


def fund(n: int) -> Callable[[], object]:
    ruleset, chosen = national_fund(n)
    return lambda: answers.fund_answer(ruleset, chosen)


def following(n: int) -> Callable[[], object]:
    ruleset, chosen = following_fund(n)
    return lambda: answers.fund_answer(ruleset, chosen)


@pytest.mark.slow
@pytest.mark.parametrize("path", [lines, fund, following], ids=["lines", "fund", "follows"])
def test_four_times_the_recipients_cost_less_than_eight_times_as_much(
        path: Callable[[int], Callable[[], object]]) -> None:
    small, large = path(1_500), path(6_000)
    small(), large()  # warm
    assert best(large) < 8 * best(small)
