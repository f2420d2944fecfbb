"""The fund allocation answer is the same, byte for byte, however it is built (issue 16 made
its builder ``O(n)`` in the recipients): against the straightforward builder over the domain's
explanations and awards, and against digests of the answers as they were before."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

import allocations
import rules
from benchmarks.allocation import following_fund, national_fund
from rules.paradoxes import against_followed
from service.wire import answers

#: sha256 of ``json.dumps(body)`` (keys in the answer's order) of each answer below, as built
#: before the builder was rewritten.
DIGESTS = json.loads((Path(__file__).parent / "fund_answers.json").read_text())


def reference_body(ruleset: rules.Ruleset, result: rules.FundAllocation) -> dict[str, Any]:
    """The answer built the straightforward way: every explanation and award as domain
    values, each formatted."""
    lines = result.result
    explained = result.explanations()
    previous = result.followed.awards if result.followed is not None else None
    names = {line.id: line.name for line in result.fund.lines}
    recipients = []
    for recipient, amount in result.awards.items():
        row: dict[str, Any] = {
            "recipient": recipient, "name": ruleset.name_of(recipient),
            "amount": allocations.format_money(amount),
            "lines": [{"line": e.line, "amount": allocations.format_money(e.amount),
                       "fraction": None if e.fraction is None else str(e.fraction),
                       "floored": e.floored, "capped": e.capped, "damped": e.damped,
                       "remainder_penny": e.remainder_penny, "held": e.held}
                      for e in explained.get(recipient, ())]}
        if previous is not None:
            before = previous.get(recipient)
            row["previous"] = allocations.format_money(before) if before is not None else None
        if result.fund.stages:
            row["stages"] = [answers._stage(stage)
                             for stage in result.schedules.get(recipient, ())]
        recipients.append(row)
    body: dict[str, Any] = {
        "fund": result.fund.id, "name": result.fund.name, "year": result.fund.year,
        "currency": lines.total.currency.code,
        "total": allocations.format_money(lines.total),
        "allocated": allocations.format_money(lines.allocated),
        "unallocated": allocations.format_money(lines.unallocated),
        "follows": result.fund.follows, "recipients": recipients,
        "lines": [answers._line_total(line, names.get(line.id, "")) for line in lines.lines]}
    if result.followed is not None:
        body["warnings"] = [
            *(answers.warning_body(ruleset, paradox) for paradox in against_followed(result)),
            *({"kind": w.kind, "recipient": w.recipient, "detail": w.detail}
              for w in rules.fund_warnings(result))]
    return body


def cases() -> dict[str, tuple[rules.Ruleset, rules.Fund]]:
    """Every fund of the embedded rules, and the benchmark's funds (every line kind, damping,
    a fund followed) at two sizes."""
    ruleset = rules.default_ruleset()
    found = {f"default:{fund_id}": (ruleset, fund) for fund_id, fund in ruleset.funds.items()}
    for n in (30, 300):
        found[f"national:{n}"] = national_fund(n)
        found[f"following:{n}"] = following_fund(n)
    return found


CASES = cases()


def digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body).encode()).hexdigest()


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_answer_is_the_one_built_from_the_explanations(name: str) -> None:
    ruleset, fund = CASES[name]
    result = rules.allocate_fund(ruleset, fund)
    body = answers.fund_allocation_body(ruleset, result)
    assert json.dumps(body) == json.dumps(reference_body(ruleset, result))


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_answer_is_byte_for_byte_the_one_given_before(name: str) -> None:
    ruleset, fund = CASES[name]
    body = answers.fund_allocation_body(ruleset, rules.allocate_fund(ruleset, fund))
    assert digest(body) == DIGESTS[name]
