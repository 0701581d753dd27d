"""Readers of what Recur says, from webhook data or from the client's typed objects.

- :mod:`~recur_django.payloads.checkout`: checkouts and orders (:class:`CheckoutData`,
  :class:`Outcome`, :func:`pick_amount`).
- :mod:`~recur_django.payloads.subscription`: subscriptions and invoices
  (:class:`SubscriptionData`, :func:`parse_subscription_data`).
- :mod:`~recur_django.payloads.amounts`: the one amount reader (:func:`parse_amount`,
  and :func:`parse_discount` by its rule).

Key casing is read by the one reader, :mod:`recur_django.client.casing` (``camel`` and
``pick`` are re-exported from it).
"""

from recur_django.client.casing import Reader, camel, pick
from recur_django.payloads.amounts import MAX_AMOUNT, parse_amount, parse_discount
from recur_django.payloads.checkout import CheckoutData, Outcome, classify_status, pick_amount
from recur_django.payloads.subscription import (
    CustomerInfo,
    SubscriptionData,
    normalize_status,
    parse_subscription_data,
    parse_timestamp,
)

__all__ = [
    "MAX_AMOUNT",
    "CheckoutData",
    "CustomerInfo",
    "Outcome",
    "Reader",
    "SubscriptionData",
    "camel",
    "classify_status",
    "normalize_status",
    "parse_amount",
    "parse_discount",
    "parse_subscription_data",
    "parse_timestamp",
    "pick",
    "pick_amount",
]
