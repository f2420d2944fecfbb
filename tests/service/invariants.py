"""The ledger's invariants, checked straight from the tables (not through the API)."""

from __future__ import annotations

import json
from collections import defaultdict

from flask import Flask
from sqlalchemy import select

import allocations
import rules
from service.ledger.tables import Case, Document, DocumentLine, SplitGroup, Tranche


def check(app: Flask) -> None:
    """Σ documents = Σ billed amounts per case; every group's net per partner = its share of
    the group's billed total; numbers unique and gap-free per series; documents are signed by
    kind; every billed tranche has its split."""
    with app.extensions["apportion.db"].session() as session:
        for case in session.scalars(select(Case)):
            tranches = list(session.scalars(select(Tranche).where(Tranche.case_id == case.id)))
            documents = list(session.scalars(select(Document).where(
                Document.case_id == case.id)))
            billed = sum(t.billed_amount or 0 for t in tranches if t.split_id is not None)
            assert sum(d.amount for d in documents) == billed, case.reference
            lines = list(session.scalars(select(DocumentLine).where(
                DocumentLine.case_id == case.id)))
            for document in documents:
                assert sum(line.amount for line in lines
                           if line.document_id == document.id) == document.amount
                assert (document.amount > 0) == (document.kind == "invoice")
            net: dict[tuple[int, str], int] = defaultdict(int)
            for line in lines:
                net[(line.split_id, line.organisation)] += line.amount
            for group in session.scalars(select(SplitGroup).where(SplitGroup.case_id == case.id)):
                members = [t for t in tranches if t.split_id == group.id]
                owed: dict[str, int] = defaultdict(int)
                if members:
                    split = rules.ResolvedSplit.from_dict(json.loads(group.data))
                    costs = [rules.Cost(t.item, allocations.from_minor(t.billed_amount or 0))
                             for t in members]
                    for share in split.shares(costs):
                        owed[share.organisation] += allocations.to_minor(share.amount)
                for organisation in set(owed) | {o for (g, o) in net if g == group.id}:
                    assert net[(group.id, organisation)] == owed[organisation], (
                        case.reference, group.id, organisation)
        for kind, prefix in (("invoice", "INV-"), ("credit-note", "CN-")):
            numbers = sorted(int(n.removeprefix(prefix)) for n in session.scalars(
                select(Document.number).where(Document.kind == kind)))
            assert numbers == list(range(1, len(numbers) + 1)), (kind, numbers[:20])
