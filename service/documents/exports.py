"""The finance-system export: documents issued in a period, one row each, in the shape an
accounts-receivable import expects (number, type, issue and due dates, customer, customer
reference, description, net, VAT code, VAT, gross, case), as CSV or XLSX.

Every text cell is made safe for spreadsheets (DESIGN §7): control characters (tabs and line
breaks included) become spaces, so no cell can break a row or a column, and a text starting
with ``= + - @`` gets a leading apostrophe, so no cell is read as a formula.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal

import attrs
from openpyxl import Workbook
from openpyxl.styles import Font

from service.documents.model import BillingContact, Document

__all__ = ["COLUMNS", "VAT_CODE", "ExportRow", "export_csv", "export_rows", "export_xlsx",
           "safe_text"]

#: The VAT code of every row: contributions between public bodies are outside the scope of VAT.
VAT_CODE = "OS"

COLUMNS = ("Number", "Type", "Issue date", "Due date", "Customer", "Customer reference",
           "Description", "Net", "VAT code", "VAT", "Gross", "Case")

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def safe_text(text: str) -> str:
    """A text cell that neither breaks the file nor runs as a formula."""
    cleaned = _CONTROL.sub(" ", text)
    if cleaned[:1] in ("=", "+", "-", "@") and not _NUMBER.fullmatch(cleaned):
        return "'" + cleaned
    return cleaned


@attrs.frozen
class ExportRow:
    """One document as the finance system imports it (money in pence, signed)."""

    number: str
    kind: str
    issued: date
    due: date
    customer: str
    customer_reference: str
    description: str
    net: int
    vat_code: str
    vat: int
    case: str

    @property
    def gross(self) -> int:
        """Net plus VAT."""
        return self.net + self.vat


def _description(document: Document) -> str:
    items = sorted({line.item.replace("-", " ") for line in document.lines})
    what = f": {', '.join(items)}" if items else ""
    behalf = (f" (on behalf of {document.on_behalf_of.name})"
              if document.on_behalf_of else "")
    corrects = f"; corrects {', '.join(document.corrects)}" if document.corrects else ""
    return f"{document.title} for case {document.case}{what}{behalf}{corrects}"


def export_rows(documents: Sequence[Document], contacts: Mapping[str, BillingContact]
                ) -> list[ExportRow]:
    """One row per document, in the order given."""
    rows = []
    for document in documents:
        contact = contacts.get(document.organisation.id)
        rows.append(ExportRow(
            number=document.number, kind=document.title, issued=document.issued,
            due=document.due, customer=document.organisation.id,
            customer_reference=(contact.finance_reference or "") if contact else "",
            description=_description(document), net=document.amount, vat_code=VAT_CODE, vat=0,
            case=document.case))
    return rows


def _pounds(pence: int) -> Decimal:
    return Decimal(pence).scaleb(-2).quantize(Decimal("0.01"))


def export_csv(rows: Sequence[ExportRow]) -> str:
    """The rows as CSV (a header row, CRLF line ends, amounts as two-place decimals)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([
            safe_text(row.number), row.kind, row.issued.isoformat(), row.due.isoformat(),
            safe_text(row.customer), safe_text(row.customer_reference),
            safe_text(row.description), str(_pounds(row.net)), row.vat_code,
            str(_pounds(row.vat)), str(_pounds(row.gross)), safe_text(row.case)])
    return out.getvalue()


def export_xlsx(rows: Sequence[ExportRow], start: date, end: date) -> bytes:
    """The rows as an XLSX workbook: sheet "Documents" (dates as dates, money as numbers) and
    sheet "Totals" (net, VAT and gross per customer and overall)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Documents"
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([
            safe_text(row.number), row.kind, row.issued, row.due, safe_text(row.customer),
            safe_text(row.customer_reference), safe_text(row.description), _pounds(row.net),
            row.vat_code, _pounds(row.vat), _pounds(row.gross), safe_text(row.case)])
    for column in ("C", "D"):
        for cell in sheet[column][1:]:
            cell.number_format = "yyyy-mm-dd"
    for column in ("H", "J", "K"):
        for cell in sheet[column][1:]:
            cell.number_format = "#,##0.00"
    widths = {"A": 12, "B": 12, "C": 12, "D": 12, "E": 28, "F": 20, "G": 60, "H": 12,
              "I": 9, "J": 10, "K": 12, "L": 16}
    for column, width in widths.items():
        sheet.column_dimensions[column].width = width
    totals = workbook.create_sheet("Totals")
    totals.append([f"Documents issued {start.isoformat()} to {end.isoformat()}"])
    totals.append(["Customer", "Documents", "Net", "VAT", "Gross"])
    per_customer: dict[str, list[int]] = {}
    for row in rows:
        figures = per_customer.setdefault(row.customer, [0, 0, 0, 0])
        figures[0] += 1
        figures[1] += row.net
        figures[2] += row.vat
        figures[3] += row.gross
    for customer, (count, net, vat, gross) in per_customer.items():
        totals.append([safe_text(customer), count, _pounds(net), _pounds(vat), _pounds(gross)])
    totals.append(["Total", len(rows), _pounds(sum(r.net for r in rows)),
                   _pounds(sum(r.vat for r in rows)), _pounds(sum(r.gross for r in rows))])
    for cell in (*totals[2], *totals[totals.max_row]):
        cell.font = Font(bold=True)
    totals.column_dimensions["A"].width = 30
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
