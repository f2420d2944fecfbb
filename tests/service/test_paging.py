"""Paged lists: cursors round-trip, foreign cursors are refused, pages cover a list exactly."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import marshmallow as ma
import pytest
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import event

from service.wire.fields import Cursor, cursor_text
from service.wire.requests import Paged
from tests.service.conftest import Ledger


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


# -- lists over HTTP: pages cover a list exactly, at a constant number of queries ------------

CASES = 51


def _fill(ledger: Ledger) -> FlaskClient:
    """``CASES`` billed cases (six documents each), a part payment on the first invoice."""
    client = ledger.client()
    headers = ledger.headers("finance")
    for n in range(CASES):
        reference = f"DHR/2014/{n:03d}"
        for path, body in ((
                "/api/v1/cases", {"reference": reference, "district": "erewash",
                                  "commissioned": "2014-05-01"}), (
                f"/api/v1/cases/{reference}/costs", {"item": "overview-author",
                                                     "amount": f"{600 + n}.00",
                                                     "incurred": "2014-06-01"}), (
                f"/api/v1/cases/{reference}/billing", {"date": "2014-06-02"})):
            answer = client.post(path, headers=headers, json=body)
            assert answer.status_code == 201, answer.get_json()
    return client


@contextmanager
def counted(ledger: Ledger) -> Iterator[list[str]]:
    """Every SQL statement the app's engines run inside the block."""
    statements: list[str] = []
    database = ledger.app.extensions["apportion.db"]

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    engines = {database.engine, database.read_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)


def _all_pages(client: FlaskClient, headers: dict[str, str], path: str, key: str
               ) -> list[Any]:
    found: list[Any] = []
    link: str | None = path
    while link is not None:
        answer = client.get(link, headers=headers)
        assert answer.status_code == 200, answer.get_json()
        body = answer.get_json()
        assert set(body) == {key, "next"}
        found += body[key]
        link = body["next"]
    return found


@pytest.mark.slow
def test_pages_cover_each_list_exactly_at_a_constant_number_of_queries(ledger: Ledger
                                                                        ) -> None:
    client = _fill(ledger)
    headers = ledger.headers("viewer")
    lists = {"cases": "/api/v1/cases?district=erewash",
             "invoices": "/api/v1/invoices?organisation=derbyshire-county-council"}
    for key, path in lists.items():
        whole = client.get(f"{path}&limit=1000", headers=headers).get_json()
        assert whole["next"] is None and len(whole[key]) >= CASES
        assert _all_pages(client, headers, f"{path}&limit=7", key) == whole[key]
        costs = []
        for limit in (1, 50):
            client.get(f"{path}&limit={limit}", headers=headers)  # warm (token checks)
            with counted(ledger) as statements:
                page = client.get(f"{path}&limit={limit}", headers=headers).get_json()
            assert len(page[key]) == limit and page["next"] is not None
            costs.append(len(statements))
        assert costs[0] == costs[1], (key, costs)
        beyond = client.get(f"{path}&cursor=c{'z' * 11}", headers=headers)
        assert beyond.status_code == 200 and beyond.get_json() == {key: [], "next": None}
    _statement_pages(ledger, client)
    _cases_page(ledger)
    events = _all_pages(client, ledger.headers("admin"), "/api/v1/audit?limit=100", "events")
    assert [e["id"] for e in events] == sorted({e["id"] for e in events})
    assert len(events) == len(client.get("/api/v1/audit?limit=10000",
                                         headers=ledger.headers("admin")).get_json()["events"])


def _cases_page(ledger: Ledger) -> None:
    """The cases page shows a page of cases and links to the next."""
    browser = ledger.sign_in("viewer")
    first = browser.get("/cases?district=erewash").get_data(as_text=True)
    assert "DHR/2014/000" in first and f"DHR/2014/{CASES - 1:03d}" not in first
    link = re.search(r'href="([^"]+)">Next page', first)
    assert link is not None
    rest = browser.get(html.unescape(link.group(1))).get_data(as_text=True)
    assert f"DHR/2014/{CASES - 1:03d}" in rest and "DHR/2014/000<" not in rest


def _statement_position(on: date, rank: int, move_id: int) -> int:
    from service.ledger.payments import _position

    return _position(on, rank, move_id)


def _statement_pages(ledger: Ledger, client: FlaskClient) -> None:
    """A statement read a page at a time has the whole statement's entries and balances."""
    headers = ledger.headers("finance")
    organisation = "derbyshire-county-council"
    first = client.get(f"/api/v1/invoices?organisation={organisation}&limit=2",
                       headers=headers).get_json()["invoices"]
    for number, on in ((first[0]["number"], "2014-06-03"), (first[1]["number"], "2014-06-04")):
        made = client.post(f"/api/v1/invoices/{number}/payments", headers=headers,
                           json={"date": on, "amount": "10.00", "reference": "R1"})
        assert made.status_code == 201, made.get_json()
    reversed_ = client.post(f"/api/v1/payments/{made.get_json()['id']}/reversal",
                            headers=headers, json={"date": "2014-06-04", "reason": "twice"})
    assert reversed_.status_code == 201, reversed_.get_json()
    for query in ("", "&from=2014-06-03", "&to=2014-06-03"):
        path = f"/api/v1/organisations/{organisation}/statement?format=json{query}"
        whole = client.get(path, headers=headers).get_json()
        assert whole["next"] is None
        entries: list[Any] = []
        link: str | None = f"{path}&limit=5"
        while link is not None:
            page = client.get(link, headers=headers).get_json()
            assert {k: v for k, v in page.items() if k not in ("entries", "next")} == {
                k: v for k, v in whole.items() if k not in ("entries", "next")}
            entries += page["entries"]
            link = page["next"]
        assert entries == whole["entries"], query
    statement = f"/api/v1/organisations/{organisation}/statement?limit=5&cursor="
    assert client.get(statement + "c" + "z" * 11, headers=headers).status_code == 422
    beyond = _statement_position(date(2014, 6, 4), 3, 2**32 - 1)
    assert client.get(statement + cursor_text(beyond), headers=headers).get_json()[
        "entries"] == []


def test_a_page_of_awards_and_the_last_page_says_so(ledger: Ledger) -> None:
    client = ledger.client()
    answer = client.post("/api/v1/funds/home-office-csf-2012-13/awards",
                         headers=ledger.headers("finance"), json={"date": "2013-04-30"})
    assert answer.status_code == 201, answer.get_json()
    made = [a["number"] for a in answer.get_json()["awards"]]
    shown = _all_pages(client, ledger.headers("viewer"), "/api/v1/awards?limit=2", "awards")
    assert [a["number"] for a in shown] == made
    last = client.get("/api/v1/awards", headers=ledger.headers("viewer")).get_json()
    assert last["next"] is None and len(last["awards"]) == len(made)


@given(st.integers(-(10**14), 10**14))
def test_pence_are_the_wire_form_of_money(amount: int) -> None:
    import allocations
    from service.ledger.money import pence

    assert pence(amount) == allocations.format_money(allocations.from_minor(amount))
