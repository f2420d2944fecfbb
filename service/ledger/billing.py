"""Billing runs and rebills: putting tranches into split groups and issuing the documents
that settle them.

Invariants, after every command (one transaction each; nothing of a failed command persists):

* for every case, the documents' amounts sum to the billed amounts of its tranches;
* within every split group, each partner's documented net equals its share of the group's
  billed total, as split by the group's stored :class:`rules.ResolvedSplit` (cumulatively, so
  rounding never drifts across tranches);
* documents are never edited (only what is settled against them); numbers are gap-free per
  series, and their issue dates never go backwards;
* a run bills only tranches incurred on or before its date; it is dated on or before today.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

import attrs
from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

import allocations
import rules
from service.ledger import audit, dates, payments, settlement
from service.ledger.errors import Invalid
from service.ledger.money import pence
from service.ledger.tables import (
    Case,
    Correction,
    Document,
    DocumentLine,
    Series,
    SplitGroup,
    Tranche,
)

__all__ = [
    "bill",
    "rebill",
]


#: A tranche not settled as it stands: never settled (unbilled, or just put into a group) or
#: revised since. The partial index ``ix_tranches_pending`` (migration 0007) holds exactly these.
_PENDING: ColumnElement[bool] = (Tranche.billed_amount.is_(None)
                                 | (Tranche.billed_amount != Tranche.amount))


def _request(case: Case, on: date, tranches: Sequence[Tranche]) -> rules.DhrRequest:
    costs = tuple(rules.Cost(t.item, allocations.from_minor(t.amount)) for t in tranches)
    return rules.DhrRequest(case.district, on, costs, case.health_body,
                            commissioned=case.commissioned, any_health_body=True)


def _group_for(session: Session, case: Case, split: rules.ResolvedSplit) -> SplitGroup:
    group = session.scalar(select(SplitGroup).where(SplitGroup.case_id == case.id,
                                                    SplitGroup.key == split.key))
    if group is None:
        group = SplitGroup(case_id=case.id, key=split.key, data=json.dumps(split.to_dict()),
                           resolved_on=split.governing_date)
        session.add(group)
        session.flush()
    return group


def _apportion(session: Session, ruleset: rules.Ruleset, case: Case, on: date,
               billed: bool) -> set[int]:
    """Put the case's unbilled tranches incurred on or before ``on`` (for a rebill: its billed
    tranches) into the group of the split resolved on ``on``; the next settlement makes every
    group's net its share. Returns the ids of tranches that moved to another group."""
    # (an unbilled tranche is pending: the partial index of pending tranches finds them)
    state: ColumnElement[bool] = (Tranche.split_id.is_not(None) if billed else
                                  _PENDING & Tranche.split_id.is_(None)
                                  & (Tranche.incurred <= on))
    tranches = list(session.scalars(select(Tranche).where(Tranche.case_id == case.id, state)
                                    .order_by(Tranche.id)))
    moved: set[int] = set()
    if tranches:
        _, split = rules.resolve_split(ruleset, _request(case, on, tranches))
        group = _group_for(session, case, split)
        for tranche in tranches:
            if tranche.split_id is not None and tranche.split_id != group.id:
                moved.add(tranche.id)
            tranche.split_id = group.id
        session.flush()
    return moved


def check_date(session: Session, on: date) -> None:
    """A run is dated on or before today and not before the latest document issued, so
    numbers and dates run in the same order (:class:`Invalid` naming ``date``)."""
    dates.check_fact(on, "date")
    latest = session.execute(select(Document.number, Document.issued)
                             .order_by(Document.issued.desc(), Document.id.desc())
                             .limit(1)).first()
    if latest is not None and on < latest.issued:
        raise Invalid(f"{latest.number} was issued on {latest.issued.isoformat()}: a billing run "
                      f"cannot be dated before it (numbers and dates run in the same order)",
                      field="date")


