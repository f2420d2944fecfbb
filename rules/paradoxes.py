"""Apportionment paradoxes between a base and a scenario result, in a policy officer's words.

Largest-remainder rounding is within a penny of fair on every split, yet between two splits it
can move pennies perversely. Each check compares one split (a fund line, a review's costs) under
the base with the same split under the scenario, recipient by recipient, and only ever blames
rounding: a recipient is warned about only when its *exact* share before rounding moved one way
and its amount the other (or, for a new member, out of step with the others' exact shares).

* ``alabama``: the pot grew, the recipient's share of the weights did not fall, its exact
  share did not fall, yet its amount fell.
* ``population``: the recipient's share of the weights rose and its exact share did not fall,
  yet its amount fell (and the pot did not grow: that is Alabama).
* ``new-member``: recipients joined or left the split; of the recipients untouched by that (on
  both sides, same weight), one moved by a penny or more against the others beyond what their
  exact shares did. The others are the untouched recipients it moved against.

Laws (property-tested): no warning when every amount is its exact share on both sides (an
exactly proportional change); the warnings do not depend on the order or the names of the
recipients. Pure: amounts are integer minor units (pence), shares exact fractions.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Sequence
from decimal import Decimal
from fractions import Fraction
from math import lcm

import attrs

import allocations
from rules.dhr import Apportionment
from rules.funds import FundAllocation

__all__ = ["PARADOXES", "Paradox", "Part", "Split", "against_followed", "detect", "fund_splits",
           "line_split", "review_split"]

#: The kinds of warning, in the order they are reported for one split.
PARADOXES = ("alabama", "population", "new-member")


@attrs.frozen
class Part:
    """One recipient's part of a split.

    Attributes:
        recipient: the organisation or CSP id.
        weight: its weight as the rules give it (``1`` where all are equal).
        quota: its exact share before rounding, in pence.
        amount: what it gets, in pence.
    """

    recipient: str
    weight: Fraction
    quota: Fraction
    amount: int


@attrs.frozen
class Split:
    """A pot shared among recipients: a fund line or a review's costs, kept in columns.

    ``key`` matches the same split on the two sides; ``label`` names it in words
    ("line 'Formula' of CSP grant 2024-25"). Each recipient is listed once: recipient ``i``
    has the weight ``weights[i]`` as the rules give it, the exact share before rounding
    ``quota_numerators[i] / quota_denominator`` pence and the amount ``amounts[i]`` pence.
    A recipient's :class:`Part` is made only when asked for (a national line has thousands,
    and a comparison looks closely only at those whose amount fell); :meth:`of_parts` builds a
    split from parts, adding up several parts of one recipient.
    """

    key: str
    label: str
    pot: int
    recipients: tuple[str, ...]
    weights: tuple[allocations.Weight, ...]
    quota_numerators: tuple[int, ...]
    quota_denominator: int
    amounts: tuple[int, ...]
    # worked out once, when first asked for (a split is compared recipient by recipient)
    _index: dict[str, int] | None = attrs.field(default=None, init=False, eq=False, repr=False)
    _total_weight: Fraction | None = attrs.field(default=None, init=False, eq=False,
                                                 repr=False)

    @classmethod
    def of_parts(cls, key: str, label: str, pot: int, parts: Iterable[Part]) -> Split:
        """A split of ``parts`` (several parts of one recipient are added up)."""
        merged: dict[str, Part] = {}
        for part in parts:
            seen = merged.get(part.recipient)
            merged[part.recipient] = part if seen is None else Part(
                part.recipient, seen.weight + part.weight, seen.quota + part.quota,
                seen.amount + part.amount)
        denominator = lcm(1, *(part.quota.denominator for part in merged.values()))
        return cls(key, label, pot, tuple(merged), tuple(p.weight for p in merged.values()),
                   tuple(p.quota.numerator * (denominator // p.quota.denominator)
                         for p in merged.values()),
                   denominator, tuple(p.amount for p in merged.values()))

    @property
    def index(self) -> dict[str, int]:
        """Recipient -> its position in the columns."""
        if self._index is None:
            found = {recipient: i for i, recipient in enumerate(self.recipients)}
            object.__setattr__(self, "_index", found)
            return found
        return self._index

    @property
    def parts(self) -> tuple[Part, ...]:
        """Every recipient's part, in order."""
        return tuple(self._part(i) for i in range(len(self.recipients)))

    @property
    def by_recipient(self) -> dict[str, Part]:
        """Recipient -> its part."""
        return {recipient: self._part(i) for i, recipient in enumerate(self.recipients)}

    @property
    def total_weight(self) -> Fraction:
        """The sum of the weights (whole ones added as integers)."""
        if self._total_weight is None:
            whole, rest = 0, Fraction(0)
            for weight in self.weights:
                if type(weight) is int:
                    whole += weight
                elif type(weight) is Fraction and weight.denominator == 1:
                    whole += weight.numerator
                else:
                    rest += Fraction(weight)
            total = rest + whole
            object.__setattr__(self, "_total_weight", total)
            return total
        return self._total_weight

    def part(self, recipient: str) -> Part:
        """The recipient's part."""
        return self._part(self.index[recipient])

    def _part(self, index: int) -> Part:
        return Part(self.recipients[index], Fraction(self.weights[index]),
                    Fraction(self.quota_numerators[index], self.quota_denominator),
                    self.amounts[index])

    def weight_share(self, recipient: str) -> Fraction:
        """The recipient's weight over the total weight (``0`` when every weight is zero)."""
        total = self.total_weight
        return Fraction(self.weights[self.index[recipient]]) / total if total else Fraction(0)


