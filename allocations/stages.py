"""Payment stages: an award paid in parts by percentage (e.g. 80% on award, 20% after evaluation).

:func:`split_stages` splits an amount by the stages' percentages with the largest-remainder
method, so a recipient's stages always sum exactly to its award and each is within a penny of
its exact percentage (leftover pennies go to the earliest stages on ties).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from math import lcm

import attrs
from moneyed import Money

from allocations.exceptions import InvalidStages
from allocations.money import from_minor, minor_units, to_minor
from allocations.split import hamilton

__all__ = ["Stage", "StageAmount", "check_stages", "split_stages"]

_HUNDRED = Fraction(100)


@attrs.frozen
class Stage:
    """One stage of a schedule: its id and the percentage of the award it pays."""

    id: str
    percent: int | Decimal | Fraction


@attrs.frozen
class StageAmount:
    """What one stage pays of an award, and whether it took a remainder penny."""

    stage: str
    amount: Money
    quota: Fraction
    remainder_penny: bool


def check_stages(stages: Sequence[Stage]) -> list[Fraction]:
    """Return the stages' percentages as fractions after checking them.

    Raises:
        InvalidStages: no stages, a stage id used twice, a percentage not above 0, or
            percentages that do not sum to exactly 100.
    """
    if not stages:
        raise InvalidStages("a schedule needs at least one stage")
    seen: set[str] = set()
    percents: list[Fraction] = []
    for stage in stages:
        if stage.id in seen:
            raise InvalidStages(f"stage {stage.id!r} appears twice")
        seen.add(stage.id)
        value = stage.percent
        if isinstance(value, bool) or not isinstance(value, (int, Decimal, Fraction)) or (
                isinstance(value, Decimal) and not value.is_finite()):
            raise InvalidStages(f"stage {stage.id!r}: percent must be a number, not {value!r}")
        percent = Fraction(value)
        if percent <= 0:
            raise InvalidStages(f"stage {stage.id!r} pays {value}%; a stage must pay more than 0%")
        percents.append(percent)
    total = sum(percents, Fraction(0))
    if total != _HUNDRED:
        raise InvalidStages(f"the stages' percentages sum to {_show(total)}, not 100")
    return percents


def split_stages(amount: Money, stages: Sequence[Stage]) -> tuple[StageAmount, ...]:
    """Split ``amount`` (non-negative) between ``stages`` by their percentages, exactly.

    Invariants: the stage amounts sum to ``amount``; each is within a penny of
    ``amount * percent / 100``; ties for a leftover penny go to the earlier stage.

    Raises:
        InvalidStages: as :func:`check_stages`, or a negative amount.
    """
    percents = check_stages(stages)
    minor = to_minor(amount)
    if minor < 0:
        raise InvalidStages("a negative amount cannot be paid in stages")
    scale = lcm(*(p.denominator for p in percents))
    numerators = [int(minor * p * scale) for p in percents]
    shares, lucky = hamilton(minor, numerators, 100 * scale)
    unit = minor_units(amount.currency)
    return tuple(StageAmount(stage.id, from_minor(share, amount.currency),
                             minor * percent / _HUNDRED / unit, index in lucky)
                 for index, (stage, share, percent) in enumerate(zip(stages, shares, percents,
                                                                      strict=True)))


def _show(value: Fraction) -> str:
    return str(value)
