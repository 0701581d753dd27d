"""The issue's "done when": every paid payment gets its invoice through the emulator over
HTTP; a partial refund is an allowance, a full refund right away voids, a late one is an
allowance."""

from __future__ import annotations

import pytest

from recur_django.emulator.models import Order
from recur_django.models import EInvoice, EInvoiceAllowance, Payment
from tests.einvoice.flows import BARCODE, MOBILE, buy_with
from tests.ledger_e2e.conftest import flush

pytestmark = pytest.mark.django_db(transaction=True)


def test_pay_renew_twice_then_a_partial_refund(einvoicing, buyer, einvoice_sent):
    buy_with(einvoicing, buyer, "pro-monthly", MOBILE)
    einvoicing.advance(days=32)
    flush(einvoicing)
    einvoicing.advance(days=31)
    flush(einvoicing)

    payments = list(Payment.objects.order_by("paid_at"))
    assert [p.kind for p in payments] == ["checkout", "renewal", "renewal"]
    invoices = list(EInvoice.objects.order_by("payment__paid_at"))
    assert [(i.status, i.kind, i.carrier, i.amount) for i in invoices] == [
        ("issued", "mobile", BARCODE, 299)
    ] * 3
    assert all(i.number and i.random_number and i.issued_at for i in invoices)
    provider = einvoicing.einvoices()
    assert sorted(u.number for u in provider) == sorted(i.number for i in invoices)
    assert all(u.carrier_number == BARCODE for u in provider)
    assert len(einvoice_sent["einvoice_issued"]) == 3

    last = payments[-1]
    einvoicing.refund(last.invoice_id or last.recur_id, amount=100)
    flush(einvoicing)

    allowance = EInvoiceAllowance.objects.get()
    assert (allowance.einvoice.payment_id, allowance.amount, allowance.status) == (
        last.pk,
        100,
        "issued",
    )
    assert allowance.number and allowance.refund is not None
    assert [a["allowance"].pk for a in einvoice_sent["einvoice_allowance_issued"]] == [allowance.pk]
    assert EInvoice.objects.filter(status="issued").count() == 3
    assert not einvoice_sent["einvoice_voided"] and not einvoice_sent["einvoice_failed"]


def test_a_full_refund_right_away_voids(einvoicing, buyer, einvoice_sent):
    buy_with(einvoicing, buyer, "ebook", MOBILE)
    einvoice = EInvoice.objects.get()
    assert einvoice.status == "issued"

    einvoicing.refund(Order.objects.get().id)
    flush(einvoicing)

    einvoice.refresh_from_db()
    assert (einvoice.status, einvoice.void_reason) == ("voided", "Refunded")
    assert einvoice.voided_at is not None and einvoice.voided_signaled
    assert [u.voided_at is not None for u in einvoicing.einvoices()] == [True]
    assert [c["einvoice"].pk for c in einvoice_sent["einvoice_voided"]] == [einvoice.pk]
    assert not EInvoiceAllowance.objects.exists()


def test_a_full_refund_three_months_later_is_an_allowance(einvoicing, buyer, einvoice_sent):
    buy_with(einvoicing, buyer, "ebook", MOBILE)
    einvoicing.advance(days=95)

    einvoicing.refund(Order.objects.get().id)
    flush(einvoicing)

    einvoice = EInvoice.objects.get()
    assert einvoice.status == "issued"
    allowance = einvoice.allowances.get()
    assert (allowance.amount, allowance.status) == (590, "issued")
    assert einvoice.remaining_amount == 0
    assert not einvoice_sent["einvoice_voided"]
