"""Board reports: the figures agree in JSON, CSV, XLSX (opened by LibreOffice) and the HTML
page (rendered by headless Chromium, with its chart); sign-in; what-if exports."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from PIL import Image

from service.reports import board
from service.reports.html import render_html
from tests.service.conftest import Ledger

YEAR = "2013-14"


def populate(ledger: Ledger) -> FlaskClient:
    """Two cases in 2013-14: invoices, a correction (credit notes), a payment."""
    client = ledger.client()
    headers = ledger.headers("finance")

    def post(path: str, body: Any) -> Any:
        response = client.post(f"/api/v1{path}", json=body, headers=headers)
        assert response.status_code in (200, 201), response.get_json()
        return response.get_json()

    post("/cases", {"reference": "DHR-2013-02", "district": "amber-valley",
                    "commissioned": "2012-11-01"})
    tranche = post("/cases/DHR-2013-02/costs", {"item": "overview-author", "amount": "4250.00",
                                               "incurred": "2013-04-20"})
    post("/cases/DHR-2013-02/billing", {"date": "2013-05-01"})
    client.patch(f"/api/v1/cases/DHR-2013-02/costs/{tranche['id']}", json={"amount": "4000.00"},
                 headers=headers)
    post("/cases/DHR-2013-02/billing", {"date": "2013-07-01"})
    post("/cases", {"reference": "DHR-2013-05", "district": "erewash",
                    "commissioned": "2013-06-01"})
    post("/cases/DHR-2013-05/costs", {"item": "panel-chair", "amount": "3000.01",
                                     "incurred": "2013-08-01"})
    post("/cases/DHR-2013-05/billing", {"date": "2014-03-31"})
    post("/cases/DHR-2013-05/billing", {"date": "2014-04-01"})  # nothing new: no documents
    post("/invoices/INV-000001/paid", {"date": "2013-06-01"})
    return client


def test_json_totals_are_the_sums_and_match_the_ledger(ledger: Ledger) -> None:
    client = populate(ledger)
    body = client.get(f"/api/v1/reports/board?year={YEAR}",
                      headers=ledger.headers("viewer")).get_json()
    partners = body["dhr"]["partners"]
    for column in ("billed", "invoiced", "credited", "paid", "outstanding"):
        assert sum(Decimal(p[column]) for p in partners) == Decimal(body["dhr"]["totals"][column])
    assert Decimal(body["dhr"]["totals"]["billed"]) == Decimal("7000.01")
    assert Decimal(body["dhr"]["totals"]["credited"]) == Decimal("-250.00")
    # INV-000001 (708.34) had 41.67 of CN-000001's credit set against it: paying what is
    # outstanding on it pays 666.67
    assert Decimal(body["dhr"]["totals"]["paid"]) == Decimal("666.67")
    aged = client.get("/api/v1/reports/aged-debt?date=2014-03-31",
                      headers=ledger.headers("viewer")).get_json()
    for partner in partners:  # the same figures as the statements and the aged debt
        statement = client.get(f"/api/v1/organisations/{partner['organisation']}/statement"
                               "?to=2014-03-31", headers=ledger.headers("viewer")).get_json()
        assert statement["closing_balance"] == partner["outstanding"]
        owed = [r["total"] for r in aged["organisations"]
                if r["organisation"] == partner["organisation"]]
        assert owed == ([partner["outstanding"]] if partner["outstanding"] != "0.00" else [])
    assert aged["totals"]["total"] == body["dhr"]["totals"]["outstanding"]
    invoices = client.get("/api/v1/invoices", headers=ledger.headers("viewer")).get_json()
    by_partner: dict[str, Decimal] = defaultdict(Decimal)
    for document in invoices["invoices"]:
        by_partner[document["organisation"]] += Decimal(document["amount"])
    assert {p["organisation"]: Decimal(p["billed"]) for p in partners} == by_partner
    assert body["membership"] and body["arrangements"][0]["source"]
    empty = client.get("/api/v1/reports/board?year=2012-13",
                       headers=ledger.headers("viewer")).get_json()
    assert empty["dhr"]["partners"] == [] and empty["funds"][0]["allocated"] == "322000.00"


def test_csv_parses_back_with_totals_equal_to_the_rows(ledger: Ledger) -> None:
    client = populate(ledger)
    response = client.get(f"/api/v1/reports/board?year={YEAR}&format=csv",
                          headers=ledger.headers("viewer"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    totals: dict[tuple[str, str], Decimal] = {}
    for row in rows:
        key = (row["section"], row["column"])
        if row["row"] == "total":
            totals[key] = Decimal(row["amount"])
        elif row["column"] != "total":
            sums[key] += Decimal(row["amount"])
    assert totals[("dhr", "billed")] == Decimal("7000.01")
    for key, total in totals.items():
        if key[1] != "total":
            assert sums[key] == total, key
    json_body = client.get(f"/api/v1/reports/board?year={YEAR}",
                           headers=ledger.headers("viewer")).get_json()
    assert str(totals[("dhr", "outstanding")]) == json_body["dhr"]["totals"]["outstanding"]


def test_csv_and_xlsx_escape_formulas(ledger: Ledger) -> None:
    populate(ledger)
    import rules

    ruleset = ledger.app.extensions["apportion.ruleset"]
    hostile = attrs.evolve(ruleset.organisations["erewash-council"],
                           name='=HYPERLINK("http://x","click")')
    ledger.app.extensions["apportion.ruleset"] = attrs.evolve(
        ruleset, organisations={**ruleset.organisations, "erewash-council": hostile})
    try:
        text = ledger.client().get(f"/api/v1/reports/board?year={YEAR}&format=csv",
                                   headers=ledger.headers("viewer")).get_data(as_text=True)
        assert "'=HYPERLINK" in text
        rows = list(csv.reader(io.StringIO(text)))
        assert all(not cell.startswith("=") for row in rows for cell in row)
        assert any(cell.startswith("-") and cell[1:2].isdigit() for row in rows for cell in row)
        data = ledger.client().get(f"/api/v1/reports/board?year={YEAR}&format=xlsx",
                                   headers=ledger.headers("viewer")).data
        sheet = load_workbook(io.BytesIO(data))["DHR costs"]
        names = [row[1].value for row in sheet.iter_rows(min_row=2)]
        assert "'=HYPERLINK(\"http://x\",\"click\")" in names
    finally:
        ledger.app.extensions["apportion.ruleset"] = rules.default_ruleset()


def _xlsx(ledger: Ledger, client: FlaskClient) -> bytes:
    response = client.get(f"/api/v1/reports/board?year={YEAR}&format=xlsx",
                          headers=ledger.headers("viewer"))
    assert response.status_code == 200
    assert (response.mimetype or "").endswith("spreadsheetml.sheet")
    data: bytes = response.data
    return data


def test_xlsx_structure(ledger: Ledger) -> None:
    client = populate(ledger)
    book = load_workbook(io.BytesIO(_xlsx(ledger, client)))
    assert book.sheetnames[0] == "DHR costs" and "Membership" in book.sheetnames
    sheet = book["DHR costs"]
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    assert header == ["Organisation", "Name", "Billed", "Invoiced", "Credited", "Paid",
                      "Outstanding"]
    last = sheet.max_row
    assert sheet.cell(last, 1).value == "Total"
    assert sheet.cell(last, 3).value == f"=SUM(C2:C{last - 1})"
    amount = sheet.cell(2, 3)
    assert isinstance(amount.value, (int, float)) and "£" in amount.number_format


def test_libreoffice_computes_the_same_totals(ledger: Ledger, tmp_path: Path) -> None:
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is installed by scripts/ensure-tools.sh (make test)"
    client = populate(ledger)
    workbook = tmp_path / "board.xlsx"
    workbook.write_bytes(_xlsx(ledger, client))
    profile = tmp_path / "profile"
    # Export every sheet (-1) as its own CSV: DHR costs is the first.
    subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless",
                    "--convert-to", 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,'
                    "false,false,false,-1", "--outdir", str(tmp_path), str(workbook)],
                   check=True, capture_output=True, timeout=180)
    exported = sorted(tmp_path.glob("board*.csv"))
    assert exported, list(tmp_path.iterdir())
    dhr = next(p for p in exported if "DHR" in p.name)
    rows = list(csv.reader(dhr.open(encoding="utf-8")))
    assert rows[0][:3] == ["Organisation", "Name", "Billed"]
    total = rows[-1]
    assert total[0] == "Total"

    def pounds(cell: str) -> Decimal:
        return Decimal(cell.replace("£", "").replace(",", ""))

    body = client.get(f"/api/v1/reports/board?year={YEAR}",
                      headers=ledger.headers("viewer")).get_json()["dhr"]["totals"]
    for index, column in enumerate(("billed", "invoiced", "credited", "paid", "outstanding"),
                                   start=2):
        assert pounds(total[index]) == Decimal(body[column]), column
        assert sum(pounds(r[index]) for r in rows[1:-1]) == pounds(total[index])


def test_html_page_needs_sign_in_and_renders_with_its_chart_in_chromium(ledger: Ledger,
                                                                   tmp_path: Path) -> None:
    chromium = shutil.which("chromium")
    assert chromium, "Chromium is installed by scripts/ensure-tools.sh (make test)"
    client = populate(ledger)
    page = client.get(f"/reports/board?year={YEAR}")
    assert page.status_code == 303
    assert page.headers["Location"] == f"/sign-in?next=/reports/board?year%3D{YEAR}"
    # the report's CSV and XLSX links need a signed-in session (or a bearer token)
    assert client.get(f"/api/v1/reports/board?year={YEAR}&format=csv").status_code == 401
    ledger.sign_in("viewer", client)
    html = client.get(f"/reports/board?year={YEAR}")
    assert html.status_code == 200 and html.mimetype == "text/html"
    assert html.headers["Cache-Control"] == "no-store"
    assert "£7,000.01" in html.get_data(as_text=True) and "<svg" in html.get_data(as_text=True)
    for fmt in ("csv", "xlsx"):
        download = client.get(f"/api/v1/reports/board?year={YEAR}&format={fmt}")
        assert download.status_code == 200 and len(download.data) > 100
    # the session only reads: writing through the JSON API needs a bearer token
    assert client.post("/api/v1/cases", json={"reference": "X-1", "district": "erewash",
                                              "commissioned": "2013-06-01"}).status_code == 401
    # the standalone printable page (what `apportion report --format html` writes)
    with ledger.app.app_context(), ledger.app.extensions["apportion.db"].session() as session:
        text = render_html(board.board_report(session, ledger.app.extensions["apportion.ruleset"],
                                              YEAR))
    assert "£7,000.01" in text and "<svg" in text and "@page" in text
    file = tmp_path / "board.html"
    file.write_text(text, encoding="utf-8")
    shot = tmp_path / "board.png"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'chrome'}",
                    f"--screenshot={shot}", "--window-size=1200,2400", file.as_uri()],
                   check=True, capture_output=True, timeout=120)
    image = Image.open(shot).convert("RGB")
    colours: list[tuple[int, tuple[int, int, int]]] = image.getcolors(  # type: ignore[assignment]
        maxcolors=1 << 20) or []
    assert len(colours) > 50, "the screenshot is blank"
    bars = sum(count for count, (r, g, b) in colours
               if (abs(r - 0x64) < 30 and abs(g - 0x8b) < 30 and abs(b - 0xb0) < 40)
               or (r, g, b) == (0x1f, 0x5a, 0x8a))
    assert bars > 2000, "no chart bars in the screenshot"
    dom = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                          "--disable-background-networking", "--no-first-run",
                          f"--user-data-dir={tmp_path / 'chrome2'}", "--dump-dom", file.as_uri()],
                         check=True, capture_output=True, text=True, timeout=120).stdout
    assert dom.count("pygal-chart") >= 2
    pdf = tmp_path / "board.pdf"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--no-first-run", "--no-pdf-header-footer",
                    f"--user-data-dir={tmp_path / 'chrome3'}", f"--print-to-pdf={pdf}",
                    file.as_uri()], check=True, capture_output=True, timeout=120)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([0-9.]+)\s+([0-9.]+)", pdf.read_bytes())
    assert boxes, "no pages in the printed PDF"
    assert all(abs(float(w) - 595.3) < 2 and abs(float(h) - 841.9) < 2 for w, h in boxes), boxes


def test_report_year_is_validated(ledger: Ledger) -> None:
    client = ledger.client()
    for year in ("2013-15", "13-14", "soon"):
        response = client.get(f"/api/v1/reports/board?year={year}",
                              headers=ledger.headers("viewer"))
        assert response.status_code == 422, year
    assert client.get("/api/v1/reports/board?year=2013-14&format=pdf",
                      headers=ledger.headers("viewer")).status_code == 422
    assert client.get("/api/v1/reports/board?year=2013-14").status_code == 401


def test_whatif_exports(client: FlaskClient) -> None:
    scenario = {"changes": [{"op": "set-policy", "arrangement": "derbyshire-dhr",
                             "policy": "probation", "value": "one-share"}],
                "dhr": [{"district": "erewash", "date": "2015-01-01",
                         "costs": [{"item": "panel-chair", "amount": "7000.00"}]}],
                "funds": [{"fund": "home-office-csf-2012-13"}]}
    answer = client.post("/api/v1/scenarios/compare", json=scenario).get_json()
    text = client.post("/api/v1/scenarios/compare?format=csv", json=scenario)
    assert text.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(text.get_data(as_text=True))))
    assert rows[-1]["kind"] == "total"
    assert sum(Decimal(r["delta"]) for r in rows[:-1]) == Decimal(rows[-1]["delta"]) == \
        Decimal(answer["totals"]["delta"])
    crc = next(r for r in rows if r["id"] == "dlnr-crc")
    assert crc["delta"] == "-416.67"
    book = load_workbook(io.BytesIO(client.post("/api/v1/scenarios/compare?format=xlsx",
                                                json=scenario).data))
    sheet = book["DHR by organisation"]
    assert sheet.freeze_panes == "A2" and sheet.cell(sheet.max_row, 1).value == "Total"


def test_cli_report(ledger: Ledger, tmp_path: Path) -> None:
    if ledger.backend != "sqlite":
        pytest.skip("the CLI is exercised against the SQLite ledger")
    populate(ledger)
    url = str(ledger.app.extensions["apportion.db"].url)
    apportion = str(Path(sys.executable).parent / "apportion")
    for fmt in ("html", "csv", "xlsx", "json"):
        out = tmp_path / f"board.{fmt}"
        done = subprocess.run([apportion, "report", "--year", YEAR, "--format", fmt, "-o",
                               str(out)], capture_output=True, text=True, timeout=120,
                              env={"DATABASE_URL": url, "PATH": "/usr/bin:/bin"}, check=False)
        assert done.returncode == 0, done.stderr
        assert out.stat().st_size > 500
    figures = json.loads((tmp_path / "board.json").read_text())
    assert figures["dhr"]["totals"]["billed"] == "7000.01"
    bad = subprocess.run([apportion, "report", "--year", "2013", "--format", "csv", "-o", "-"],
                         capture_output=True, text=True, timeout=60, check=False,
                         env={"DATABASE_URL": url, "PATH": "/usr/bin:/bin",
                              "TMPDIR": tempfile.gettempdir()})
    assert bad.returncode == 2 and "financial year" in bad.stderr
