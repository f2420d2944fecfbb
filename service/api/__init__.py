"""The JSON API under ``/api/v1``: one blueprint per part, documented in OpenAPI 3.

Views are thin: load the request with its one schema, call the domain, build the answer.
"""

from __future__ import annotations

from service.api import (
    calculators,
    documents,
    forecast,
    grants,
    ledger,
    public_rules,
    reports,
    tokens,
)
from service.api.schemas import ChangeSchema, InlineFundSchema
from service.http.blueprint import Api

__all__ = ["register"]


def register(api: Api) -> None:
    """Register every JSON blueprint and the shared OpenAPI components on ``api``."""
    api.spec.components.schema("InlineFund", schema=InlineFundSchema)
    api.spec.components.schema("Change", schema=ChangeSchema)
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for part in (public_rules, calculators, forecast, ledger, reports, documents, grants,
                 tokens):
        api.register_blueprint(part.blp)
