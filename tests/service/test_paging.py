"""Paged lists: cursors round-trip, foreign cursors are refused, pages cover a list exactly."""

from __future__ import annotations

import marshmallow as ma
import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.wire.fields import Cursor, cursor_text
from service.wire.requests import Paged


@given(st.integers(0, 2**62 - 1))
def test_a_cursor_reads_back_as_its_position(position: int) -> None:
    assert Cursor().deserialize(cursor_text(position)) == position


@pytest.mark.parametrize("text", ["", "c", "x1", "c-1", "cA", "c" + "z" * 14, "c\uff11", 5, None,
                                  "czzzzzzzzzzzzz"])
def test_a_foreign_cursor_is_refused(text: object) -> None:
    with pytest.raises(ma.ValidationError):
        Paged().load({"cursor": text})


def test_limit_defaults_and_bounds() -> None:
    assert Paged().load({}) == {"limit": 100}
    assert Paged().load({"limit": 1000, "cursor": "c10"}) == {"limit": 1000, "cursor": 36}
    for bad in (0, 1001, -1):
        with pytest.raises(ma.ValidationError):
            Paged().load({"limit": bad})


def test_collection_pauses_nest_and_restore() -> None:
    import gc

    from service.ledger.collection import collection_paused

    assert gc.isenabled()
    with collection_paused():
        assert not gc.isenabled()
        with collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collection_paused():
            pass
        assert not gc.isenabled()  # not turned on by a pause that found it off
    finally:
        gc.enable()
