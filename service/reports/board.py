"""The board report for a financial year (1 April - 31 March): DHR costs by partner from the
ledger, fund allocations by CSP and by line, and the arrangements and membership in force, with
their sources. One set of figures, rendered as HTML (with SVG charts), CSV and XLSX; the totals
are the sums of the rows, to the penny, in every form."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pygal
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

import allocations
import rules
from rules import forecast as forecasting
from service.ledger.history import review_history
from service.ledger.tables import Document, Payment, Reversal
from service.wire import cells
from service.wire.answers import forecast_body

__all__ = [
    "BoardReport",
    "board_report",
    "comparison_csv",
    "comparison_xlsx",
    "forecast_json",
    "fund_rows",
    "pounds",
    "report_csv",
    "report_json",
    "report_svg_charts",
    "report_xlsx",
    "year_bounds",
    "year_on_year",
]

DHR_COLUMNS = ("billed", "invoiced", "credited", "paid", "outstanding")
FORECAST_COLUMNS = ("low", "expected", "high")
GBP_FORMAT = '"£"#,##0.00;-"£"#,##0.00'


#: The media type of an XLSX workbook.
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

def pounds(pence: int) -> Decimal:
    """Pence as an exact Decimal of pounds (for spreadsheet cells and charts)."""
    return Decimal(pence).scaleb(-2)


def _text(pence: int) -> str:
    return allocations.format_money(allocations.from_minor(pence))


@attrs.frozen
class PartnerCosts:
    """One organisation's DHR account in the year, in pence: documents issued to it in the
    year (``billed`` = ``invoiced`` + ``credited``), payments received in the year net of
    refunds and reversals (``paid``), and what it owes at the year's end (``outstanding``: its
    statement's closing balance and its aged-debt total on that date)."""

    organisation: str
    name: str
    billed: int
    invoiced: int
    credited: int
    paid: int
    outstanding: int


@attrs.frozen
class BoardReport:
    """The figures of one financial year."""

    year: str
    start: date
    end: date
    partners: tuple[PartnerCosts, ...]
    funds: tuple[rules.FundAllocation, ...]
    arrangements: tuple[rules.Arrangement, ...]
    members: tuple[tuple[rules.Organisation, str], ...]
    ruleset: rules.Ruleset
    forecast: forecasting.Forecast | None = None
    forecast_note: str = ""

    def total(self, column: str) -> int:
        """The sum of a DHR column over the partners."""
        return sum(getattr(p, column) for p in self.partners)


def board_report(session: Session, ruleset: rules.Ruleset, year: str) -> BoardReport:
    """Gather the year's figures (raises ``ValueError`` for a malformed year)."""
    start = rules.financial_year_start(year)
    end = date(start.year + 1, 3, 31)
    rows = _dhr_rows(session, start, end)
    partners = tuple(PartnerCosts(o, ruleset.name_of(o), **r) for o, r in rows.items()
                     if any(r.values()))
    funds = tuple(rules.allocate_fund(ruleset, fund) for fund in ruleset.funds.values()
                  if fund.year == year)
    arrangements = tuple(a for a in ruleset.arrangements.values()
                         if a.in_force.start <= end and (a.in_force.end is None
                                                         or a.in_force.end > start))
    members = tuple((o, ruleset.kinds[o.kind].source) for o in ruleset.organisations_on(start)
                    if ruleset.statutory_on(o.id, start))
    forecast, note = _next_year_forecast(session, ruleset, start)
    return BoardReport(year, start, end, partners, funds, arrangements, members, ruleset,
                       forecast, note)


