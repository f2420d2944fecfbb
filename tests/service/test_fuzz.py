"""Schemathesis against the generated OpenAPI document: no input produces a 5xx, and every
documented answer matches its schema. Bounded and derandomized, so CI stays stable."""

from __future__ import annotations

import tempfile

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from service.app import create_app
from service.ledger import tokens

pytestmark = pytest.mark.slow

FOLDER = tempfile.mkdtemp(prefix="apportion-fuzz-")
APP = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{FOLDER}/fuzz.sqlite3"})
with APP.extensions["apportion.db"].session() as _session:
    TOKEN = tokens.create_token(_session, "fuzzer", "admin")
    _session.commit()
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", APP)
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], deterministic=True)


@schema.parametrize()
@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: schemathesis.Case) -> None:  # type: ignore[type-arg]
    """With an admin token, so the ledger's operations are exercised past authentication."""
    response = case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"},
                                      checks=[not_a_server_error, response_schema_conformance])
    assert response.status_code < 500
    if response.status_code >= 400:
        assert {k.lower(): v for k, v in response.headers.items()}["content-type"][0].startswith(
            "application/problem+json")