@attrs.frozen
class Paradox:
    """A warning: ``recipient`` moved perversely on one split between base and scenario.

    ``others`` are, for ``new-member``, the untouched recipients it moved against; ``joined``
    and ``left`` the recipients that joined or left the split.
    """

    kind: str
    line: str
    label: str
    recipient: str
    base: int
    scenario: int
    base_pot: int
    scenario_pot: int
    base_share: Fraction
    scenario_share: Fraction
    base_quota: Fraction
    scenario_quota: Fraction
    others: tuple[str, ...] = ()
    joined: tuple[str, ...] = ()
    left: tuple[str, ...] = ()
    gains: bool = False

    @property
    def pennies(self) -> int:
        """How much the recipient's amount moved (negative: it lost)."""
        return self.scenario - self.base

    def describe(self, name_of: Callable[[str], str] = str) -> str:
        """The warning in words, with ``name_of`` turning ids into names."""
        who = name_of(self.recipient)
        moved = f"{_pounds(self.base)} to {_pounds(self.scenario)}"
        exact = (f"its exact share before rounding to the penny went from "
                 f"{_exact(self.base_quota)} to {_exact(self.scenario_quota)}")
        if self.kind == "alabama":
            return (f"{who} gets {_pence(-self.pennies)} less on {self.label} ({moved}) although "
                    f"the pot grows from {_pounds(self.base_pot)} to "
                    f"{_pounds(self.scenario_pot)} and its share of the weights does not fall "
                    f"({_share(self.base_share)} to {_share(self.scenario_share)}); {exact}. "
                    "This is the Alabama paradox of largest-remainder rounding.")
        if self.kind == "population":
            return (f"{who} gets {_pence(-self.pennies)} less on {self.label} ({moved}) although "
                    f"its share of the weights rises from {_share(self.base_share)} to "
                    f"{_share(self.scenario_share)} (pot {_pounds(self.base_pot)} to "
                    f"{_pounds(self.scenario_pot)}); {exact}. "
                    "This is the population paradox of largest-remainder rounding.")
        change = []
        if self.joined:
            change.append(f"{_names(self.joined, name_of)} joined")
        if self.left:
            change.append(f"{_names(self.left, name_of)} left")
        more_or_less = "more" if self.gains else "less"
        return (f"{who} gets a penny {more_or_less} against {_names(self.others, name_of)} on "
                f"{self.label}: {who} goes from {moved} while {exact}. None of them is part "
                f"of the change ({' and '.join(change)}) and their weights are unchanged, so "
                "their amounts should have kept in step with their exact shares; rounding "
                "alone moved the penny. This is the new-member paradox of largest-remainder "
                "rounding.")


