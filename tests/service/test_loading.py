"""The compiled loader of a request schema loads exactly as the schema does: the same data
for every input the schema accepts, the same errors for every input it refuses."""

from __future__ import annotations

import inspect

import marshmallow as ma
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.wire import requests
from service.wire.loading import loader
from tests import strategies

SCHEMAS = [cls() for _, cls in inspect.getmembers(requests, inspect.isclass)
           if issubclass(cls, ma.Schema) and cls.__module__ == requests.__name__]


def _outcome(load: object, data: object) -> tuple[str, object]:
    assert callable(load)
    try:
        return "loaded", load(data)
    except ma.ValidationError as error:
        return "refused", error.messages


def test_every_request_schema_is_covered() -> None:
    assert {type(s).__name__ for s in SCHEMAS} >= {"DhrRequestSchema", "CompareRequestSchema",
                                                   "FundRequestSchema", "CaseRequestSchema"}


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: type(s).__name__)
@settings(max_examples=150)
@given(data=st.data())
def test_the_loader_loads_as_the_schema_does(schema: ma.Schema, data: st.DataObject) -> None:
    value = data.draw(strategies.wire_data(schema))
    assert _outcome(loader(schema), value) == _outcome(schema.load, value)


def test_a_valid_dhr_request_takes_the_compiled_path() -> None:
    schema = requests.DhrRequestSchema()
    body = {"district": "amber-valley", "date": "2013-05-01",
            "costs": [{"item": "overview-author", "amount": "4250.00"}]}
    calls: list[object] = []
    original = schema.load

    def counted(data: object, **kwargs: object) -> object:
        calls.append(data)
        return original(data)  # type: ignore[arg-type]

    schema.load = counted  # type: ignore[method-assign]
    assert loader(schema)(body) == original(body)
    assert calls == []
    with pytest.raises(ma.ValidationError):
        loader(schema)({**body, "date": "2013-02-30"})
    assert len(calls) == 1