def _dhr_rows(session: Session, start: date, end: date) -> dict[str, dict[str, int]]:
    """Each organisation's DHR account in the year, summed in SQL (four grouped queries; no
    document is loaded): documents issued in the year, payments net of refunds and reversals in
    the year, and its balance at the year's end (its statement's closing balance). In the
    order organisations were first invoiced in the year, then the others invoiced before."""
    # Two plain passes, each over the documents' covering index (organisation, issue date,
    # amount): the year's documents, and every document up to the year's end (one pass with a
    # condition per sum costs more than both).
    in_year = {organisation: row for organisation, *row in session.execute(
        select(Document.organisation, func.sum(Document.amount),
               func.sum(case((Document.amount > 0, Document.amount), else_=0)),
               func.sum(case((Document.amount < 0, Document.amount), else_=0)),
               func.min(Document.id))
        .where(Document.issued.between(start, end)).group_by(Document.organisation))}
    documents = [(organisation, *in_year.get(organisation, (0, 0, 0, None))[:3], owed,
                  in_year.get(organisation, (0, 0, 0, None))[3], first)
                 for organisation, owed, first in session.execute(
                     select(Document.organisation, func.sum(Document.amount),
                            func.min(Document.id))
                     .where(Document.issued <= end).group_by(Document.organisation))]
    refund = Document.amount < 0
    # what each payment takes off the balance (a refund of credit adds to it)
    received = case((refund, -Payment.amount), else_=Payment.amount)
    paid: dict[str, tuple[int, int]] = {}
    for organisation, in_year, until_end in session.execute(
            select(Document.organisation,
                   func.sum(case((Payment.received >= start, received), else_=0)),
                   func.sum(received))
            .select_from(Payment).join(Document, Document.id == Payment.document_id)
            .where(Payment.received <= end).group_by(Document.organisation)):
        paid[organisation] = (int(in_year), int(until_end))
    for organisation, in_year, until_end in session.execute(
            select(Document.organisation,
                   func.sum(case((Reversal.reversed_on >= start, received), else_=0)),
                   func.sum(received))
            .select_from(Reversal).join(Payment, Payment.id == Reversal.payment_id)
            .join(Document, Document.id == Payment.document_id)
            .where(Reversal.reversed_on <= end).group_by(Document.organisation)):
        year_paid, end_paid = paid.get(organisation, (0, 0))
        paid[organisation] = (year_paid - int(in_year), end_paid - int(until_end))
    order = sorted(documents, key=lambda r: (r[5] is None, r[5] or r[6]))
    rows: dict[str, dict[str, int]] = {}
    for organisation, billed, invoiced, credited, owed, _, _ in order:
        year_paid, end_paid = paid.get(organisation, (0, 0))
        rows[organisation] = {"billed": int(billed), "invoiced": int(invoiced),
                              "credited": int(credited), "paid": year_paid,
                              "outstanding": int(owed) - end_paid}
    return rows


def _next_year_forecast(session: Session, ruleset: rules.Ruleset, start: date
                        ) -> tuple[forecasting.Forecast | None, str]:
    """The DHR forecast for the year after the report's, from the ledger's complete years; or
    why there is none."""
    following = forecasting.financial_year_of(date(start.year + 1, 4, 1))
    try:
        return forecasting.forecast_year(ruleset, following, history=review_history(session),
                                         complete_before=date.today()), ""
    except rules.RulesError as error:
        return None, f"No DHR forecast for {following}: {error.message}."


def forecast_json(report: BoardReport) -> dict[str, Any] | None:
    """The report's DHR forecast as in ``POST /forecast/dhr`` (``None`` when there is none)."""
    if report.forecast is None:
        return None
    return forecast_body(report.ruleset, report.forecast)


def fund_rows(allocation: rules.FundAllocation) -> list[tuple[str, dict[str, int], int]]:
    """(recipient, line -> pence, total pence) per recipient, in allocation order."""
    result = allocation.result
    per: dict[str, dict[str, int]] = defaultdict(dict)
    for line in result.lines:
        for recipient, amount in zip(line.recipients, line.minor_shares, strict=True):
            per[str(recipient)][line.id] = amount
    return [(str(r), per[str(r)], allocations.to_minor(amount))
            for r, amount in result.recipients.items()]


def year_on_year(allocation: rules.FundAllocation) -> list[tuple[str, int, int, int]]:
    """(recipient, amount, previous, change) in pence against the fund it follows: every
    recipient of either year (one the fund no longer reaches shows 0 now). Empty when the fund
    follows none. The changes sum to the change in what was allocated."""
    if allocation.followed is None:
        return []
    now = {r: allocations.to_minor(a) for r, a in allocation.awards.items()}
    before = {r: allocations.to_minor(a) for r, a in allocation.followed.awards.items()}
    order = list(now) + [r for r in before if r not in now]
    return [(r, now.get(r, 0), before.get(r, 0), now.get(r, 0) - before.get(r, 0))
            for r in order]


