"""The test clock: move time forward and apply everything that fell due."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from recur_django.emulator import clock
from recur_django.emulator.models import CheckoutSession
from recur_django.emulator.services import subscriptions


@dataclass(frozen=True)
class AdvanceResult:
    now: str
    transitions: int
    expired_sessions: int


def advance(days: float = 0, seconds: float = 0) -> AdvanceResult:
    """Advance the emulator clock; renew/dun/expire subscriptions and lapse checkouts."""
    with transaction.atomic():
        now = clock.shift(days * 86400 + seconds)
        transitions = subscriptions.process_due()
        expired = CheckoutSession.objects.filter(
            status=CheckoutSession.Status.PENDING, expires_at__lte=now
        ).update(status=CheckoutSession.Status.EXPIRED)
    return AdvanceResult(now=str(clock.iso(now)), transitions=transitions, expired_sessions=expired)
