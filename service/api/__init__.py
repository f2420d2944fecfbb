"""The JSON API under ``/api/v1``: one blueprint per part, documented in OpenAPI 3.

Views are thin: load the request with its one schema, call the domain, build the answer.
"""

from __future__ import annotations

from typing import Any

import rules
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
    _lines_by_kind(api)
    api.spec.components.schema("Change", schema=ChangeSchema)
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for part in (public_rules, calculators, forecast, ledger, reports, documents, grants,
                 tokens):
        api.register_blueprint(part.blp)


def _lines_by_kind(api: Api) -> None:
    """Document an inline fund's line as one schema per kind (``Line`` is one of them), each
    with the fields its kind needs required and not null, and the fields it does not use
    absent or null, as the rules read a line (:data:`rules.LINE_NEEDS`,
    :data:`rules.LINE_ALLOWS`)."""
    schemas = api.spec.components.schemas
    line = schemas["Line"]
    kinds = []
    for kind in rules.LINE_KINDS:
        properties: dict[str, Any] = {}
        for name, prop in line["properties"].items():
            if name == "kind":
                properties[name] = {"type": "string", "enum": [kind]}
            elif name in rules.LINE_NEEDS[kind]:
                properties[name] = {k: v for k, v in prop.items() if k != "nullable"}
                if prop.get("type") == "array":  # a passport line names at least one line
                    properties[name]["minItems"] = 1
            elif name in rules.LINE_FIELDS and name not in rules.LINE_ALLOWS[kind]:
                properties[name] = {"nullable": True, "enum": [None],
                                    "description": f"not used by a {kind} line"}
            else:
                properties[name] = prop
        component = "Line" + "".join(part.title() for part in kind.split("-"))
        schemas[component] = {
            "type": "object", "description": f"a {kind} line", "properties": properties,
            "required": sorted({"id", "kind", *rules.LINE_NEEDS[kind]}),
            "additionalProperties": False}
        kinds.append({"$ref": f"#/components/schemas/{component}"})
    schemas["Line"] = {"description": "a fund line: its kind says which fields it needs",
                       "oneOf": kinds}