def _year_on_year_json(report: BoardReport, allocation: rules.FundAllocation
                       ) -> dict[str, Any] | None:
    rows = year_on_year(allocation)
    if allocation.followed is None:
        return None
    now = allocations.to_minor(allocation.result.total)
    before = allocations.to_minor(allocation.followed.result.total)
    return {"follows": allocation.followed.fund.id, "previous_year": allocation.followed.fund.year,
            "recipients": [{"recipient": r, "name": report.ruleset.name_of(r),
                            "amount": _text(a), "previous": _text(p), "change": _text(c)}
                           for r, a, p, c in rows],
            "totals": {"amount": _text(sum(a for _, a, _, _ in rows)),
                       "previous": _text(sum(p for _, _, p, _ in rows)),
                       "change": _text(sum(c for _, _, _, c in rows))},
            "fund_total": {"amount": _text(now), "previous": _text(before),
                           "change": _text(now - before)}}


def report_json(report: BoardReport) -> dict[str, Any]:
    """The figures as JSON (money as decimal strings)."""
    ruleset = report.ruleset
    return {
        "year": report.year, "from": report.start.isoformat(), "to": report.end.isoformat(),
        "currency": "GBP",
        "dhr": {"partners": [{"organisation": p.organisation, "name": p.name,
                              **{c: _text(getattr(p, c)) for c in DHR_COLUMNS}}
                             for p in report.partners],
                "totals": {c: _text(report.total(c)) for c in DHR_COLUMNS}},
        "funds": [{"fund": f.fund.id, "name": f.fund.name, "source": f.fund.source,
                   "total": _text(allocations.to_minor(f.result.total)),
                   "allocated": _text(allocations.to_minor(f.result.allocated)),
                   "unallocated": _text(allocations.to_minor(f.result.unallocated)),
                   "lines": [{"line": line.id, "kind": line.kind,
                              "amount": _text(allocations.to_minor(line.amount))}
                             for line in f.result.lines],
                   "recipients": [{"recipient": r, "name": ruleset.name_of(r),
                                   "lines": {k: _text(v) for k, v in lines.items()},
                                   "amount": _text(total)}
                                  for r, lines, total in fund_rows(f)],
                   "follows": f.fund.follows,
                   "year_on_year": _year_on_year_json(report, f)}
                  for f in report.funds],
        "arrangements": [{"id": a.id, "name": a.name, "source": a.source,
                          "roles": [r.name for r in a.roles]} for a in report.arrangements],
        "membership": [{"organisation": o.id, "name": o.name, "kind": o.kind,
                        "source": source} for o, source in report.members],
        "forecast": forecast_json(report),
        "forecast_note": report.forecast_note,
    }


def _escape(value: object) -> object:
    """A safe export cell: formulas neutralised, control characters replaced
    (:func:`service.wire.cells.cell`)."""
    return cells.cell(value)


def _csv(rows: Sequence[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_escape(cell) for cell in row])
    return out.getvalue()


