"""Send recur_django signals after the surrounding database transaction commits.

Receivers run only once the change they describe is durable, and a receiver that raises
is logged and skipped: it can never roll back (un-fulfil) a payment.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger("recur_django.signals")


def send_after_commit(signal: Signal, sender: Any, **kwargs: Any) -> None:
    """Send ``signal`` robustly once the current transaction commits (now, outside one)."""

    def send() -> None:
        for receiver, result in signal.send_robust(sender=sender, **kwargs):
            if isinstance(result, Exception):
                logger.error(
                    "Signal receiver %s raised %s; the change it was told about stands.",
                    getattr(receiver, "__qualname__", repr(receiver)),
                    type(result).__name__,
                    exc_info=(type(result), result, result.__traceback__),
                )

    transaction.on_commit(send)
