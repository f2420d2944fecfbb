"""The pages, one module per part: signing in, the ledger, calculators, reports, admin."""

from __future__ import annotations

from service.pages.views import access, admin, calculators, grants, ledger, reports
from service.pages.views.common import blueprint, error_page

__all__ = ["access", "admin", "blueprint", "calculators", "error_page", "grants", "ledger",
           "reports"]
