"""Test configuration: one Hypothesis settings profile per use, chosen by HYPOTHESIS_PROFILE."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=200, deadline=None)
settings.register_profile(
    "ci", max_examples=2000, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# The test SMTP servers (fixture ``mailbox``), one pair per test process.
from tests.mailbox import _servers, mailbox_fixture  # noqa: E402, F401
