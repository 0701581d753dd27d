"""Fixtures for promotion-code tests: a coupon on the emulator and an admin session."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def coupon(recur_emulator: Any) -> str:
    """A 20 %-off coupon on the emulator; its id."""
    return str(recur_emulator.create_coupon("PERCENTAGE", percent_off=20, name="Spring")["id"])


@pytest.fixture
def staff(recur_emulator: Any, admin_client: Any) -> Any:
    """A logged-in superuser's test client; the emulator serves the Recur API."""
    return admin_client
