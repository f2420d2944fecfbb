"""Errors raised by the allocation core.

Every error is an :class:`AllocationError` (itself a ``ValueError``) whose message names the
problem: the field, party or line concerned and what was expected instead.
"""

from __future__ import annotations

__all__ = [
    "AllocationError",
    "InvalidLine",
    "InvalidMoney",
    "InvalidParties",
    "InvalidStages",
    "InvalidWeights",
    "LineError",
    "OverAllocation",
    "UnknownParty",
]


class AllocationError(ValueError):
    """Base class of every error raised by :mod:`allocations`."""


class InvalidMoney(AllocationError):
    """An amount is not exact money in the expected currency (float, NaN, too many places...)."""


class InvalidWeights(AllocationError):
    """Weights are negative, all zero, floats, or not numbers at all."""


class InvalidParties(AllocationError):
    """No parties were given, or a party was listed twice."""


class UnknownParty(AllocationError):
    """A party was asked about that is not part of the allocation."""


class LineError(AllocationError):
    """A problem with one fund line; ``line`` is its id (also named in the message)."""

    def __init__(self, message: str, line: str | None = None):
        super().__init__(message)
        self.line = line


class InvalidLine(LineError):
    """A fund line is malformed (negative amount, missing weights, infeasible floor...)."""


class OverAllocation(LineError):
    """The fund lines need more money than the fund's total; the message names the line."""


class InvalidStages(AllocationError):
    """A payment schedule is malformed (percentages not summing to 100, a stage twice...)."""