def bill(session: Session, ruleset: rules.Ruleset, case: Case, on: date, actor: str
         ) -> list[dict[str, Any]]:
    """A billing run: apportion the unbilled tranches incurred by ``on`` under the split
    resolved on ``on`` (or the commission date, if the arrangement says so), then settle every
    group: at most one document per partner, an invoice if what it owes moved up, a credit
    note if down; a partner gone by ``on`` is billed through whoever took over its
    liabilities."""
    check_date(session, on)
    moved = _apportion(session, ruleset, case, on, billed=False)
    documents: list[dict[str, Any]] = _settle(session, ruleset, case, on, actor, "bill",
                                              moved, whole_case=False)["documents"]
    return documents


def rebill(session: Session, ruleset: rules.Ruleset, case: Case, on: date, actor: str,
           dry_run: bool) -> dict[str, Any]:
    """Re-apportion every billed tranche of the case under the split resolved on ``on``: the
    credit notes and top-ups that make each partner's net its new share, and each partner's
    net before and after. A dry run is the same run, shown without numbers: the caller rolls
    its transaction back."""
    check_date(session, on)
    moved = _apportion(session, ruleset, case, on, billed=True)
    result = _settle(session, ruleset, case, on, actor, "rebill", moved, whole_case=True)
    if dry_run:
        result["documents"] = [d | {"number": None} for d in result["documents"]]
        result["dry_run"] = True
    return result


@attrs.frozen
class _Scope:
    """What a settlement reads: the groups it settles (each with its tranches, those unchanged
    since they were last settled possibly summed per item), the tranches to mark settled, what
    is documented per (group, partner) in those groups, and the earlier documents with lines in
    the groups whose settled basis changed (with their ids by number)."""

    groups: list[settlement.Group]
    changed: list[Tranche]
    documented: dict[tuple[int, str], int]
    issued: list[settlement.IssuedDocument]
    numbers: dict[str, int]


def _whole_case(session: Session, case: Case, moved: set[int]) -> _Scope:
    """Every group of the case and everything documented in it (a rebill re-apportions every
    billed tranche, so it reads the case's history)."""
    groups = list(session.scalars(select(SplitGroup).where(SplitGroup.case_id == case.id)
                                  .order_by(SplitGroup.id)))
    tranches = list(session.scalars(select(Tranche).where(
        Tranche.case_id == case.id, Tranche.split_id.is_not(None)).order_by(Tranche.id)))
    members: dict[int, list[settlement.BilledTranche]] = defaultdict(list)
    for t in tranches:
        assert t.split_id is not None
        members[t.split_id].append(settlement.BilledTranche(
            t.item, t.amount, None if t.id in moved else t.billed_amount))
    numbers = {d.number: d.id for d in session.scalars(select(Document).where(
        Document.case_id == case.id))}
    return _Scope([settlement.Group(g.id, _split(g), tuple(members[g.id])) for g in groups],
                  tranches, _documented(session, DocumentLine.case_id == case.id),
                  _issued(session, case), numbers)


def _changed(session: Session, case: Case) -> _Scope:
    """The case's tranches not settled as they stand and only what settling their groups needs:
    each group's other tranches summed per item (a split depends on the items' totals only),
    what is documented in the group per partner, and the documents a revision corrects. Every
    other group is settled already (each run settles every group it touches, and nothing else
    changes a group), so a run reads what changed, not the case's history."""
    changed = list(session.scalars(select(Tranche).where(
        Tranche.case_id == case.id, Tranche.split_id.is_not(None), _PENDING)
        .order_by(Tranche.id)))
    ids = sorted({t.split_id for t in changed if t.split_id is not None})
    if not ids:
        return _Scope([], [], {}, [], {})
    members: dict[int, list[settlement.BilledTranche]] = defaultdict(list)
    for split_id, item, amount in session.execute(
            select(Tranche.split_id, Tranche.item, func.sum(Tranche.amount))
            .where(Tranche.split_id.in_(ids), Tranche.billed_amount == Tranche.amount)
            .group_by(Tranche.split_id, Tranche.item)
            .order_by(Tranche.split_id, func.min(Tranche.id))):
        assert split_id is not None
        members[split_id].append(settlement.BilledTranche(item, int(amount), int(amount)))
    for t in changed:
        assert t.split_id is not None
        members[t.split_id].append(settlement.BilledTranche(t.item, t.amount, t.billed_amount))
    groups = [settlement.Group(g.id, _split(g), tuple(members[g.id]))
              for g in session.scalars(select(SplitGroup).where(SplitGroup.id.in_(ids))
                                       .order_by(SplitGroup.id))]
    documented = _documented(session, DocumentLine.split_id.in_(ids))
    revised = [g.id for g in groups
               if g.revised(sum(a for (gid, _), a in documented.items() if gid == g.id))]
    issued, numbers = _issued_in(session, revised)
    return _Scope(groups, changed, documented, issued, numbers)


