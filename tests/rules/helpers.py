"""Small builders for rules tests."""

from __future__ import annotations

from datetime import date

import rules
from allocations import parse_money, to_minor


def request(district: str, on: str | date, *costs: tuple[str, str], health_body: str | None = None,
            **extra: object) -> rules.DhrRequest:
    when = date.fromisoformat(on) if isinstance(on, str) else on
    return rules.DhrRequest(district, when,
                            tuple(rules.Cost(item, parse_money(amount)) for item, amount in costs),
                            health_body, **extra)  # type: ignore[arg-type]


def split(ruleset: rules.Ruleset, district: str, on: str | date, amount: str = "4250.00",
          health_body: str | None = None) -> dict[str, int]:
    result = rules.apportion(ruleset, request(district, on, ("overview-author", amount),
                                              health_body=health_body))
    return {share.organisation: to_minor(share.amount) for share in result.shares}
