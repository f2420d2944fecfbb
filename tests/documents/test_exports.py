"""The finance-system export: every cell safe (no formula, no broken row), every row read
back exactly, totals the sums of the rows."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal

import attrs
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from service.documents import exports
from service.documents.model import Party
from tests.documents.samples import CONTACT, invoice
from tests.strategies import pence

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@given(st.text(max_size=40))
def test_no_text_becomes_a_formula_or_breaks_a_cell(text: str) -> None:
    safe = exports.safe_text(text)
    assert not CONTROL.search(safe)
    if safe[:1] in FORMULA_START:
        assert re.fullmatch(r"-[0-9]+(\.[0-9]+)?", safe)  # a plain negative number stays one
    if text[:1] in ("=", "+", "@"):
        assert safe.startswith("'")


hostile = st.text(alphabet=st.characters(codec="utf-8"), max_size=30) | st.sampled_from(
    ["=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx",
     "a\r\nb", '"quoted"', "\x00nul", "-71.43", "tab\tin"])


@given(st.lists(st.tuples(hostile, hostile, pence), min_size=1, max_size=8))
def test_csv_reads_back_one_row_per_document_with_every_value(
        documents: list[tuple[str, str, int]]) -> None:
    made, contacts = [], {}
    for index, (name, reference, amount) in enumerate(documents):
        organisation = f"org-{index}"
        made.append(invoice(number=f"INV-{index:06d}", amount=amount,
                            organisation=Party(organisation, name)))
        contacts[organisation] = attrs.evolve(CONTACT, organisation=organisation,
                                              finance_reference=reference)
    rows = exports.export_rows(made, contacts)
    parsed = list(csv.reader(io.StringIO(exports.export_csv(rows), newline="")))
    assert parsed[0] == list(exports.COLUMNS)
    assert len(parsed) == len(documents) + 1
    for row, (_, reference, amount), document in zip(parsed[1:], documents, made, strict=True):
        assert len(row) == len(exports.COLUMNS)
        assert row[0] == document.number and row[1] == "Invoice"
        assert row[5] == exports.safe_text(reference)
        assert Decimal(row[7]) == Decimal(amount).scaleb(-2) == Decimal(row[10])
        assert row[8] == "OS" and row[9] == "0.00"
        assert all(not CONTROL.search(cell) for cell in row)
        assert all(cell[:1] not in FORMULA_START or re.fullmatch(r"-[0-9.]+", cell)
                   for cell in row)


def test_xlsx_has_dates_numbers_no_formulas_and_totals() -> None:
    made = [invoice(), invoice(number="CN-000001", kind="credit-note", amount=-50000,
                               corrects=("INV-000007",))]
    contacts = {"derbyshire-constabulary": attrs.evolve(
        CONTACT, finance_reference="=cmd|' /C calc'!A0")}
    rows = exports.export_rows(made, contacts)
    workbook = load_workbook(io.BytesIO(exports.export_xlsx(rows, date(2015, 4, 1),
                                                            date(2015, 4, 30))))
    sheet = workbook["Documents"]
    assert [c.value for c in sheet[1]] == list(exports.COLUMNS)
    first = [c.value for c in sheet[2]]
    assert first[0] == "INV-000007" and first[2].date() == date(2015, 4, 1)
    assert first[3].date() == date(2015, 5, 1)
    assert first[5] == "'=cmd|' /C calc'!A0"
    assert Decimal(str(first[7])) == Decimal("1208.34") and first[8] == "OS"
    second = [c.value for c in sheet[3]]
    assert second[1] == "Credit note" and Decimal(str(second[7])) == Decimal("-500.00")
    assert "corrects INV-000007" in second[6]
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)
    totals = workbook["Totals"]
    last = [c.value for c in totals[totals.max_row]]
    assert last[0] == "Total" and last[1] == 2 and Decimal(str(last[2])) == Decimal("708.34")
