"""Issue 11's stuck cases, reproduced: case edits, references as councils write them, succession
across reorganisations (with on_behalf_of), dated billing and corrections that say what they
correct. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.service import invariants
from tests.service.conftest import Ledger


class Api:
    """A finance officer's calls, asserting the status each should get."""

    def __init__(self, ledger: Ledger):
        self.ledger = ledger
        self.client: FlaskClient = ledger.client()

    def call(self, method: str, path: str, body: Any = None, status: int = 200,
             role: str = "finance") -> Any:
        response = self.client.open(f"/api/v1{path}", method=method, json=body,
                                    headers=self.ledger.headers(role))
        assert response.status_code == status, (path, response.get_json())
        return response.get_json()

    def case(self, reference: str, district: str, commissioned: str, **extra: str) -> Any:
        return self.call("POST", "/cases", {"reference": reference, "district": district,
                                            "commissioned": commissioned, **extra}, 201)

    def cost(self, reference: str, amount: str, incurred: str, item: str = "overview-author"
             ) -> int:
        return int(self.call("POST", f"/cases/{reference}/costs",
                             {"item": item, "amount": amount, "incurred": incurred}, 201)["id"])

    def bill(self, reference: str, on: str) -> list[dict[str, Any]]:
        documents: list[dict[str, Any]] = self.call("POST", f"/cases/{reference}/billing",
                                                    {"date": on}, 201)["documents"]
        return documents

    def refused(self, reference: str, on: str) -> dict[str, Any]:
        """A billing run that must be refused (422): the problem."""
        problem: dict[str, Any] = self.call("POST", f"/cases/{reference}/billing",
                                            {"date": on}, 422)
        return problem

    def revise(self, reference: str, cost: int, amount: str) -> None:
        self.call("PATCH", f"/cases/{reference}/costs/{cost}", {"amount": amount})


