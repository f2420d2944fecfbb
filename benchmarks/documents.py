"""Rendering documents: one invoice to PDF, and a batch of 100 invoices (each its own PDF),
timed in the same run as rendering the same HTML to a string. The figures are the ratios
(PDF time / HTML time), so they compare across machines; no absolute time is a pass mark."""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service.documents import render
from service.documents.model import BillingContact, Document, Issuer, Line, Party

ISSUER = Issuer(name="Example County Council", address="County Hall\nMatlock DE4 3AG",
                email="csu.finance@example.gov.uk", telephone="01629 000000",
                remittance="BACS: sort code 00-00-00, account 12345678")
CONTACT = BillingContact("derbyshire-constabulary", "Accounts Payable", "Ripley DE5 3RS",
                         "ap@example.police.uk", "PO-4411")


def invoice(number: int, lines: int = 2) -> Document:
    made = tuple(Line(f"DHR-2015-{number:03d}", "overview-author", date(2015, 3, 1), "1/6",
                      70834) for _ in range(lines))
    issued = date(2015, 4, 1)
    total = sum(line.amount for line in made)
    return Document(f"INV-{number:06d}", "invoice", f"DHR-2015-{number:03d}",
                    Party("derbyshire-constabulary", "Derbyshire Constabulary"), issued,
                    ISSUER.due(issued), total, "open", 0, total, made)


def best(run: Callable[[], object], repeat: int) -> float:
    """The median of ``repeat`` timings, in seconds."""
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def main() -> None:
    one = invoice(1)
    batch = [invoice(n) for n in range(1, 101)]
    render.document_pdf(one, ISSUER, CONTACT)  # warm up fonts and caches
    html_one = best(lambda: render.document_html(one, ISSUER, CONTACT), 50)
    pdf_one = best(lambda: render.document_pdf(one, ISSUER, CONTACT), 10)
    html_batch = best(lambda: [render.document_html(d, ISSUER, CONTACT) for d in batch], 5)
    pdf_batch = best(lambda: [render.document_pdf(d, ISSUER, CONTACT) for d in batch], 1)
    print("documents: PDF rendering against the same HTML rendered to a string")
    print(f"  one invoice:         PDF / HTML = {pdf_one / html_one:8.0f}")
    print(f"  100-invoice batch:   PDF / HTML = {pdf_batch / html_batch:8.0f}")
    print(f"  batch / one invoice (PDF)       = {pdf_batch / pdf_one:8.1f}  (100 = linear)")


if __name__ == "__main__":
    main()
