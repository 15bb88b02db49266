"""Shared pytest set-up; fixtures that start real components live in their own modules
(tests/coturn.py) and are made available here."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

from tests.coturn import coturn  # noqa: F401  (the shared coturn fixture)

# CI runs with a generous example count (the SDP fuzz issue asks for at least 2,000); a developer
# can pick another profile with HYPOTHESIS_PROFILE=dev.
settings.register_profile(
    "ci", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=200, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
