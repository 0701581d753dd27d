"""The checkout service: start a checkout for an owner, and fulfil it exactly once.

- :mod:`~recur_django.checkout.start`: ``start_checkout`` and the success/cancel URLs.
- :mod:`~recur_django.checkout.fulfilment`: every transition out of ``pending``
  (``fulfil``, ``mark_failed``, ``fail_on_start``, ``expire_due``), with its checks in
  :mod:`~recur_django.checkout.checks`.
- :mod:`~recur_django.checkout.proof`: whether a reported payment proves itself or must be
  confirmed with Recur.
- :mod:`~recur_django.checkout.return_page`: ``confirm_return`` for the buyer coming back.

The public names are importable from here.
"""

from recur_django.checkout.fulfilment import (
    EXPIRED_REASON,
    FAILED_STATUS,
    FULFILLABLE,
    FulfilmentResult,
    due_for_expiry,
    expire_due,
    fail_on_start,
    fulfil,
    mark_failed,
)
from recur_django.checkout.proof import PaymentUnconfirmed
from recur_django.checkout.return_page import ReturnState, confirm_return
from recur_django.checkout.start import (
    SESSION_ID_PLACEHOLDER,
    build_cancel_url,
    build_success_url,
    start_checkout,
)
from recur_django.exceptions import ConfirmationUnavailable, FulfilmentRejected

__all__ = [
    "EXPIRED_REASON",
    "FAILED_STATUS",
    "FULFILLABLE",
    "SESSION_ID_PLACEHOLDER",
    "ConfirmationUnavailable",
    "FulfilmentRejected",
    "FulfilmentResult",
    "PaymentUnconfirmed",
    "ReturnState",
    "build_cancel_url",
    "build_success_url",
    "confirm_return",
    "due_for_expiry",
    "expire_due",
    "fail_on_start",
    "fulfil",
    "mark_failed",
    "start_checkout",
]
