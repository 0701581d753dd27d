"""The test settings with teams as billing owners (``tests/teams``).

A separate settings module because the owner model is fixed when the models are declared
(like ``AUTH_USER_MODEL``): the default-owner suites keep running under ``tests.settings``.
"""

from __future__ import annotations

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS, RECUR

INSTALLED_APPS = [*INSTALLED_APPS, "tests.teams"]
ROOT_URLCONF = "tests.teams.urls"
RECUR = {
    **RECUR,
    "OWNER_MODEL": "teams.Team",
    "OWNER_FOR_REQUEST": "tests.teams.billing.team_for_request",
    "CAN_MANAGE_BILLING": "tests.teams.billing.can_manage_team_billing",
    "OWNER_EMAIL": "tests.teams.billing.team_email",
}
