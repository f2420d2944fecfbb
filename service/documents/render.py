"""Documents as HTML (Jinja templates, autoescaped) and as PDF (WeasyPrint): A4, text
selectable, fonts embedded (Liberation Sans, from Debian's fonts-liberation packages, installed
by ``scripts/ensure-tools.sh``), table headers repeated on every page.

Rendering never fetches anything: the templates carry their own CSS, and a URL in any text
(a contact's name, say) is only text, since every value is escaped and the URL fetcher refuses
every request.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
import weasyprint

from service.documents.model import BillingContact, Document, Issuer, Statement

__all__ = [
    "document_html",
    "document_pdf",
    "pdf",
    "pdfs",
    "statement_html",
    "statement_pdf",
]

TEMPLATES = Path(__file__).resolve().parent / "templates"


def money(amount: int) -> str:
    """Pence as pounds with a thousands separator: ``-710043`` -> ``"-£7,100.43"``."""
    pounds = Decimal(abs(amount)).scaleb(-2)
    return f"{'-' if amount < 0 else ''}£{pounds:,.2f}"


def long_date(day: date | None) -> str:
    """A date as people write it on a letter: ``1 May 2013``."""
    return "" if day is None else f"{day.day} {day:%B %Y}"


def _lines(text: str | None) -> list[str]:
    return [line for line in (text or "").splitlines() if line.strip()]


_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.filters["money"] = money
_environment.filters["long_date"] = long_date
_environment.filters["lines"] = _lines


def document_html(document: Document, issuer: Issuer, contact: BillingContact | None) -> str:
    """The invoice or credit note as a standalone HTML page."""
    return _environment.get_template("document.html").render(
        document=document, issuer=issuer, contact=contact)


def statement_html(statement: Statement, issuer: Issuer, contact: BillingContact | None,
                   today: date) -> str:
    """A partner's statement of account as a standalone HTML page."""
    return _environment.get_template("statement.html").render(
        statement=statement, issuer=issuer, contact=contact, today=today)


def _no_fetching(url: str, *args: Any, **kwargs: Any) -> Any:
    raise ValueError(f"documents fetch nothing: refused {url[:80]!r}")


def pdf(html: str, title: str, author: str) -> bytes:
    """Render an HTML page to PDF bytes."""
    document = weasyprint.HTML(string=html, url_fetcher=_no_fetching, base_url=str(TEMPLATES))
    rendered = document.render()
    rendered.metadata.title = title
    rendered.metadata.authors = [author] if author else []
    data: bytes = rendered.write_pdf()
    return data


def pdfs(pages: Iterable[tuple[str, str, str]]) -> list[bytes]:
    """Render several ``(html, title, author)`` pages, one PDF each."""
    return [pdf(html, title, author) for html, title, author in pages]


def document_pdf(document: Document, issuer: Issuer, contact: BillingContact | None) -> bytes:
    """The invoice or credit note as a PDF."""
    return pdf(document_html(document, issuer, contact), f"{document.title} {document.number}",
               issuer.name)


def statement_pdf(statement: Statement, issuer: Issuer, contact: BillingContact | None,
                  today: date) -> bytes:
    """A partner's statement of account as a PDF."""
    return pdf(statement_html(statement, issuer, contact, today),
               f"Statement of account: {statement.organisation.name}", issuer.name)