def _split(group: SplitGroup) -> rules.ResolvedSplit:
    return rules.ResolvedSplit.from_dict(json.loads(group.data))


def _settle(session: Session, ruleset: rules.Ruleset, case: Case, on: date, actor: str,
            action: str, moved: set[int], whole_case: bool) -> dict[str, Any]:
    """Read what the run settles (the groups of what changed, or for a rebill the whole case),
    let :func:`settlement.settle` decide, and record its decisions (documents with numbers,
    transfer lines, credit allocated, audit events)."""
    scope = _whole_case(session, case, moved) if whole_case else _changed(session, case)
    documented = scope.documented

    def addressee(organisation: str) -> str:
        return rules.liable_body(ruleset, organisation, case.district, on, case.health_body)

    decided = settlement.settle(scope.groups, documented, scope.issued, addressee)
    run = str(uuid.uuid4())
    if decided.documents:
        # Lock both number series in one fixed order before taking any number, so two runs
        # issuing invoices and credit notes in different orders cannot deadlock; then the date
        # check cannot race another run.
        session.execute(select(Series.name).order_by(Series.name).with_for_update()).all()
        check_date(session, on)
    issued: list[Document] = []
    numbers = scope.numbers
    for decision in decided.decisions:
        if decision.kind is None:
            for split_id, amount in decision.lines:
                session.add(DocumentLine(case_id=case.id, organisation=decision.organisation,
                                         split_id=split_id, document_id=None, amount=amount))
            audit.record(session, actor, f"{action}:transfer", "case", case.reference, None,
                         {"organisation": decision.organisation, "run": run,
                          "lines": {str(k): pence(v) for k, v in decision.lines}})
            continue
        issued.append(_issue(session, case, decision, on, run, numbers))
    for tranche in scope.changed:
        if tranche.billed_amount != tranche.amount:
            audit.record(session, actor, f"{action}:tranche", "tranche", tranche.id,
                         {"billed_amount": None if tranche.billed_amount is None
                          else pence(tranche.billed_amount)},
                         {"billed_amount": pence(tranche.amount), "split": tranche.split_id})
        tranche.billed_amount = tranche.amount
    session.flush()
    for organisation in dict.fromkeys(d.organisation for d in issued):
        payments.allocate_credit(session, case.id, organisation, on)
    session.flush()
    bodies = payments.document_bodies(session, issued)
    for body in bodies:
        audit.record(session, actor, f"{action}:issue", "document", body["number"], None, body)
    result: dict[str, Any] = {"documents": bodies}
    if whole_case:
        nets_after = defaultdict(int, documented)
        for decision in decided.decisions:
            for split_id, amount in decision.lines:
                nets_after[(split_id, decision.organisation)] += amount
        result["nets"] = _nets(documented, nets_after)
    return result


def _nets(before: dict[tuple[int, str], int], after: dict[tuple[int, str], int]
          ) -> list[dict[str, str]]:
    partners = list(dict.fromkeys(o for _, o in [*before, *after]))
    return [{"organisation": o,
             "before": pence(sum(a for (_, p), a in before.items() if p == o)),
             "after": pence(sum(a for (_, p), a in after.items() if p == o))}
            for o in partners]