def report_csv(report: BoardReport) -> str:
    """One tidy table: section, row id, name, column, amount; a ``total`` row per section."""
    rows: list[list[object]] = [["section", "row", "name", "column", "amount"]]
    for p in report.partners:
        rows += [["dhr", p.organisation, p.name, c, _text(getattr(p, c))] for c in DHR_COLUMNS]
    rows += [["dhr", "total", "Total", c, _text(report.total(c))] for c in DHR_COLUMNS]
    for fund in report.funds:
        section = f"fund:{fund.fund.id}"
        for recipient, lines, total in fund_rows(fund):
            name = report.ruleset.name_of(recipient)
            rows += [[section, recipient, name, line, _text(amount)]
                     for line, amount in lines.items()]
            rows.append([section, recipient, name, "total", _text(total)])
        rows += [[section, "total", "Total", line.id, _text(allocations.to_minor(line.amount))]
                 for line in fund.result.lines]
        rows.append([section, "total", "Total", "total",
                     _text(allocations.to_minor(fund.result.allocated))])
        changes = year_on_year(fund)
        if changes:
            section = f"change:{fund.fund.id}"
            for recipient, *amounts in changes:
                name = report.ruleset.name_of(recipient)
                rows += [[section, recipient, name, column, _text(value)]
                         for column, value in zip(("amount", "previous", "change"), amounts,
                                                  strict=True)]
            rows += [[section, "total", "Total", column,
                      _text(sum(row[index + 1] for row in changes))]  # type: ignore[misc]
                     for index, column in enumerate(("amount", "previous", "change"))]
    if report.forecast is not None:
        section = f"forecast:{report.forecast.year}"
        for partner in report.forecast.partners:
            name = report.ruleset.name_of(partner.organisation)
            rows += [[section, partner.organisation, name, c, _text(getattr(partner, c))]
                     for c in FORECAST_COLUMNS]
        rows += [[section, "total", "Total", c, _text(int(getattr(report.forecast.total, c)))]
                 for c in FORECAST_COLUMNS]
    return _csv(rows)


def _sheet(workbook: Workbook, title: str, headers: Sequence[str],
           rows: Sequence[Sequence[object]], money_from: int) -> None:
    sheet = workbook.create_sheet(title)
    sheet.append([_escape(header) for header in headers])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_escape(value) for value in row])
    last = len(rows) + 1
    if rows and money_from < len(headers):
        totals: list[object] = ["Total", *([""] * (money_from - 1))]
        for column in range(money_from, len(headers)):
            letter = sheet.cell(row=1, column=column + 1).column_letter
            totals.append(f"=SUM({letter}2:{letter}{last})")
        sheet.append(totals)
        for cell in sheet[last + 1]:
            cell.font = Font(bold=True)
    for row in sheet.iter_rows(min_row=2, min_col=money_from + 1):
        for cell in row:
            cell.number_format = GBP_FORMAT
    sheet.freeze_panes = "A2"
    for index, header in enumerate(headers, start=1):
        width = max([len(str(header))] + [len(str(r[index - 1])) for r in rows] + [10])
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = min(
            width + 2, 60)


