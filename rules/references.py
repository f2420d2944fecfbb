"""Cross-checks of a ruleset read from a file: every reference resolves, every fund allocates.

Run by :func:`rules.files.from_dict` once every entry has been read without a problem.
"""

from __future__ import annotations

from collections.abc import Mapping

from rules.exceptions import RulesError
from rules.funds import allocate_fund
from rules.geography import Csp
from rules.organisations import Organisation
from rules.parsing import Problems
from rules.ruleset import Ruleset

__all__ = ["check_references"]


def check_references(ruleset: Ruleset, problems: Problems) -> None:
    """Check every reference between entries and evaluate every fund."""
    orgs, csps = ruleset.organisations, ruleset.csps
    for org in orgs.values():
        if org.kind not in ruleset.kinds:
            problems.add(f"organisations.{org.id}.kind", f"unknown kind {org.kind!r}")
        if not org.active:
            problems.add(f"organisations.{org.id}.active", "needs at least one period")
        for successor in org.successors:
            if successor not in orgs:
                problems.add(f"organisations.{org.id}.successors",
                             f"unknown organisation {successor!r}")
        if org.liabilities_to is not None and org.liabilities_to not in orgs:
            problems.add(f"organisations.{org.id}.liabilities_to.organisation",
                         f"unknown organisation {org.liabilities_to!r}")
        if org.liabilities_to == org.id:
            problems.add(f"organisations.{org.id}.liabilities_to.organisation",
                         "cannot be the organisation itself")
    for csp in csps.values():
        if not csp.active:
            problems.add(f"csps.{csp.id}.active", "needs at least one period")
        for successor in csp.successors:
            if successor not in csps:
                problems.add(f"csps.{csp.id}.successors", f"unknown CSP {successor!r}")
    _check_cycles(ruleset, problems)
    for district in ruleset.districts.values():
        path = f"districts.{district.id}"
        if district.council not in orgs:
            problems.add(f"{path}.council", f"unknown organisation {district.council!r}")
        if district.csp not in csps:
            problems.add(f"{path}.csp", f"unknown CSP {district.csp!r}")
        for index, coverage in enumerate(district.health):
            for body in coverage.bodies:
                if body not in orgs:
                    problems.add(f"{path}.health.{index}.bodies", f"unknown organisation {body!r}")
    for arrangement in ruleset.arrangements.values():
        path = f"arrangements.{arrangement.id}"
        for district_id in arrangement.districts:
            if district_id not in ruleset.districts:
                problems.add(f"{path}.districts", f"unknown district {district_id!r}")
        role_ids = [role.id for role in arrangement.roles]
        for index, role in enumerate(arrangement.roles):
            if role_ids.count(role.id) > 1:
                problems.add(f"{path}.roles.{index}.id", f"role {role.id!r} appears twice")
            for org_id in role.organisations:
                if org_id not in orgs:
                    problems.add(f"{path}.roles.{index}.organisations",
                                 f"unknown organisation {org_id!r}")
        for index, contribution in enumerate(arrangement.contributions):
            if contribution.organisation not in orgs:
                problems.add(f"{path}.contributions.{index}.organisation",
                             f"unknown organisation {contribution.organisation!r}")
            if contribution.item not in arrangement.shared_items:
                problems.add(f"{path}.contributions.{index}.item",
                             f"{contribution.item!r} is not a shared item")
    for weight_set in ruleset.weight_sets.values():
        for key in weight_set.values:
            if key not in csps and key not in orgs and key not in ruleset.districts:
                problems.add(f"weights.{weight_set.id}.values.{key}", "unknown id")
    for fund in ruleset.funds.values():
        if fund.funder is not None and fund.funder not in orgs:
            problems.add(f"funds.{fund.id}.funder", f"unknown organisation {fund.funder!r}")
    reported: set[tuple[str, str]] = set()
    for fund in ruleset.funds.values():
        try:
            allocate_fund(ruleset, fund, field=f"funds.{fund.id}")
        except RulesError as error:  # a fund that builds on a bad one reports the same problem
            problem = (error.field or f"funds.{fund.id}", error.message)
            if problem not in reported:
                reported.add(problem)
                problems.add(*problem)


def _check_cycles(ruleset: Ruleset, problems: Problems) -> None:
    tables: list[tuple[str, Mapping[str, Organisation | Csp]]] = [
        ("organisations", ruleset.organisations), ("csps", ruleset.csps)]
    for name, table in tables:
        for start in table:
            stack, seen = list(table[start].successors), set()
            while stack:
                current = stack.pop()
                if current == start:
                    problems.add(f"{name}.{start}.successors", "successors lead back to itself")
                    break
                if current in seen or current not in table:
                    continue
                seen.add(current)
                stack.extend(table[current].successors)

