"""POST /api/v1/forecast/dhr and `apportion forecast`: given figures, the ledger's history."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from rules.forecast import History, ReviewCosts, financial_year_of
from service.api.schemas import ForecastSchema
from service.ledger.history import review_history
from service.ledger.tables import Case, Tranche
from service.reports import board
from service.reports.html import render_html
from tests.service.conftest import Ledger
from tests.service.test_cli import run

GIVEN: dict[str, Any] = {"year": "2026-27", "reviews": {"amber-valley": 1, "erewash": "0.5"},
                         "cost_per_review": "6000.00"}


def test_given_everything_it_is_public_and_exact(client: FlaskClient) -> None:
    response = client.post("/api/v1/forecast/dhr", json=GIVEN)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert ForecastSchema().validate(body) == {}
    assert body["total"] == "9000.00"
    assert body["totals"] == {"low": "9000.00", "expected": "9000.00", "high": "9000.00"}
    by_org = {row["organisation"]: row for row in body["organisations"]}
    assert by_org["derbyshire-constabulary"] == {
        "organisation": "derbyshire-constabulary", "name": "Derbyshire Constabulary",
        "low": "1500.00", "expected": "1500.00", "high": "1500.00"}
    assert by_org["amber-valley-council"]["expected"] == "1000.00"
    assert by_org["erewash-council"]["expected"] == "500.00"
    assert sum(Decimal(row["expected"]) for row in body["organisations"]) == Decimal("9000.00")
    assert body["history_years"] == []


def test_bad_input_is_a_422_naming_the_field(client: FlaskClient) -> None:
    for body, field in [
        ({**GIVEN, "reviews": {"amber-valley": 1.5}}, "reviews.amber-valley"),
        ({**GIVEN, "reviews": {"amber-valley": -1}}, "reviews.amber-valley"),
        ({**GIVEN, "reviews": {"derby-city": 1}}, "reviews.derby-city"),
        ({**GIVEN, "cost_per_review": 6000}, "cost_per_review"),
        ({**GIVEN, "year": "2026-28"}, "year"),
        ({**GIVEN, "year": "2015-16", "reviews": {"high-peak": 1}}, "health_bodies.high-peak"),
    ]:
        response = client.post("/api/v1/forecast/dhr", json=body)
        assert response.status_code == 422, (body, response.get_json())
        assert field in response.get_json()["errors"], (body, response.get_json())


def test_history_needs_a_viewer(client: FlaskClient) -> None:
    assert client.post("/api/v1/forecast/dhr", json={"year": "2026-27"}).status_code == 401
    given_reviews_only = {"year": "2026-27", "reviews": {"erewash": 1}}
    assert client.post("/api/v1/forecast/dhr", json=given_reviews_only).status_code == 401


def _case(client: FlaskClient, ledger: Ledger, reference: str, district: str, on: str,
          cost: str | None, status: str = "closed") -> None:
    created = client.post("/api/v1/cases", headers=ledger.headers(), json={
        "reference": reference, "district": district, "commissioned": on})
    assert created.status_code == 201, created.get_json()
    if cost is not None:
        added = client.post(f"/api/v1/cases/{reference}/costs", headers=ledger.headers(),
                            json={"item": "overview-author", "amount": cost, "incurred": on})
        assert added.status_code == 201, added.get_json()
    if status != "open":  # as a case edit would (PATCH /cases/{reference}, issue 11)
        with ledger.app.extensions["apportion.db"].session() as session:
            session.execute(update(Case).where(Case.reference == reference)
                            .values(status=status))
            session.commit()


def test_history_from_the_ledger_gives_a_range(ledger: Ledger) -> None:
    client = ledger.client()
    _case(client, ledger, "DHR-2023-01", "erewash", "2023-05-01", "5000.00")
    _case(client, ledger, "DHR-2023-02", "erewash", "2023-09-01", "7000.00")
    _case(client, ledger, "DHR-2024-01", "bolsover", "2024-06-01", "6500.01", "open")
    _case(client, ledger, "DHR-2024-02", "chesterfield", "2024-07-01", None, "withdrawn")
    year = financial_year_of(date.today())
    start = int(year[:4]) + 1
    coming = f"{start}-{(start + 1) % 100:02d}"
    response = client.post("/api/v1/forecast/dhr", headers=ledger.headers("viewer"),
                           json={"year": coming})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["history_years"][0] == "2023-24" and body["history_years"][-1] != year
    years = len(body["history_years"])
    reviews = {row["district"]: row for row in body["reviews"]}
    assert reviews["erewash"]["high"] == "2" and reviews["erewash"]["low"] == "0"
    assert reviews["chesterfield"]["high"] == "0"  # withdrawn: not a review
    # Closed reviews only give the cost: £5,000 and £7,000.
    assert body["cost_per_review"] == {"low": "5000.00", "expected": "6000.00",
                                       "high": "7000.00"}
    expected_total = Decimal(6000) * 3 / years
    assert abs(Decimal(body["totals"]["expected"]) - expected_total) <= Decimal("0.005")
    assert body["totals"]["high"] == "21000.00"  # 2 in Erewash + 1 in Bolsover, at £7,000 each
    assert body["totals"]["low"] == "0.00"
    for key in ("low", "expected", "high"):
        assert sum(Decimal(row[key]) for row in body["organisations"]) == Decimal(
            body["totals"][key])
    # The figures given override the history; given everything, no token is needed.
    given = client.post("/api/v1/forecast/dhr", json={**GIVEN, "year": coming}).get_json()
    assert given["history_years"] == [] and given["total"] == "9000.00"


def test_forecast_command(client: FlaskClient) -> None:
    args = ["forecast", "--year", "2022-23", "--reviews", "amber-valley=1",
            "--cost-per-review", "6000.00"]
    human = run(*args)
    assert human.returncode == 0, human.stderr
    assert "NHS Derby and Derbyshire CCG" in human.stdout and "£249.32" in human.stdout
    assert "Membership changes within the year" in human.stdout
    assert "Total" in human.stdout and "£6,000.00" in human.stdout
    as_json = run(*args, "--json")
    http = client.post("/api/v1/forecast/dhr", json={
        "year": "2022-23", "reviews": {"amber-valley": 1},
        "cost_per_review": "6000.00"}).get_json()
    assert json.loads(as_json.stdout) == http
    empty = run("forecast", "--year", "2026-27")
    assert empty.returncode == 2
    assert "reviews: the ledger holds no complete year of reviews" in empty.stderr
    bad = run("forecast", "--year", "2026-27", "--reviews", "erewash")
    assert bad.returncode == 2 and "DISTRICT=VALUE" in bad.stderr


def test_the_board_report_carries_next_years_forecast(ledger: Ledger) -> None:
    client = ledger.client()
    year = financial_year_of(date.today())
    start = int(year[:4]) + 1
    coming = f"{start}-{(start + 1) % 100:02d}"
    viewer = ledger.headers("viewer")
    empty = client.get(f"/api/v1/reports/board?year={year}", headers=viewer).get_json()
    assert empty["forecast"] is None
    assert empty["forecast_note"].startswith(f"No DHR forecast for {coming}: ")
    _case(client, ledger, "DHR-2023-01", "erewash", "2023-05-01", "5000.00")
    _case(client, ledger, "DHR-2024-01", "amber-valley", "2024-05-01", "7000.00")
    report = client.get(f"/api/v1/reports/board?year={year}", headers=viewer).get_json()
    api = client.post("/api/v1/forecast/dhr", headers=viewer, json={"year": coming}).get_json()
    assert report["forecast"] == api and report["forecast_note"] == ""
    csv = client.get(f"/api/v1/reports/board?year={year}&format=csv", headers=viewer).text
    section = [line.split(",") for line in csv.splitlines() if line.startswith("forecast:")]
    assert [row[4] for row in section if row[1] == "total"] == [
        api["totals"]["low"], api["totals"]["expected"], api["totals"]["high"]]
    assert sum(Decimal(row[4]) for row in section
               if row[1] != "total" and row[3] == "expected") == Decimal(api["total"])
    with ledger.app.app_context(), ledger.app.extensions["apportion.db"].session() as session:
        page = render_html(board.board_report(session, ledger.app.extensions[
            "apportion.ruleset"], year))
    assert f"DHR forecast for {coming}: provision per partner" in page
    total = Decimal(api["totals"]["expected"])
    assert f"£{total:,.2f}" in page


def test_while_no_review_is_closed_the_costs_so_far_give_the_figure(ledger: Ledger) -> None:
    client = ledger.client()
    _case(client, ledger, "DHR-2023-01", "erewash", "2023-05-01", "5000.00", "open")
    _case(client, ledger, "DHR-2023-02", "bolsover", "2023-06-01", None, "open")
    with ledger.app.extensions["apportion.db"].session() as session:
        history = review_history(session)
    assert history.reviews == (("bolsover", "2023-24", 1), ("erewash", "2023-24", 1))
    assert history.costs == ReviewCosts(1, 500000, 500000, 500000)


#: A review as the law below writes it: district, commission date, status, its costs (pence).
reviews_written = st.lists(st.tuples(
    st.sampled_from(["erewash", "bolsover", "high-peak"]),
    st.dates(date(2009, 1, 1), date(2031, 12, 31)),
    st.sampled_from(["open", "closed", "withdrawn"]),
    st.lists(st.integers(-50_000, 5_000_000), max_size=3)), max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(written=reviews_written)
def test_the_history_summed_in_sql_is_the_history_counted_one_by_one(
        ledger: Ledger, written: list[tuple[str, date, str, list[int]]]) -> None:
    """Law: the reviews per district and financial year, and the summary of what finished
    reviews cost, as the ledger sums them in SQL, are what counting every case gives (withdrawn
    reviews left out; a review's cost is its tranches' total, counted when above zero; closed
    reviews when there are any, else every review with costs)."""
    with ledger.app.extensions["apportion.db"].session() as session:
        for number, (district, commissioned, status, costs) in enumerate(written):
            case = Case(reference=f"LAW-{number}", district=district, status=status,
                        commissioned=commissioned, created_at=datetime(2026, 1, 1))
            session.add(case)
            session.flush()
            session.add_all(Tranche(case_id=case.id, item="Chair", amount=amount,
                                    incurred=commissioned) for amount in costs)
        found = review_history(session)
        session.rollback()
    live = [w for w in written if w[2] != "withdrawn"]
    closed = [sum(w[3]) for w in live if w[2] == "closed" and w[3] and sum(w[3]) > 0]
    every = [sum(w[3]) for w in live if w[3] and sum(w[3]) > 0]
    expected = History.of([(w[0], financial_year_of(w[1])) for w in live], closed or every)
    assert sorted(found.reviews) == sorted(expected.reviews)
    assert found.costs == expected.costs