def _documented(session: Session, where: ColumnElement[bool]) -> dict[tuple[int, str], int]:
    """Pence documented per (group, partner) among the lines ``where`` selects, in order of
    each pair's first line."""
    return {(split_id, organisation): int(amount)
            for split_id, organisation, amount in session.execute(
                select(DocumentLine.split_id, DocumentLine.organisation,
                       func.sum(DocumentLine.amount))
                .where(where).group_by(DocumentLine.split_id, DocumentLine.organisation)
                .order_by(func.min(DocumentLine.id)))}


def _issued(session: Session, case: Case) -> list[settlement.IssuedDocument]:
    """The case's documents, oldest first, each with the partner whose shares it carries."""
    lines: dict[int, list[tuple[int, int]]] = defaultdict(list)
    partner: dict[int, str] = {}
    for document_id, organisation, split_id, amount in session.execute(
            select(DocumentLine.document_id, DocumentLine.organisation, DocumentLine.split_id,
                   DocumentLine.amount)
            .where(DocumentLine.case_id == case.id, DocumentLine.document_id.is_not(None))
            .order_by(DocumentLine.id)):
        if document_id is not None:
            lines[document_id].append((split_id, amount))
            partner[document_id] = organisation
    return [settlement.IssuedDocument(d.number, partner.get(d.id, d.organisation),
                                      tuple(lines[d.id]))
            for d in session.scalars(select(Document).where(Document.case_id == case.id)
                                     .order_by(Document.id))]


def _issued_in(session: Session, group_ids: Sequence[int]
               ) -> tuple[list[settlement.IssuedDocument], dict[str, int]]:
    """The documents with lines in the groups ``group_ids``, oldest first, each with the partner
    whose shares it carries and its lines in those groups (all that decides what a document
    corrects); and their ids by number."""
    if not group_ids:
        return [], {}
    lines: dict[int, list[tuple[int, int]]] = defaultdict(list)
    found: dict[int, tuple[str, str]] = {}
    for document_id, number, organisation, split_id, amount in session.execute(
            select(DocumentLine.document_id, Document.number, DocumentLine.organisation,
                   DocumentLine.split_id, DocumentLine.amount)
            .join(Document, Document.id == DocumentLine.document_id)
            .where(DocumentLine.split_id.in_(group_ids))
            .order_by(DocumentLine.document_id, DocumentLine.id)):
        assert document_id is not None  # (joined to its document)
        lines[document_id].append((split_id, amount))
        found[document_id] = (number, organisation)
    return ([settlement.IssuedDocument(number, organisation, tuple(lines[i]))
             for i, (number, organisation) in found.items()],
            {number: i for i, (number, _) in found.items()})


def _issue(session: Session, case: Case, decision: settlement.Decision, on: date, run: str,
           numbers: dict[str, int]) -> Document:
    kind = decision.kind or "invoice"  # never None here: transfers issue no document
    document = Document(number=_next_number(session, kind), kind=kind, case_id=case.id,
                        organisation=decision.addressee or decision.organisation,
                        on_behalf_of=decision.on_behalf_of, amount=decision.amount, issued=on,
                        due=payments.due_date(session, on), status="open", paid=0, credited=0,
                        run=run)
    session.add(document)
    session.flush()
    for split_id, amount in decision.lines:
        session.add(DocumentLine(case_id=case.id, organisation=decision.organisation,
                                 split_id=split_id, document_id=document.id, amount=amount))
    for number in decision.corrects:
        session.add(Correction(document_id=document.id, corrected_id=numbers[number]))
    numbers[document.number] = document.id
    return document


def _next_number(session: Session, kind: str) -> str:
    """The next number of the series, taken inside the issuing transaction: the row stays
    locked until commit (PostgreSQL) or the writer holds the database (SQLite), and a rollback
    gives the number back, so numbers are unique and gap-free."""
    last, prefix = session.execute(
        update(Series).where(Series.name == kind).values(last=Series.last + 1)
        .returning(Series.last, Series.prefix)).one()
    return f"{prefix}{last:06d}"
