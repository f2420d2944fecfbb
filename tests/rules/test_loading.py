"""Ruleset files: validation names every problem's entry, and rulesets round-trip."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import rules

ROOT = Path(__file__).resolve().parents[2]


def test_default_round_trips_through_toml(derbyshire: rules.Ruleset) -> None:
    assert rules.loads(rules.dumps(derbyshire)) == derbyshire


def test_json_form_loads_too(tmp_path: Path, derbyshire: rules.Ruleset) -> None:
    data = rules.to_dict(derbyshire)
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(data, default=str))
    assert rules.load(path) == derbyshire


def test_every_problem_is_reported_with_its_entry(derbyshire: rules.Ruleset) -> None:
    data = rules.to_dict(derbyshire)
    data["organisations"]["derbyshire-pcc"]["active"][0]["to"] = "2000-01-01"
    data["organisations"]["dlnr-crc"]["kind"] = "no-such-kind"
    data["organisations"]["erewash-council"]["colour"] = "blue"
    data["districts"]["erewash"]["csp"] = "nowhere-csp"
    data["arrangements"]["derbyshire-dhr"]["roles"][0]["organisations"] = ["ghost"]
    data["funds"]["home-office-csf-2012-13"]["total"] = "300000.00"
    data["weights"]["population-2011"]["values"]["atlantis"] = 5
    data["kinds"]["icb"]["statutory"][0]["from"] = 3.5
    with pytest.raises(rules.RulesetInvalid) as caught:
        rules.from_dict(data)
    paths = [path for path, _ in caught.value.problems]
    assert "organisations.derbyshire-pcc.active.0" in paths
    assert "organisations.erewash-council.colour" in paths
    assert "kinds.icb.statutory.0.from" in paths
    # reference problems are checked once the shapes are right
    data["organisations"]["derbyshire-pcc"]["active"][0].pop("to")
    data["organisations"]["erewash-council"].pop("colour")
    data["kinds"]["icb"]["statutory"][0]["from"] = "2022-07-01"
    with pytest.raises(rules.RulesetInvalid) as caught:
        rules.from_dict(data)
    paths = [path for path, _ in caught.value.problems]
    assert paths == [
        "organisations.dlnr-crc.kind", "districts.erewash.csp",
        "arrangements.derbyshire-dhr.roles.0.organisations",
        "weights.population-2011.values.atlantis",
        "funds.home-office-csf-2012-13.lines.3"]
    assert "needs 54000.00 but only 32000.00" in str(caught.value)


def test_bad_toml_is_reported() -> None:
    with pytest.raises(rules.RulesetInvalid, match="not valid TOML"):
        rules.loads("id = ")


def test_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(rules.RulesetInvalid, match="cannot be read"):
        rules.load(tmp_path / "nope.toml")


def test_successor_cycles_are_refused(derbyshire: rules.Ruleset) -> None:
    data = rules.to_dict(derbyshire)
    data["organisations"]["probation-service"]["successors"] = ["derbyshire-probation-trust"]
    with pytest.raises(rules.RulesetInvalid, match="lead back to itself"):
        rules.from_dict(data)


def test_floats_are_refused_as_weights(derbyshire: rules.Ruleset) -> None:
    data = rules.to_dict(derbyshire)
    data["weights"]["population-2011"]["values"]["erewash-csp"] = 1.5
    with pytest.raises(rules.RulesetInvalid, match="never a float"):
        rules.from_dict(data)


def test_code_names_no_real_body() -> None:
    """Rules are data: the Derbyshire names live in the ruleset file, not in the code."""
    names = {"derbyshire", "chesterfield", "erewash", "bolsover", "amber valley", "high peak",
             "glossop", "tameside", "dlnr", "derby"}
    pattern = re.compile("|".join(names), re.IGNORECASE)
    for package in ("allocations", "rules", "service"):
        for file in (ROOT / package).rglob("*.py"):
            hits = [line for line in file.read_text().splitlines() if pattern.search(line)]
            assert not hits, f"{file.relative_to(ROOT)} names real bodies: {hits[:3]}"


@pytest.mark.parametrize("op", list(rules.CHANGE_OPERATIONS))
def test_every_change_operation_is_read(op: str) -> None:
    """Each operation of the one list is read: an empty change names its required fields."""
    with pytest.raises(rules.RulesetInvalid) as raised:
        rules.change_from_dict({"op": op})
    assert raised.value.problems
    assert all(message == "is required" for _, message in raised.value.problems)
