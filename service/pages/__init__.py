"""The web app: server-rendered pages in the GOV.UK Design System for finance officers, board
secretaries and policy officers. Every page works without JavaScript; every form carries a CSRF
token; the pages call the same domain functions as the JSON API and never repeat a rule.

:func:`register` wires the pages into the app: the secret key, CSRF protection, the GOV.UK
Frontend macros and assets (from the npm package, served by the app itself), the security
headers, and the blueprint.
"""

from __future__ import annotations

from service.pages.setup import register

__all__ = ["register"]