def _pounds(pence: int) -> str:
    return "£" + allocations.format_money(allocations.from_minor(pence))


def _pence(pence: int) -> str:
    return f"{pence}p" if abs(pence) < 100 else _pounds(pence)


def _exact(quota: Fraction) -> str:
    """An exact share in pounds to four places (display only: never money arithmetic)."""
    value = (Decimal(quota.numerator) / Decimal(quota.denominator) / 100).quantize(
        Decimal("0.0001"))
    return f"£{value:,}"


def _share(share: Fraction) -> str:
    percent = (Decimal(share.numerator) * 100 / Decimal(share.denominator)).quantize(
        Decimal("0.01"))
    return f"{share} ({percent}%)" if share.denominator != 1 else f"{share} (100%)"


def _names(ids: Iterable[str], name_of: Callable[[str], str]) -> str:
    names = [name_of(i) for i in ids]
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def detect(base: Sequence[Split], scenario: Sequence[Split]) -> tuple[Paradox, ...]:
    """The paradoxes between each base split and the scenario split with the same key.

    Reported split by split (base order), then by kind, then in the base split's recipient
    order (the order is for reading only: the set of warnings does not depend on it).
    """
    scenario_by_key = {split.key: split for split in scenario}
    found: list[Paradox] = []
    for before in base:
        after = scenario_by_key.get(before.key)
        if after is not None:
            found += _rounding_losses(before, after)
            found += _new_members(before, after)
    return tuple(found)


def _paradox(kind: str, before: Split, after: Split, recipient: str, **extra: object
             ) -> Paradox:
    old, new = before.part(recipient), after.part(recipient)
    return Paradox(kind, before.key, after.label, recipient, old.amount, new.amount, before.pot,
                   after.pot, before.weight_share(recipient), after.weight_share(recipient),
                   old.quota, new.quota, **extra)  # type: ignore[arg-type]


def _rounding_losses(before: Split, after: Split) -> list[Paradox]:
    """Recipients whose amount fell while their exact share did not: only those whose amount
    fell (compared in pence, column by column) are looked at further."""
    old_amounts, new_amounts = before.amounts, after.amounts
    if before.recipients == after.recipients:  # the usual case: the same recipients in order
        fell = [(index, index) for index, (old, new) in enumerate(zip(
            old_amounts, new_amounts, strict=True)) if new < old]
    else:
        new_index = after.index
        fell = [(index, at) for index, at in enumerate(map(new_index.get, before.recipients))
                if at is not None and new_amounts[at] < old_amounts[index]]
    old_quotas, new_quotas = before.quota_numerators, after.quota_numerators
    old_denominator, new_denominator = before.quota_denominator, after.quota_denominator
    alabama, population = [], []
    for index, at in fell:
        if new_quotas[at] * old_denominator < old_quotas[index] * new_denominator:
            continue  # its exact share fell too
        recipient = before.recipients[index]
        old_share, new_share = before.weight_share(recipient), after.weight_share(recipient)
        if after.pot > before.pot and new_share >= old_share:
            alabama.append(_paradox("alabama", before, after, recipient))
        elif new_share > old_share:
            population.append(_paradox("population", before, after, recipient))
    return alabama + population


