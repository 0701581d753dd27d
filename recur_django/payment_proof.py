"""Moved to :mod:`recur_django.checkout.proof`; these names stay importable from here."""

from recur_django.checkout.proof import (
    PAID_STATUSES,
    PaymentUnconfirmed,
    parse_amount,
    proven,
    refusal,
)

__all__ = ["PAID_STATUSES", "PaymentUnconfirmed", "parse_amount", "proven", "refusal"]
