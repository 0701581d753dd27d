"""The e-invoice receivers of the ledger's signals (connected in ``AppConfig.ready``).

- ``payment_succeeded`` -> :func:`~recur_django.einvoice.issuing.ensure_einvoice`: the
  payment's invoice is created once and issued by a task after the commit.
- ``payment_refunded`` -> :func:`~recur_django.einvoice.refunds.settle_refunds`: void or
  allowance (the invoice created first when it is missing; a pending one settles its
  refunds once issued).

Both do nothing while e-invoicing is off. They run after the ledger's commit
(:func:`recur_django.signals.send_after_commit`), so the provider is never called inside
the transaction that recorded the payment.
"""

from __future__ import annotations

from typing import Any

from recur_django import signals
from recur_django.einvoice import factory
from recur_django.einvoice.issuing import ensure_einvoice
from recur_django.einvoice.refunds import settle_refunds


def on_payment_succeeded(sender: Any, payment: Any, **kwargs: Any) -> None:
    ensure_einvoice(payment)


def on_payment_refunded(sender: Any, payment: Any, **kwargs: Any) -> None:
    if not factory.is_enabled():
        return
    einvoice = ensure_einvoice(payment)
    if einvoice is not None:
        settle_refunds(einvoice.pk)


def connect() -> None:
    """Connect the receivers (idempotent by ``dispatch_uid``)."""
    signals.payment_succeeded.connect(
        on_payment_succeeded, dispatch_uid="recur_django.einvoice.issue"
    )
    signals.payment_refunded.connect(
        on_payment_refunded, dispatch_uid="recur_django.einvoice.refund"
    )
