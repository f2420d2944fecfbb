"""The pure settlement core: examples and laws, no database, no HTTP (milliseconds each)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from fractions import Fraction

import attrs
from hypothesis import given
from hypothesis import strategies as st

import allocations
import rules
from service.ledger import settlement
from service.ledger.settlement import BilledTranche, Group, IssuedDocument
from tests import strategies


def split(*names: str, weights: tuple[int, ...] = ()) -> rules.ResolvedSplit:
    return rules.ResolvedSplit("dhr", date(2013, 4, 1), tuple(
        rules.Partner(n, f"role-{n}", Fraction(weights[i] if weights else 1))
        for i, n in enumerate(names)))


def group(gid: int, s: rules.ResolvedSplit, *amounts: int, settled: tuple[int, ...] = ()
          ) -> Group:
    return Group(gid, s, tuple(BilledTranche("overview-author", a,
                                             settled[i] if i < len(settled) else None)
                               for i, a in enumerate(amounts)))


def test_a_first_run_invoices_each_partner_its_share() -> None:
    decided = settlement.settle([group(1, split("a", "b", "c"), 10000)], {})
    assert [(d.organisation, d.kind, d.amount, d.corrects) for d in decided.documents] == [
        ("a", "invoice", 3334, ()), ("b", "invoice", 3333, ()), ("c", "invoice", 3333, ())]
    assert decided.transfers == ()


def test_nothing_new_decides_nothing() -> None:
    documented = {(1, "a"): 3334, (1, "b"): 3333, (1, "c"): 3333}
    assert settlement.settle([group(1, split("a", "b", "c"), 10000)], documented).decisions == ()


def test_a_revision_down_is_a_credit_note_that_corrects_the_invoice() -> None:
    issued = [IssuedDocument(n, o, ((1, a),)) for n, o, a in
              [("INV-1", "a", 3334), ("INV-2", "b", 3333), ("INV-3", "c", 3333)]]
    documented = settlement.documented_by_group(issued)
    decided = settlement.settle([group(1, split("a", "b", "c"), 7000, settled=(10000,))],
                                documented, issued)
    assert [(d.organisation, d.kind, d.amount, d.corrects) for d in decided.documents] == [
        ("a", "credit-note", -1000, ("INV-1",)), ("b", "credit-note", -1000, ("INV-2",)),
        ("c", "credit-note", -1000, ("INV-3",))]


def test_a_new_tranche_corrects_nothing_and_a_revision_corrects_only_its_groups() -> None:
    issued = [IssuedDocument(n, o, ((g, 5000),)) for n, o, g in
              [("INV-1", "a", 1), ("INV-2", "b", 1), ("INV-3", "a", 2), ("INV-4", "c", 2)]]
    documented = settlement.documented_by_group(issued)
    two = [group(1, split("a", "b"), 10000, 2000, settled=(10000,)),
           group(2, split("a", "c"), 10000, settled=(10000,))]
    assert {d.organisation: d.corrects for d in settlement.settle(two, documented, issued)
            .decisions} == {"a": (), "b": ()}
    two[1] = group(2, split("a", "c"), 8000, settled=(10000,))
    decided = settlement.settle(two, documented, issued)
    assert {d.organisation: (d.amount, d.corrects) for d in decided.decisions} == {
        "a": (0, ()), "b": (1000, ()), "c": (-1000, ("INV-4",))}
    assert decided.transfers[0].organisation == "a"  # +1000 in group 1, -1000 in group 2


def test_a_gone_partner_s_document_goes_to_whoever_took_over() -> None:
    documented = {(1, "authority"): 5000, (1, "force"): 5000}
    decided = settlement.settle([group(1, split("authority", "force"), 8000, settled=(10000,))],
                                documented,
                                addressee=lambda o: "commissioner" if o == "authority" else o)
    assert [(d.organisation, d.addressee, d.on_behalf_of) for d in decided.documents] == [
        ("authority", "commissioner", "authority"), ("force", "force", None)]


def test_a_move_that_leaves_a_share_unchanged_is_a_transfer_not_a_document() -> None:
    """A rebill to a split where the partner owes the same: lines that net to zero."""
    documented = {(1, "a"): 5000, (1, "b"): 5000}
    decided = settlement.settle([group(1, split("a", "b")), group(2, split("a", "c"), 10000)],
                                documented)
    assert [(d.organisation, d.kind, d.lines) for d in decided.decisions] == [
        ("a", None, ((1, -5000), (2, 5000))), ("b", "credit-note", ((1, -5000),)),
        ("c", "invoice", ((2, 5000),))]


def test_a_partner_no_longer_in_the_split_is_credited() -> None:
    documented = {(1, "authority"): 5000, (1, "force"): 5000}
    decided = settlement.settle([group(1, split("authority", "force")),
                                 group(2, split("force"), 10000)], documented)
    assert {d.organisation: (d.kind, d.amount) for d in decided.decisions} == {
        "force": ("invoice", 5000), "authority": ("credit-note", -5000)}


def test_weights_and_contributions_come_from_the_split() -> None:
    weighted = split("a", "b", weights=(2, 1))
    assert settlement.owed(group(1, weighted, 300)) == {"a": 200, "b": 100}
    contributed = attrs.evolve(weighted, contributions=(rules.Contribution(
        "opcc", "overview-author", Decimal(50), allocations.from_minor(100)),))
    assert settlement.owed(group(1, contributed, 400)) == {"opcc": 100, "a": 200, "b": 100}


# -- laws ------------------------------------------------------------------------------------

@attrs.define
class Model:
    """A case as the ledger keeps it, run after run, with nothing but the settlement core."""

    groups: list[Group] = attrs.Factory(list)
    documented: dict[tuple[int, str], int] = attrs.Factory(lambda: defaultdict(int))
    issued: list[IssuedDocument] = attrs.Factory(list)

    def run(self) -> settlement.Settlement:
        before = dict(self.documented)
        decided = settlement.settle(self.groups, self.documented, self.issued)
        check_run(self.groups, before, decided, self.issued)
        for decision in decided.decisions:
            for gid, amount in decision.lines:
                self.documented[(gid, decision.organisation)] += amount
            if decision.kind is not None:
                self.issued.append(IssuedDocument(f"D{len(self.issued) + 1}",
                                                  decision.organisation, decision.lines))
        check_settled(self.groups, self.documented)
        self.groups = [attrs.evolve(g, tranches=tuple(attrs.evolve(t, settled=t.amount)
                                                      for t in g.tranches))
                       for g in self.groups]
        return decided


def check_run(groups: list[Group], before: dict[tuple[int, str], int],
              decided: settlement.Settlement, issued: list[IssuedDocument]) -> None:
    revised = {g.id for g in groups
               if any(t.settled is not None and t.settled != t.amount for t in g.tranches)}
    for decision in decided.documents:  # corrects: the partner's documents in revised groups
        groups_of = {g for g, _ in decision.lines}
        for number in decision.corrects:
            corrected = next(d for d in issued if d.number == number)
            assert corrected.organisation == decision.organisation
            assert {g for g, a in corrected.lines if a} & groups_of
        if not any(g in revised for g in groups_of) and all(
                sum(t.settled or 0 for t in g.tranches) == sum(
                    a for (gid, _), a in before.items() if gid == g.id)
                for g in groups if g.id in groups_of):
            assert decision.corrects == (), "a charge for new tranches corrects nothing"
    partners = [d.organisation for d in decided.decisions]
    assert len(partners) == len(set(partners)), "at most one decision per partner per run"
    for decision in decided.decisions:
        assert all(amount for _, amount in decision.lines)
        assert len({g for g, _ in decision.lines}) == len(decision.lines)
        if decision.kind is None:
            assert decision.amount == 0 and decision.corrects == ()
        else:
            assert (decision.amount > 0) == (decision.kind == "invoice") and decision.amount
    for g in groups:  # conservation per group
        moved = sum(a for d in decided.decisions for gid, a in d.lines if gid == g.id)
        documented = sum(a for (gid, _), a in before.items() if gid == g.id)
        assert moved == g.total - documented


def check_settled(groups: list[Group], documented: dict[tuple[int, str], int]) -> None:
    for g in groups:
        shares = settlement.owed(g)
        assert sum(shares.values()) == g.total
        for (gid, organisation), amount in documented.items():
            if gid == g.id:
                assert amount == shares.get(organisation, 0), (g.id, organisation)
        for organisation, share in shares.items():
            assert documented.get((g.id, organisation), 0) == share


commands = st.one_of(
    st.tuples(st.just("add"), st.integers(0, 3), strategies.tranche_costs),
    st.tuples(st.just("revise"), st.integers(0, 50), st.integers(0, 10**8)),
    st.tuples(st.just("move"), st.integers(0, 3), st.integers(0, 3)),
    st.tuples(st.just("run"), st.just(0), st.just(0)))


@given(splits=st.lists(strategies.resolved_splits(), min_size=1, max_size=4),
       script=st.lists(commands, max_size=30))
def test_every_run_settles_every_group_to_its_shares(
        splits: list[rules.ResolvedSplit], script: list[tuple[str, int, object]]) -> None:
    """Whatever arrives, is revised or moved between groups, every run conserves each group's
    total, issues at most one document per partner, and leaves each partner's net per group
    equal to its share of the group's total."""
    model = Model([Group(i + 1, s) for i, s in enumerate(splits)])
    for op, a, b in script:
        if op == "add":
            index = a % len(model.groups)
            assert isinstance(b, tuple)
            item, amount = b
            model.groups[index] = attrs.evolve(model.groups[index], tranches=(
                *model.groups[index].tranches, BilledTranche(item, amount)))
        elif op == "revise":
            everything = [(i, j) for i, g in enumerate(model.groups)
                          for j in range(len(g.tranches))]
            if everything:
                i, j = everything[a % len(everything)]
                assert isinstance(b, int)
                tranches = list(model.groups[i].tranches)
                tranches[j] = attrs.evolve(tranches[j], amount=b)
                model.groups[i] = attrs.evolve(model.groups[i], tranches=tuple(tranches))
        elif op == "move":
            assert isinstance(b, int)
            source, target = a % len(model.groups), b % len(model.groups)
            if source != target:
                moved = tuple(attrs.evolve(t, settled=None)
                              for t in model.groups[source].tranches)
                model.groups[source] = attrs.evolve(model.groups[source], tranches=())
                model.groups[target] = attrs.evolve(model.groups[target], tranches=(
                    *model.groups[target].tranches, *moved))
        model.run()
    assert model.run().decisions == ()  # settled: a second run has nothing to do
    total = sum(g.total for g in model.groups)
    assert sum(model.documented.values()) == total


@given(s=strategies.resolved_splits(),
       amounts=st.lists(st.integers(0, 10**6), min_size=1, max_size=60))
def test_tranche_by_tranche_never_drifts(s: rules.ResolvedSplit, amounts: list[int]) -> None:
    """Billing tranches one run at a time ends exactly where billing them all at once does."""
    model = Model([Group(1, s)])
    for amount in amounts:
        model.groups[0] = attrs.evolve(model.groups[0], tranches=(
            *model.groups[0].tranches, BilledTranche("overview-author", amount)))
        model.run()
    at_once = {o: a for o, a in settlement.owed(Group(1, s, model.groups[0].tranches)).items()
               if a}
    invoiced: dict[str, int] = defaultdict(int)
    for document in model.issued:
        invoiced[document.organisation] += document.amount
    assert {o: a for o, a in invoiced.items() if a} == at_once
