"""The rules of apportion: who pays what, when, and how funds are allocated.

Organisations, districts, arrangements and funds are data (a ruleset file); this package holds
no names of real bodies. Imports :mod:`allocations`, never :mod:`service`.
"""

from __future__ import annotations

from rules.arrangements import Arrangement, Contribution, Role
from rules.changes import change_from_dict
from rules.dhr import (
    Apportionment,
    Cost,
    DhrRequest,
    Part,
    ResolvedSplit,
    Share,
    apportion,
    choose_arrangement,
    resolve_split,
)
from rules.exceptions import NotCovered, RequestInvalid, RulesError, RulesetInvalid, UnknownId
from rules.files import (
    LINE_ALLOWS,
    LINE_FIELDS,
    LINE_NEEDS,
    default_ruleset,
    from_dict,
    fund_from_dict,
    load,
    loads,
)
from rules.funds import (
    LINE_KINDS,
    WARNING_RULES,
    BidRule,
    DampingRule,
    Fund,
    FundAllocation,
    FundLine,
    FundWarning,
    StagePayment,
    StageRule,
    allocate_fund,
    fund_warnings,
)
from rules.geography import Csp, District, HealthCoverage
from rules.membership import (
    Partner,
    health_bodies_on,
    health_body_on,
    health_commissioner_kinds,
    partners_on,
)
from rules.organisations import Kind, Organisation
from rules.paradoxes import PARADOXES, Paradox
from rules.periods import Period, financial_year_start, parse_financial_year
from rules.ruleset import Ruleset, WeightSet
from rules.scenarios import CHANGE_OPERATIONS, Change, Comparison, Row, apply_changes, compare
from rules.succession import liable_body
from rules.writing import dumps, fund_to_dict, to_dict

__all__ = [
    "CHANGE_OPERATIONS",
    "LINE_ALLOWS",
    "LINE_FIELDS",
    "LINE_KINDS",
    "LINE_NEEDS",
    "PARADOXES",
    "WARNING_RULES",
    "Apportionment",
    "Arrangement",
    "BidRule",
    "Change",
    "Comparison",
    "Contribution",
    "Cost",
    "Csp",
    "DampingRule",
    "DhrRequest",
    "District",
    "Fund",
    "FundAllocation",
    "FundLine",
    "FundWarning",
    "HealthCoverage",
    "Kind",
    "NotCovered",
    "Organisation",
    "Paradox",
    "Part",
    "Partner",
    "Period",
    "RequestInvalid",
    "ResolvedSplit",
    "Role",
    "Row",
    "RulesError",
    "Ruleset",
    "RulesetInvalid",
    "Share",
    "StagePayment",
    "StageRule",
    "UnknownId",
    "WeightSet",
    "allocate_fund",
    "apply_changes",
    "apportion",
    "change_from_dict",
    "choose_arrangement",
    "compare",
    "default_ruleset",
    "dumps",
    "financial_year_start",
    "from_dict",
    "fund_from_dict",
    "fund_to_dict",
    "fund_warnings",
    "health_bodies_on",
    "health_body_on",
    "health_commissioner_kinds",
    "liable_body",
    "load",
    "loads",
    "parse_financial_year",
    "partners_on",
    "resolve_split",
    "to_dict",
]
