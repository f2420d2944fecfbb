"""The exact money core of apportion: splitting money to the penny and allocating fund lines.

Pure: imports neither :mod:`rules` nor :mod:`service` nor Flask.
"""

from __future__ import annotations

from allocations.exceptions import (
    AllocationError,
    InvalidLine,
    InvalidMoney,
    InvalidParties,
    InvalidStages,
    InvalidWeights,
    LineError,
    OverAllocation,
    UnknownParty,
)
from allocations.lines import (
    HELD,
    Bid,
    BidAward,
    Bids,
    Damping,
    Fixed,
    Line,
    LineExplanation,
    LineResult,
    LinesAllocation,
    Passport,
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
from allocations.stages import Stage, StageAmount, check_stages, split_stages

__all__ = [
    "GBP",
    "HELD",
    "Allocation",
    "AllocationError",
    "Bid",
    "BidAward",
    "Bids",
    "Damping",
    "Explanation",
    "Fixed",
    "Increment",
    "InvalidLine",
    "InvalidMoney",
    "InvalidParties",
    "InvalidStages",
    "InvalidWeights",
    "Line",
    "LineError",
    "LineExplanation",
    "LineResult",
    "LinesAllocation",
    "Money",
    "OverAllocation",
    "Passport",
    "PerRecipient",
    "Proportional",
    "Residual",
    "Stage",
    "StageAmount",
    "UnknownParty",
    "Weight",
    "allocate_lines",
    "check_stages",
    "format_money",
    "from_minor",
    "parse_money",
    "split_by_weight",
    "split_evenly",
    "split_increment",
    "split_stages",
    "to_minor",
    "zero",
]
