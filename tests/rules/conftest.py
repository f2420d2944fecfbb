"""Shared fixtures for the rules tests."""

from __future__ import annotations

import pytest

import rules


@pytest.fixture(scope="session")
def derbyshire() -> rules.Ruleset:
    return rules.default_ruleset()
