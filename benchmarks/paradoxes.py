"""How often the paradox laws meet each warning: random what-ifs on one line, counted.

Runs the law check of ``tests/rules/test_paradoxes.py`` (soundness of every warning, and
invariance under renaming and reordering the recipients) over ``N`` random what-ifs (default
5,000; ``python benchmarks/paradoxes.py 20000``), derandomised so the counts are reproducible,
and prints how many what-ifs were tried and how many warnings of each kind were raised; then the
same for exactly proportional changes, which must raise none. Not a timed test.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules import PARADOXES
from rules.paradoxes import detect
from tests.rules import test_paradoxes as laws
from tests.strategies import LineSpec, exact_line_scenarios, line_scenarios


def main(examples: int) -> None:
    config = settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                      suppress_health_check=list(HealthCheck))
    changes: Counter[str] = Counter()

    @config
    @given(line_scenarios(), st.permutations(range(9)), st.integers(0, 999))
    def random_whatifs(scenario: tuple[LineSpec, LineSpec, list[str]], order: list[int],
                       seed: int) -> None:
        base, changed, made = scenario
        changes.update(made)
        laws.check_laws(base, changed, order, seed)

    exact: Counter[str] = Counter()

    @config
    @given(exact_line_scenarios())
    def proportional_whatifs(scenario: tuple[LineSpec, LineSpec]) -> None:
        base, changed = scenario
        exact["scenarios"] += 1
        exact.update(w.kind for w in detect([laws.split_of(base)], [laws.split_of(changed)]))

    laws.TALLY.clear()
    random_whatifs()
    proportional_whatifs()
    tally = laws.TALLY
    print(f"random what-ifs on one line: {tally['scenarios']} tried "
          f"(changes made: {', '.join(f'{k} {v}' for k, v in sorted(changes.items()))})")
    for kind in PARADOXES:
        print(f"  {kind:<11} {tally[kind]:>6} warnings")
    print(f"exactly proportional what-ifs: {exact['scenarios']} tried, "
          f"{sum(exact[k] for k in PARADOXES)} warnings (must be 0)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
