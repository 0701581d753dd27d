"""Helpers of the e-invoice flow tests: e-invoicing on against the emulator's endpoint,
a buyer with a mobile barcode, the e-invoice signals recorded."""

from __future__ import annotations

from typing import Any

import pytest

from recur_django import signals
from recur_django.emulator.pytest_plugin import RecurEmulator
from recur_django.models import Transaction
from tests.ledger_e2e.conftest import buy, flush
from tests.recur_helpers import SignalRecorder

ECPAY = "recur_django.einvoice.backends.ecpay.ECPayBackend"
BARCODE = "/ABC+123"
MOBILE = {"invoice_kind": "mobile", "invoice_carrier": BARCODE}
EINVOICE_SIGNALS = (
    "einvoice_issued",
    "einvoice_voided",
    "einvoice_allowance_issued",
    "einvoice_failed",
)


@pytest.fixture
def einvoicing(recur_emulator: RecurEmulator, settings: Any) -> RecurEmulator:
    """E-invoicing on, with ECPay's wire against the emulator's endpoint."""
    settings.RECUR = {
        **settings.RECUR,
        "EINVOICE": {
            "BACKEND": ECPAY,
            "OPTIONS": {**recur_emulator.einvoice_options(), "TIMEOUT": 10},
        },
    }
    return recur_emulator


@pytest.fixture
def einvoice_sent():
    """Every e-invoice signal's sends, by name."""
    recorders = {name: SignalRecorder(getattr(signals, name)) for name in EINVOICE_SIGNALS}
    for recorder in recorders.values():
        recorder.__enter__()
    yield {name: recorder.calls for name, recorder in recorders.items()}
    for recorder in recorders.values():
        recorder.__exit__()


def buy_with(
    recur_emulator: RecurEmulator, user: Any, product: str, choice: dict[str, str] | None = None
) -> Transaction:
    """Buy ``product`` with the invoice ``choice`` on its checkout, deliver the webhooks."""
    started = buy(recur_emulator, user, product)
    txn = Transaction.objects.get(checkout_session_id=started["checkout_session_id"])
    if choice is not None:
        Transaction.objects.filter(pk=txn.pk).update(invoice_choice=choice)
    flush(recur_emulator)
    txn.refresh_from_db()
    return txn