def _workbook_bytes(workbook: Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def report_xlsx(report: BoardReport) -> bytes:
    """A workbook: a sheet per section, amounts as £ numbers, a totals row, frozen headers."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    _sheet(workbook, "DHR costs", ["Organisation", "Name", "Billed", "Invoiced", "Credited",
                                   "Paid", "Outstanding"],
           [[p.organisation, p.name, *(pounds(getattr(p, c)) for c in DHR_COLUMNS)]
            for p in report.partners], 2)
    for fund in report.funds:
        line_ids = [line.id for line in fund.result.lines]
        rows = [[r, report.ruleset.name_of(r), *(pounds(lines.get(i, 0)) for i in line_ids),
                 pounds(total)] for r, lines, total in fund_rows(fund)]
        _sheet(workbook, f"Fund {fund.fund.id}"[:31], ["Recipient", "Name", *line_ids, "Total"],
               rows, 2)
        changes = year_on_year(fund)
        if changes:
            _sheet(workbook, f"Change {fund.fund.id}"[:31],
                   ["Recipient", "Name", fund.fund.year, f"{fund.fund.follows}", "Change"],
                   [[r, report.ruleset.name_of(r), pounds(a), pounds(p), pounds(c)]
                    for r, a, p, c in changes], 2)
    if report.forecast is not None:
        _sheet(workbook, f"DHR forecast {report.forecast.year}",
               ["Organisation", "Name", "Low", "Expected", "High"],
               [[p.organisation, report.ruleset.name_of(p.organisation),
                 *(pounds(getattr(p, c)) for c in FORECAST_COLUMNS)]
                for p in report.forecast.partners], 2)
    _sheet(workbook, "Membership", ["Organisation", "Name", "Kind", "Source"],
           [[o.id, o.name, o.kind, source] for o, source in report.members], 4)
    _sheet(workbook, "Arrangements", ["Arrangement", "Name", "Roles", "Source"],
           [[a.id, a.name, ", ".join(r.name for r in a.roles), a.source]
            for a in report.arrangements], 4)
    return _workbook_bytes(workbook)


def report_svg_charts(report: BoardReport) -> list[str]:
    """SVG charts (pygal): DHR costs billed by partner; each fund's allocation by recipient."""
    charts = []
    style = pygal.style.Style(background="white", plot_background="white", font_family="sans-serif",
                              colors=("#1f5a8a", "#c0504d", "#9bbb59"))
    if report.partners:
        chart = pygal.HorizontalBar(js=[], width=900, height=80 + 34 * len(report.partners),
                                    style=style, show_legend=False, print_values=False,
                                    disable_xml_declaration=True)
        chart.title = f"DHR costs billed by partner, {report.year} (£)"
        listed = list(reversed(report.partners))  # pygal draws the first label at the bottom
        chart.x_labels = [p.name for p in listed]
        chart.add("Billed", [pounds(p.billed) for p in listed])
        charts.append(chart.render(is_unicode=True))
    for fund in report.funds:
        rows = list(reversed(fund_rows(fund)))
        chart = pygal.HorizontalStackedBar(js=[], width=900, height=80 + 34 * len(rows),
                                           style=style, disable_xml_declaration=True)
        chart.title = f"{fund.fund.name}: allocation by recipient (£)"
        chart.x_labels = [report.ruleset.name_of(r) for r, _, _ in rows]
        for line in fund.result.lines:
            chart.add(line.id, [pounds(lines.get(line.id, 0)) or None
                                for _, lines, _ in rows])
        charts.append(chart.render(is_unicode=True))
    return charts


def comparison_csv(body: dict[str, Any]) -> str:
    """A what-if's rows as CSV: kind, id, name, base, scenario, delta; then the totals."""
    rows: list[list[object]] = [["kind", "id", "name", "base", "scenario", "delta"]]
    for kind, key in (("organisation", "organisation"), ("recipient", "recipient")):
        rows += [[kind, row[key], row["name"], row["base"], row["scenario"], row["delta"]]
                 for row in body[f"{kind}s"]]
    totals = body["totals"]
    rows.append(["total", "total", "Total", totals["base"], totals["scenario"], totals["delta"]])
    return _csv(rows)


def comparison_xlsx(body: dict[str, Any]) -> bytes:
    """A what-if's rows as a workbook: organisations and recipients sheets with totals, and
    the warnings (if any) on a sheet of their own."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for kind, title in (("organisation", "DHR by organisation"),
                        ("recipient", "Funds by recipient")):
        _sheet(workbook, title, ["Id", "Name", "Base", "Scenario", "Delta"],
               [[row[kind], row["name"], Decimal(row["base"]), Decimal(row["scenario"]),
                 Decimal(row["delta"])] for row in body[f"{kind}s"]], 2)
    if body.get("warnings"):
        _sheet(workbook, "Warnings", ["Kind", "Recipient", "Name", "Line", "Base", "Scenario",
                                      "Detail"],
               [[w["kind"], w["recipient"], w["name"], w["line"], Decimal(w["base"]),
                 Decimal(w["scenario"]), w["detail"]] for w in body["warnings"]], 7)
    return _workbook_bytes(workbook)


def report_year(value: str | None) -> str:
    """``value`` if it is a financial year such as ``2013-14``.

    Raises:
        RequestInvalid: naming ``year``, when it is missing or not a financial year.
    """
    try:
        if value is None:
            raise ValueError("give a financial year such as 2013-14")
        year_bounds(value)
    except ValueError as error:
        message = error.message if isinstance(error, rules.RulesError) else str(error)
        raise rules.RequestInvalid(message, field="year") from None
    return value


def year_bounds(year: str) -> tuple[date, date]:
    """1 April and 31 March of the financial year."""
    start = rules.financial_year_start(year)
    return start, date(start.year + 1, 4, 1) - timedelta(days=1)
