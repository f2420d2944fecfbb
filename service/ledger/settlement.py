"""Who owes what: the ledger's accounting decisions, as pure values (no SQL, no Flask, no HTTP).

A case's billed tranches sit in *split groups*: the tranches billed under one resolved split.
Each partner owes, per group, its share of the group's total, split cumulatively (the split of
the running total, so rounding never drifts however many tranches arrive). What has already
been *documented* for a partner per group (invoices, credit notes and transfer lines) is given;
:func:`settle` decides the run's documents.

Invariants of a :class:`Settlement` (tested as properties in ``tests/ledger``):

* after it, each partner's documented net per group equals its share of the group's total;
* per group, the run's lines sum to the group's total minus what was documented before
  (conservation), so the case's documents sum to its billed cost;
* at most one document per partner per run: an invoice when its net rises, a credit note when
  it falls; a partner whose lines net to zero across groups gets *transfer* lines and no
  document (it owes the same, only under another split);
* a document *corrects* exactly the partner's earlier documents with lines in a group whose
  settled basis changed (a tranche revised, or moved away by a rebill); a charge for newly
  billed tranches corrects nothing;
* a document goes to the partner, or, when the partner has gone on the issue date, to the body
  the caller's ``addressee`` names (``on_behalf_of`` the partner).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Literal

import attrs

import allocations
import rules

__all__ = [
    "BilledTranche",
    "Decision",
    "Group",
    "IssuedDocument",
    "Settlement",
    "documented_by_group",
    "owed",
    "settle",
]

Kind = Literal["invoice", "credit-note"]


@attrs.frozen
class BilledTranche:
    """A tranche in a group: its cost item and amount (pence) as it now stands, and the amount
    it was last settled at *in this group* (``None``: new to the group)."""

    item: str
    amount: int
    settled: int | None = None


@attrs.frozen
class Group:
    """Tranches billed under one resolved split (``id`` is the ledger's group id)."""

    id: int
    split: rules.ResolvedSplit
    tranches: tuple[BilledTranche, ...] = ()

    @property
    def total(self) -> int:
        """The group's total in pence."""
        return sum(t.amount for t in self.tranches)

    def revised(self, documented_total: int) -> bool:
        """Whether what was settled in this group has changed since (a tranche revised, or
        one moved away): then the run's lines in it correct earlier documents."""
        kept = [t for t in self.tranches if t.settled is not None]
        return (any(t.amount != t.settled for t in kept)
                or sum(t.settled or 0 for t in kept) != documented_total)


@attrs.frozen
class IssuedDocument:
    """A document issued before this run: its number, the partner whose shares it carries, and
    its amount per group (pence, signed)."""

    number: str
    organisation: str
    lines: tuple[tuple[int, int], ...]

    @property
    def amount(self) -> int:
        """The document's signed amount in pence."""
        return sum(amount for _, amount in self.lines)


@attrs.frozen
class Decision:
    """What the run does for one partner: ``lines`` are (group id, pence) in group order.

    ``kind`` is ``None`` for a transfer (the lines net to zero: no document), else the document
    to issue; ``corrects`` names the earlier documents it corrects; ``addressee`` is who the
    document goes to (the partner itself unless it has gone)."""

    organisation: str
    kind: Kind | None
    lines: tuple[tuple[int, int], ...]
    corrects: tuple[str, ...] = ()
    addressee: str = ""

    @property
    def on_behalf_of(self) -> str | None:
        """The partner, when the document goes to another body on its behalf."""
        return self.organisation if self.addressee not in ("", self.organisation) else None

    @property
    def amount(self) -> int:
        """The document's signed amount in pence (zero for a transfer)."""
        return sum(amount for _, amount in self.lines)


@attrs.frozen
class Settlement:
    """A run's decisions, one per partner whose net moves, in partner order."""

    decisions: tuple[Decision, ...]

    @property
    def documents(self) -> tuple[Decision, ...]:
        """The documents to issue (one per partner at most)."""
        return tuple(d for d in self.decisions if d.kind is not None)

    @property
    def transfers(self) -> tuple[Decision, ...]:
        """Partners whose lines net to zero: transfer lines, no document."""
        return tuple(d for d in self.decisions if d.kind is None)


def owed(group: Group) -> dict[str, int]:
    """Each partner's share of the group's total (pence), in the split's partner order. The
    shares of the cumulative total: the same however the tranches arrived."""
    costs = [rules.Cost(t.item, allocations.from_minor(t.amount)) for t in group.tranches]
    shares: dict[str, int] = defaultdict(int)
    if costs:
        for share in group.split.shares(costs):
            shares[share.organisation] += allocations.to_minor(share.amount)
    return dict(shares)


def documented_by_group(issued: Iterable[IssuedDocument],
                        transfers: Iterable[tuple[int, str, int]] = ()
                        ) -> dict[tuple[int, str], int]:
    """What is documented per (group, partner): issued documents' lines plus transfer lines
    given as (group id, partner, pence)."""
    documented: dict[tuple[int, str], int] = defaultdict(int)
    for document in issued:
        for group, amount in document.lines:
            documented[(group, document.organisation)] += amount
    for group, organisation, amount in transfers:
        documented[(group, organisation)] += amount
    return dict(documented)


def settle(groups: Sequence[Group], documented: Mapping[tuple[int, str], int],
           issued: Sequence[IssuedDocument] = (),
           addressee: Callable[[str], str] | None = None) -> Settlement:
    """Decide the run's documents so that every partner's net per group is its share.

    Args:
        groups: the case's split groups, in the ledger's order (partners appear in the order
            of the groups, then of each split's partners, then of what was documented).
        documented: pence documented so far per (group id, partner), transfers included.
        issued: the documents issued before, oldest first (they decide ``corrects``).
        addressee: who takes a partner's document (the body that took over its liabilities
            if it has gone); called only for partners that get a document.
    """
    deltas: dict[str, dict[int, int]] = {}
    for group in groups:
        shares = owed(group)
        partners = list(shares) + [o for (g, o) in documented if g == group.id
                                   and o not in shares]
        for organisation in partners:
            delta = shares.get(organisation, 0) - documented.get((group.id, organisation), 0)
            if delta:
                deltas.setdefault(organisation, {})[group.id] = delta
    revised = {g.id for g in groups if g.revised(
        sum(a for (gid, _), a in documented.items() if gid == g.id))}
    decisions: list[Decision] = []
    for organisation, lines in deltas.items():
        total = sum(lines.values())
        if total == 0:  # moved between groups, owes the same: no document
            decisions.append(Decision(organisation, None, tuple(lines.items())))
            continue
        corrected = {g for g in lines if g in revised}
        corrects = tuple(d.number for d in issued if d.organisation == organisation
                         and any(g in corrected and a for g, a in d.lines))
        decisions.append(Decision(organisation, "credit-note" if total < 0 else "invoice",
                                  tuple(lines.items()), corrects,
                                  addressee(organisation) if addressee else organisation))
    return Settlement(tuple(decisions))