def _new_members(before: Split, after: Split) -> list[Paradox]:
    if before.recipients == after.recipients:
        return []
    old_index, new_index = before.index, after.index
    joined = tuple(r for r in after.recipients if r not in old_index)
    left = tuple(r for r in before.recipients if r not in new_index)
    if not joined and not left:
        return []
    old_parts, new_parts = before.by_recipient, after.by_recipient
    untouched = [r for r, old in old_parts.items()
                 if r in new_parts and new_parts[r].weight == old.weight]
    if len(untouched) < 2:
        return []
    # What rounding did to each: its change in pence beyond the change in its exact share.
    rounding = {r: (new_parts[r].amount - old_parts[r].amount)
                - (new_parts[r].quota - old_parts[r].quota) for r in untouched}
    reference = _middle(rounding.values())
    found = []
    for recipient in untouched:
        offset = rounding[recipient] - reference
        if abs(offset) < 1:
            continue
        others = tuple(r for r in untouched
                       if (offset > 0 and rounding[recipient] - rounding[r] >= 1)
                       or (offset < 0 and rounding[r] - rounding[recipient] >= 1))
        found.append(_paradox("new-member", before, after, recipient, others=others,
                              joined=joined, left=left, gains=offset > 0))
    return found


def _middle(values: Iterable[Fraction]) -> Fraction:
    """The median; of two middle values the one nearer zero (then the lower one)."""
    ordered = sorted(values)
    half = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[half]
    return min(ordered[half - 1], ordered[half], key=lambda value: (abs(value), value))



# --- the splits of results ----------------------------------------------------------------------

def line_split(line: allocations.LineResult, key: str, label: str) -> Split | None:
    """A fund line as a split (``None`` for a line that gave nobody anything)."""
    if not line.recipients:
        return None
    numerators, denominator = line.quota_terms()
    weights = line.weights or (1,) * len(line.recipients)
    split = Split(key, label, allocations.to_minor(line.amount), tuple(map(str, line.recipients)),
                  weights, numerators, denominator, line.minor_shares)
    if len(set(split.recipients)) == len(split.recipients):
        return split
    return Split.of_parts(key, label, split.pot, split.parts)  # a recipient listed twice


def fund_splits(allocation: FundAllocation, prefix: str = "",
                only: Container[str] | None = None) -> tuple[Split, ...]:
    """A fund allocation's lines (those whose ids are in ``only``, if given) as splits keyed
    ``prefix + line id``."""
    names = {line.id: line.name for line in allocation.fund.lines}
    fund = allocation.fund.name or allocation.fund.id
    splits = (line_split(line, prefix + line.id,
                         f"line '{names.get(line.id) or line.id}' of {fund}")
              for line in allocation.result.lines if only is None or line.id in only)
    return tuple(split for split in splits if split is not None)


def review_split(result: Apportionment, key: str, label: str) -> Split:
    """A review's split among the partners (contributions taken before it are not split)."""
    pot = sum(allocations.to_minor(share.amount) for share in result.shares
              if share.fraction is not None)
    parts = []
    for share in result.shares:
        if share.fraction is None:
            continue
        role = result.arrangement.role(share.role)
        weight = role.weight if role is not None else Fraction(1)
        parts.append(Part(share.organisation, Fraction(weight), pot * share.fraction,
                          allocations.to_minor(share.amount)))
    return Split.of_parts(key, label, pot, parts)


def against_followed(allocation: FundAllocation) -> tuple[Paradox, ...]:
    """The paradoxes of a fund's allocation against the fund it follows, line by line (lines
    with the same id): a recipient that lost on a line while its pot grew and its weight share
    held, and so on. Nothing when the fund follows none."""
    if allocation.followed is None:
        return ()
    # only the lines both funds have are compared: the others are not made into splits
    shared = ({line.id for line in allocation.followed.result.lines}
              & {line.id for line in allocation.result.lines})
    return detect(fund_splits(allocation.followed, only=shared),
                  fund_splits(allocation, only=shared))
