"""The exact money core of apportion: splitting money to the penny and allocating fund lines.

Pure: imports neither :mod:`rules` nor :mod:`service` nor Flask.
"""

from __future__ import annotations

from allocations.exceptions import (
    AllocationError,
    InvalidLine,
    InvalidMoney,
    InvalidParties,
    InvalidWeights,
    LineError,
    OverAllocation,
    UnknownParty,
)
from allocations.lines import (
    Fixed,
    Line,
    LineResult,
    LinesAllocation,
    PerRecipient,
    Proportional,
    Residual,
    allocate_lines,
)
from allocations.money import GBP, Money, format_money, from_minor, parse_money, to_minor, zero
from allocations.split import (
    Allocation,
    Explanation,
    Increment,
    Weight,
    split_by_weight,
    split_evenly,
    split_increment,
)

__all__ = [
    "GBP",
    "Allocation",
    "AllocationError",
    "Explanation",
    "Fixed",
    "Increment",
    "InvalidLine",
    "InvalidMoney",
    "InvalidParties",
    "InvalidWeights",
    "Line",
    "LineError",
    "LineResult",
    "LinesAllocation",
    "Money",
    "OverAllocation",
    "PerRecipient",
    "Proportional",
    "Residual",
    "UnknownParty",
    "Weight",
    "allocate_lines",
    "format_money",
    "from_minor",
    "parse_money",
    "split_by_weight",
    "split_evenly",
    "split_increment",
    "to_minor",
    "zero",
]
