"""Validation against the 360Giving Data Standard's own JSON schemas (copies in ``schema/``;
see ``schema/ORIGIN.md``), with a JSON Schema draft 2020-12 validator (jsonschema-rs)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import jsonschema_rs

SCHEMA = Path(__file__).resolve().parent / "schema"
GRANT_SCHEMA = json.loads((SCHEMA / "360-giving-schema.json").read_text(encoding="utf-8"))
PACKAGE_SCHEMA = json.loads((SCHEMA / "360-giving-package-schema.json").read_text(
    encoding="utf-8"))


def _retrieve(uri: str) -> Any:
    """The package schema names the grant schema by its published address: answer with the
    copy (whichever release the address names), never the network."""
    if uri.endswith("/schema/360-giving-schema.json"):
        return GRANT_SCHEMA
    raise ValueError(f"no local copy of {uri}")


@functools.cache
def _validator() -> Any:
    return jsonschema_rs.validator_for(PACKAGE_SCHEMA, retriever=_retrieve,
                                       validate_formats=True)


def errors(package: Any) -> list[str]:
    """Every way ``package`` breaks the standard's package schema (empty when valid)."""
    return [f"{list(e.instance_path)}: {e.message}" for e in _validator().iter_errors(package)]


def validate_package(package: Any) -> None:
    """Assert that ``package`` is a valid 360Giving grant package."""
    found = errors(package)
    assert not found, "\n".join(found)
