"""Customer portal sessions: one hour, listing and cancelling subscriptions."""

from __future__ import annotations

from datetime import timedelta

from recur_django.emulator import clock
from recur_django.emulator.conf import emulator_settings
from recur_django.emulator.ids import short_code
from recur_django.emulator.models import Customer, PortalSession


def create(
    customer: Customer, return_url: str, locale: str = "", configuration_id: str = ""
) -> PortalSession:
    now = clock.now()
    return PortalSession.objects.create(
        id=f"portal_session_{short_code(24)}",
        customer=customer,
        return_url=return_url,
        locale=locale,
        configuration_id=configuration_id,
        expires_at=now + timedelta(seconds=float(emulator_settings.PORTAL_SESSION_TTL)),
        created_at=now,
    )


def status_of(session: PortalSession) -> str:
    """``active``, ``expired`` or ``revoked``."""
    if session.revoked:
        return "revoked"
    return "expired" if session.expires_at <= clock.now() else "active"