def by_partner(documents: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {d.get("on_behalf_of") or d["organisation"]: d for d in documents}


def test_high_peak_needs_its_health_body_at_creation_and_a_case_can_be_fixed(
        ledger: Ledger) -> None:
    api = Api(ledger)
    refused = api.call("POST", "/cases", {"reference": "DHR-HP-1", "district": "high-peak",
                                          "commissioned": "2015-01-01"}, status=422)
    assert "health_body" in refused["errors"]
    assert "north-derbyshire-ccg" in refused["detail"]
    assert "tameside-glossop-ccg" in refused["detail"]
    # commissioned while the PCT covered all of High Peak: no health body needed then...
    api.case("DHR-HP-2", "high-peak", "2012-10-01")
    api.cost("DHR-HP-2", "1200.00", "2014-01-10")
    stuck = api.refused("DHR-HP-2", "2014-02-01")
    assert list(stuck["errors"]) == ["health_body"]
    # ...and now the case can be edited, audited, and billed
    edited = api.call("PATCH", "/cases/DHR-HP-2", {"health_body": "tameside-glossop-ccg"})
    assert edited["health_body"] == "tameside-glossop-ccg" and "notes" not in edited
    issued = by_partner(api.bill("DHR-HP-2", "2014-02-01"))
    assert issued["tameside-glossop-ccg"]["amount"] == "200.00"
    events = api.call("GET", "/audit", role="admin")["events"]
    edit = [e for e in events if e["action"] == "edit"][-1]
    assert edit["before"]["health_body"] is None
    assert edit["after"]["health_body"] == "tameside-glossop-ccg"
    invariants.check(ledger.app)


def test_any_statutory_health_commissioner_may_be_named_with_a_note(ledger: Ledger) -> None:
    api = Api(ledger)
    case = api.case("DHR-ER-1", "erewash", "2015-01-01", health_body="hardwick-ccg")
    assert "outside the district map" in case["notes"][0]
    api.cost("DHR-ER-1", "600.00", "2015-02-01")
    assert "hardwick-ccg" in by_partner(api.bill("DHR-ER-1", "2015-03-01"))
    not_health = api.call("POST", "/cases", {"reference": "DHR-ER-2", "district": "erewash",
                                             "commissioned": "2015-01-01",
                                             "health_body": "derbyshire-constabulary"}, 422)
    assert "health_body" in not_health["errors"]
    unknown = api.call("POST", "/cases", {"reference": "DHR-ER-3", "district": "erewash",
                                          "commissioned": "2015-01-01",
                                          "health_body": "nhs-nowhere"}, 422)
    assert "health_body" in unknown["errors"]
    # a review commissioned before the CCGs existed may name the CCG that later took over
    later = api.case("DHR-ER-4", "erewash", "2012-01-01", health_body="erewash-ccg")
    assert "notes" not in later


def test_hardwick_ccg_across_the_2019_merger_and_after(ledger: Ledger) -> None:
    api = Api(ledger)
    api.case("DHR-NED-1", "north-east-derbyshire", "2018-06-01", health_body="hardwick-ccg")
    first = api.cost("DHR-NED-1", "1400.00", "2018-07-01")  # seven ways in 2014-2021
    invoices = by_partner(api.bill("DHR-NED-1", "2018-08-01"))
    hardwick_invoice = invoices["hardwick-ccg"]
    assert hardwick_invoice["organisation"] == "hardwick-ccg"
    # 2019: Hardwick CCG merged away; the named body is followed to its successor
    api.cost("DHR-NED-1", "700.00", "2019-05-01")
    later = by_partner(api.bill("DHR-NED-1", "2019-06-01"))
    assert later["derby-derbyshire-ccg"]["amount"] == "100.00"
    assert "on_behalf_of" not in later["derby-derbyshire-ccg"]
    # a revision of the 2018 cost: Hardwick's share, to the body that took over its liabilities
    api.revise("DHR-NED-1", first, "700.00")
    credits = by_partner(api.bill("DHR-NED-1", "2019-07-01"))
    credit = credits["hardwick-ccg"]
    assert credit["kind"] == "credit-note" and credit["amount"] == "-100.00"
    assert credit["organisation"] == "derby-derbyshire-ccg"
    assert credit["on_behalf_of"] == "hardwick-ccg"
    assert credit["corrects"] == [hardwick_invoice["number"]]
    # and after the ICB replaced the CCGs in 2022
    api.revise("DHR-NED-1", first, "350.00")
    icb = by_partner(api.bill("DHR-NED-1", "2023-01-10"))["hardwick-ccg"]
    assert (icb["organisation"], icb["on_behalf_of"], icb["amount"]) == (
        "derby-derbyshire-icb", "hardwick-ccg", "-50.00")
    assert icb["corrects"] == [hardwick_invoice["number"], credit["number"]]
    case = api.call("GET", "/cases/DHR-NED-1", role="viewer")
    nets = {n["organisation"]: n["net"] for n in case["invoiced"]}
    assert nets["hardwick-ccg"] == "50.00"  # its share of the 2018 cost, net of corrections
    invariants.check(ledger.app)


def test_glossop_across_2022_07_01(ledger: Ledger) -> None:
    api = Api(ledger)
    api.case("DHR-GL-1", "high-peak", "2021-01-01", health_body="tameside-glossop-ccg")
    first = api.cost("DHR-GL-1", "600.00", "2021-02-01")
    original = by_partner(api.bill("DHR-GL-1", "2021-06-01"))["tameside-glossop-ccg"]
    api.cost("DHR-GL-1", "600.00", "2022-08-01")
    after = by_partner(api.bill("DHR-GL-1", "2022-09-01"))
    assert after["derby-derbyshire-icb"]["amount"] == "100.00"
    api.revise("DHR-GL-1", first, "1200.00")
    topup = by_partner(api.bill("DHR-GL-1", "2022-10-01"))["tameside-glossop-ccg"]
    assert (topup["kind"], topup["organisation"], topup["on_behalf_of"]) == (
        "invoice", "derby-derbyshire-icb", "tameside-glossop-ccg")
    assert topup["corrects"] == [original["number"]]
    invariants.check(ledger.app)


def test_police_authority_top_ups_in_mid_2013(ledger: Ledger) -> None:
    api = Api(ledger)
    api.case("DHR-2012-01", "chesterfield", "2012-06-01")
    chair = api.cost("DHR-2012-01", "3850.00", "2012-07-01", "panel-chair")
    first = by_partner(api.bill("DHR-2012-01", "2012-10-01"))
    assert len(first) == 7 and first["derbyshire-police-authority"]["amount"] == "550.00"
    api.revise("DHR-2012-01", chair, "4200.00")
    topups = by_partner(api.bill("DHR-2012-01", "2013-07-01"))
    authority = topups["derbyshire-police-authority"]
    assert (authority["kind"], authority["amount"]) == ("invoice", "50.00")
    assert authority["organisation"] == "derbyshire-pcc"
    assert authority["on_behalf_of"] == "derbyshire-police-authority"
    assert authority["corrects"] == [first["derbyshire-police-authority"]["number"]]
    pct = topups["derbyshire-county-pct"]
    assert (pct["organisation"], pct["on_behalf_of"]) == ("north-derbyshire-ccg",
                                                          "derbyshire-county-pct")
    assert "on_behalf_of" not in topups["derbyshire-constabulary"]
    statement = api.call("GET", "/organisations/derbyshire-pcc/statement", role="viewer")
    assert [e["number"] for e in statement["entries"]] == [authority["number"]]
    invariants.check(ledger.app)


def test_data_that_cannot_decide_is_a_422_naming_the_choice(ledger: Ledger) -> None:
    """The PCT's liabilities in North East Derbyshire could pass to either CCG; the case's
    health body decides, and without one the refusal names it."""
    api = Api(ledger)
    api.case("DHR-NED-2", "north-east-derbyshire", "2012-06-01")
    chair = api.cost("DHR-NED-2", "700.00", "2012-07-01", "panel-chair")
    api.bill("DHR-NED-2", "2012-10-01")
    api.revise("DHR-NED-2", chair, "1400.00")
    refused = api.refused("DHR-NED-2", "2013-07-01")
    assert list(refused["errors"]) == ["health_body"]
    assert "north-derbyshire-ccg" in refused["detail"] and "hardwick-ccg" in refused["detail"]
    # naming the PCT (the body in the map when the review was commissioned) cannot decide
    api.call("PATCH", "/cases/DHR-NED-2", {"health_body": "derbyshire-county-pct"})
    api.refused("DHR-NED-2", "2013-07-01")
    # the CCG that commissioned the victim's GP can: named although it started later
    api.call("PATCH", "/cases/DHR-NED-2", {"health_body": "hardwick-ccg"})
    pct = by_partner(api.bill("DHR-NED-2", "2013-07-01"))["derbyshire-county-pct"]
    assert (pct["organisation"], pct["on_behalf_of"], pct["amount"]) == (
        "hardwick-ccg", "derbyshire-county-pct", "100.00")
    invariants.check(ledger.app)


def test_billing_dates(ledger: Ledger) -> None:
    api = Api(ledger)
    api.case("DHR-D-1", "amber-valley", "2018-06-01")
    api.cost("DHR-D-1", "700.00", "2019-01-10")  # seven ways in 2014-2021
    api.cost("DHR-D-1", "1400.00", "2019-03-05")
    early = api.bill("DHR-D-1", "2019-02-15")
    assert {d["amount"] for d in early} == {"100.00"}  # only the January cost
    march = api.bill("DHR-D-1", "2019-03-31")
    assert {d["amount"] for d in march} == {"200.00"}
    before = api.refused("DHR-D-1", "2019-03-30")
    assert list(before["errors"]) == ["date"] and "2019-03-31" in before["detail"]
    future = api.refused("DHR-D-1", "2099-01-01")
    assert list(future["errors"]) == ["date"] and "after today" in future["detail"]
    for path, body, field in [
            ("/cases/DHR-D-1/billing", {"date": "1900-01-01"}, "date"),
            ("/cases/DHR-D-1/costs", {"item": "panel-chair", "amount": "1.00",
                                      "incurred": "2999-01-01"}, "incurred"),
            ("/cases", {"reference": "DHR-D-2", "district": "erewash",
                        "commissioned": "1066-10-14"}, "commissioned"),
            ("/cases", {"reference": "DHR-D-2", "district": "erewash",
                        "commissioned": "2090-01-01"}, "commissioned"),
            ("/cases/DHR-D-1/costs", {"item": "panel-chair", "amount": "1.00",
                                      "incurred": "2090-01-01"}, "incurred")]:
        refused = api.call("POST", path, body, 422)
        assert list(refused["errors"]) == [field], refused
    number = march[0]["number"]
    paid_future = api.call("POST", f"/invoices/{number}/payments",
                           {"date": "2090-01-01", "amount": "1.00"}, 422)
    assert list(paid_future["errors"]) == ["date"]
    invariants.check(ledger.app)


REFERENCE = "DHR/2015/01"


def test_references_as_councils_write_them_reach_every_endpoint(ledger: Ledger) -> None:
    api = Api(ledger)
    api.case(REFERENCE, "erewash", "2015-01-01")
    assert api.call("GET", f"/cases/{REFERENCE}", role="viewer")["reference"] == REFERENCE
    encoded = api.client.get("/api/v1/cases/DHR%2F2015%2F01", headers=ledger.headers("viewer"))
    assert encoded.status_code == 200 and encoded.get_json()["reference"] == REFERENCE
    cost = api.cost(REFERENCE, "700.00", "2015-02-01")
    api.revise(REFERENCE, cost, "1400.00")
    issued = api.bill(REFERENCE, "2015-03-01")
    assert {d["case"] for d in issued} == {REFERENCE}
    preview = api.call("POST", f"/cases/{REFERENCE}/rebill",
                       {"date": "2015-03-02", "dry_run": True})
    assert preview["dry_run"] is True and preview["documents"] == []
    assert api.call("POST", f"/cases/{REFERENCE}/rebill", {"date": "2015-03-02"},
                    201)["documents"] == []
    listed = api.call("GET", f"/invoices?case={REFERENCE}", role="viewer")["invoices"]
    assert len(listed) == 7 and listed[0]["lines"][0]["case"] == REFERENCE
    assert {d["amount"] for d in listed} == {"200.00"}
    assert api.call("PATCH", f"/cases/{REFERENCE}", {"status": "closed"})["status"] == "closed"
    renamed = api.call("PATCH", f"/cases/{REFERENCE}", {"reference": "DHR/2015/01a"})
    assert renamed["reference"] == "DHR/2015/01a"
    assert api.call("GET", "/invoices?case=DHR/2015/01a", role="viewer")["invoices"]
    api.call("GET", f"/cases/{REFERENCE}", role="viewer", status=404)
    for bad in ["REL-H\n", " REL-H", "REL H", "REL-H/", "/REL", "REL\u00e9", "R" * 41,
                "REL\x00H", "REL-H\t"]:
        refused = api.call("POST", "/cases", {"reference": bad, "district": "erewash",
                                              "commissioned": "2015-01-01"}, 422)
        assert list(refused["errors"]) == ["reference"], bad
    api.case("REL-H", "erewash", "2015-01-01")
    taken = api.call("PATCH", "/cases/REL-H", {"reference": "DHR/2015/01a"}, 409)
    assert list(taken["errors"]) == ["reference"]
    invariants.check(ledger.app)


def test_case_list_filters_really_filter(ledger: Ledger) -> None:
    api = Api(ledger)
    api.case("DHR/2014/01", "erewash", "2014-05-01")
    api.case("DHR/2015/01", "erewash", "2015-02-01")
    api.case("DHR-BOL-2015", "bolsover", "2015-06-01")
    api.call("PATCH", "/cases/DHR-BOL-2015", {"status": "withdrawn"})

    def listed(query: str) -> list[str]:
        return [c["reference"] for c in api.call("GET", f"/cases?{query}", role="viewer")["cases"]]

    assert listed("") == ["DHR/2014/01", "DHR/2015/01", "DHR-BOL-2015"]
    assert listed("status=withdrawn") == ["DHR-BOL-2015"]
    assert listed("status=open&district=erewash") == ["DHR/2014/01", "DHR/2015/01"]
    assert listed("year=2015") == ["DHR/2015/01", "DHR-BOL-2015"]
    assert listed("year=2014-15") == ["DHR/2014/01", "DHR/2015/01"]
    assert listed("q=bol") == ["DHR-BOL-2015"]
    assert listed("q=%25") == []  # a LIKE wildcard is a plain character here
    assert listed("q=/2015/") == ["DHR/2015/01"]
    api.call("GET", "/cases?status=lost", role="viewer", status=422)
    api.call("GET", "/cases?year=15", role="viewer", status=422)


@pytest.mark.parametrize("field", ["health_body", "commissioned", "status", "reference"])
def test_case_edits_are_validated(ledger: Ledger, field: str) -> None:
    api = Api(ledger)
    api.case("DHR-E-1", "high-peak", "2015-01-01", health_body="north-derbyshire-ccg")
    bad = {"health_body": None, "commissioned": "2014-02-30", "status": "lost",
           "reference": "bad ref"}[field]
    refused = api.call("PATCH", "/cases/DHR-E-1", {field: bad}, 422)
    assert list(refused["errors"]) == [field]
    api.call("PATCH", "/cases/DHR-E-1", {"victim": "x"}, 422)
    api.call("PATCH", "/cases/NOPE", {"status": "closed"}, 404)


def test_corrects_lists_the_documents_actually_corrected(ledger: Ledger) -> None:
    """Two tranches billed under two splits (before and after 2013-04-01); revising the first
    corrects the first invoice, not the partner's latest document."""
    api = Api(ledger)
    api.case("DHR-C-1", "erewash", "2012-06-01")
    first = api.cost("DHR-C-1", "700.00", "2012-07-01", "panel-chair")
    old = by_partner(api.bill("DHR-C-1", "2012-10-01"))
    api.cost("DHR-C-1", "600.00", "2013-05-01")
    new = by_partner(api.bill("DHR-C-1", "2013-06-01"))
    api.revise("DHR-C-1", first, "1400.00")
    fixed = by_partner(api.bill("DHR-C-1", "2013-07-01"))
    constabulary = fixed["derbyshire-constabulary"]
    assert constabulary["corrects"] == [old["derbyshire-constabulary"]["number"]]
    assert new["derbyshire-constabulary"]["number"] not in constabulary["corrects"]
    assert all(d["corrects"] == [] for d in new.values())
    invariants.check(ledger.app)
