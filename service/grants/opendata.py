"""A fund's awards in the 360Giving Data Standard: a JSON grant package, or its flat CSV.

Each award is a grant: its identifier, title, description, currency, amount awarded, award date,
recipient and funding organisations, grant programme (the fund) and beneficiary location (the
recipient's district by GSS code, from the ruleset). Organisations have no registered
identifiers in the ruleset, so both organisations and grants are identified with a ``360G-``
prefix, as the standard allows for publishers' own identifiers: the prefix 360Giving registers
for the publisher (``APPORTION_360GIVING_PREFIX``, checked at start-up by :func:`check_prefix`),
else ``360G-<ruleset id>`` until one is registered. Amounts are JSON numbers, as
the standard requires, written exactly from integer pence (never through a binary float).
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import rules
from service.ledger.errors import Invalid, NotFound
from service.ledger.money import pence
from service.ledger.tables import Award

__all__ = ["CSV_COLUMNS", "check_prefix", "grants_csv", "grants_json", "grants_package"]

#: A 360Giving identifier prefix: ``360G-`` then the publisher's own letters, digits and dashes.
_PREFIX = re.compile(r"360G-[A-Za-z0-9][A-Za-z0-9-]{0,63}")


def check_prefix(prefix: str) -> str:
    """``prefix`` if it is a 360Giving publisher prefix (``360G-`` and letters, digits or
    dashes, as 360Giving assigns them).

    Raises:
        Invalid: naming what is wrong (the service does not start).
    """
    if not _PREFIX.fullmatch(prefix):
        raise Invalid(f"{prefix!r} is not a 360Giving prefix: '360G-' followed by letters, "
                      "digits and dashes (e.g. '360G-examplepcc')",
                      field="APPORTION_360GIVING_PREFIX")
    return prefix

#: The ONS entity code (first three characters of a GSS code) -> 360Giving geoCodeType.
GEO_CODE_TYPES = {"E06": "UA", "W06": "UA", "S12": "UA", "E07": "NMD", "E08": "MD",
                  "E09": "LONB", "E10": "CTY"}

#: CSV columns: the standard's field titles, nested ones joined with ':' (its spreadsheet form),
#: and the path of the field each holds.
CSV_COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Identifier", ("id",)), ("Title", ("title",)), ("Description", ("description",)),
    ("Currency", ("currency",)), ("Amount Awarded", ("amountAwarded",)),
    ("Award Date", ("awardDate",)),
    ("Recipient Org:Identifier", ("recipientOrganization", "id")),
    ("Recipient Org:Name", ("recipientOrganization", "name")),
    ("Funding Org:Identifier", ("fundingOrganization", "id")),
    ("Funding Org:Name", ("fundingOrganization", "name")),
    ("Grant Programme:Code", ("grantProgramme", "code")),
    ("Grant Programme:Title", ("grantProgramme", "title")),
    ("Beneficiary Location:Name", ("beneficiaryLocation", "name")),
    ("Beneficiary Location:Geographic Code", ("beneficiaryLocation", "geoCode")),
    ("Beneficiary Location:Geographic Code Type", ("beneficiaryLocation", "geoCodeType")),
)


class _Number(str):
    """A decimal written as a JSON number, exactly as its text."""


def _organisation(ruleset: rules.Ruleset, prefix: str, body_id: str) -> dict[str, str]:
    return {"id": f"{prefix}-{body_id}", "name": ruleset.name_of(body_id)}


def _locations(ruleset: rules.Ruleset, recipient: str) -> list[dict[str, str]]:
    found = []
    for district in ruleset.districts.values():
        if district.gss and recipient in (district.csp, district.council):
            location = {"name": district.name, "geoCode": district.gss}
            kind = GEO_CODE_TYPES.get(district.gss[:3])
            if kind:
                location["geoCodeType"] = kind
            found.append(location)
    return found


def grants_package(session: Session, ruleset: rules.Ruleset, fund_id: str, today: date,
                   prefix: str | None = None) -> dict[str, Any]:
    """The 360Giving grant package (``{"grants": [...]}``) of fund ``fund_id``'s awards, its
    identifiers under ``prefix`` (the publisher's registered 360Giving prefix; by default
    ``360G-<ruleset id>``).

    Raises:
        NotFound: no such fund.
        Invalid: the fund names no funder, or has no awards yet.
    """
    fund = ruleset.funds.get(fund_id)
    if fund is None:
        raise NotFound(f"unknown fund {fund_id!r}; known: {', '.join(ruleset.funds)}")
    if fund.funder is None:
        raise Invalid(f"fund {fund_id!r} names no funder (the funding organisation open data "
                      "needs); add 'funder' to the fund in the ruleset", field="fund")
    awards = list(session.scalars(select(Award).where(Award.fund == fund_id)
                                  .order_by(Award.id)))
    if not awards:
        raise Invalid(f"fund {fund_id!r} has no awards yet: commit its allocation first",
                      field="fund")
    prefix = prefix or f"360G-{ruleset.id}"
    grants = []
    for award in awards:
        grant: dict[str, Any] = {
            "id": f"{prefix}-{award.number}",
            "title": f"{fund.name}: {ruleset.name_of(award.recipient)}",
            "description": f"{fund.name} ({fund.year}), award {award.number} to "
                           f"{ruleset.name_of(award.recipient)}.",
            "currency": "GBP",
            "amountAwarded": _Number(pence(award.amount)),
            "awardDate": award.awarded_on.isoformat(),
            "recipientOrganization": [_organisation(ruleset, prefix, award.recipient)],
            "fundingOrganization": [_organisation(ruleset, prefix, fund.funder)],
            "grantProgramme": [{"code": fund.id, "title": fund.name}],
        }
        locations = _locations(ruleset, award.recipient)
        if locations:
            grant["beneficiaryLocation"] = locations
        grants.append(grant)
    return {"grants": grants, "version": "1.4", "title": f"{fund.name}: awards",
            "issued": today.isoformat()}


def grants_json(package: dict[str, Any]) -> str:
    """The package as JSON text, amounts as exact JSON numbers."""
    return _dumps(package)


def _dumps(value: Any) -> str:
    if isinstance(value, _Number):
        return str.__str__(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {_dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_dumps(v) for v in value) + "]"
    return json.dumps(value)


def grants_csv(package: dict[str, Any]) -> str:
    """The package as the standard's flat spreadsheet form: one row per grant (first
    recipient, funder, programme and location), columns titled as the standard's fields."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([title for title, _ in CSV_COLUMNS])
    for grant in package["grants"]:
        row = []
        for _, path in CSV_COLUMNS:
            value: Any = grant.get(path[0])
            if len(path) == 2:
                value = value[0].get(path[1]) if value else None
            row.append(_cell("" if value is None else str(value)))
        writer.writerow(row)
    return out.getvalue()


def _cell(text: str) -> str:
    """Escape what a spreadsheet would run as a formula (names are ruleset data)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
