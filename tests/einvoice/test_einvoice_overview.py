"""The billing overview's e-invoice section: invoices and allowances pending or failed, and
the warning about paid payments without an issued invoice 24 hours on."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.test import override_settings
from django.urls import reverse

from recur_django import billing_overview
from recur_django.einvoice import overview
from recur_django.einvoice.rules import TAIPEI
from recur_django.models import EInvoice, EInvoiceAllowance, Payment
from tests.einvoice.conftest import ECPAY_OPTIONS
from tests.settings import RECUR

pytestmark = pytest.mark.django_db

ECPAY = "recur_django.einvoice.backends.ecpay.ECPayBackend"
NOW = datetime(2026, 3, 15, 12, tzinfo=TAIPEI)
EINVOICING = {
    **RECUR,
    "EINVOICE": {"BACKEND": ECPAY, "OPTIONS": ECPAY_OPTIONS},
    "CLOCK": lambda: NOW,
}
STARTED = NOW - timedelta(days=10)  # when the first invoice row was recorded


def paid(recur_id, hours_ago, *, amount=299, status="paid", invoice=None, relate=None):
    payment = Payment.objects.create(
        recur_id=recur_id,
        kind="renewal",
        status=status,
        amount=amount,
        paid_at=NOW - timedelta(hours=hours_ago),
    )
    if invoice:
        EInvoice.objects.create(
            payment=payment,
            relate_number=relate or recur_id.upper().replace("_", ""),
            status=invoice,
            amount=amount,
            number="AB12345678" if invoice in ("issued", "voided") else "",
        )
    return payment


@pytest.fixture
def books():
    paid("in_first", 240, invoice="issued", relate="RFIRST")
    EInvoice.objects.update(created_at=STARTED)
    late = [
        paid("in_none", 25),  # no invoice row at all
        paid("in_pending", 30, invoice="pending"),
        paid("in_failed", 48, invoice="failed", status="partially_refunded"),
    ]
    paid("in_recent", 23)  # 23 hours: not yet
    paid("in_issued", 40, invoice="issued")
    paid("in_voided", 40, invoice="voided", status="refunded")
    paid("in_free", 40, amount=0)  # nothing to invoice
    paid("in_before", 250)  # paid before e-invoicing started
    Payment.objects.create(recur_id="ord_failed", kind="renewal", status="failed", amount=299)
    paid("in_trigger_1", 40)  # recur_trigger's test data
    issued = EInvoice.objects.get(relate_number="RFIRST")
    for status in ("pending", "failed", "failed", "issued"):
        EInvoiceAllowance.objects.create(einvoice=issued, amount=10, status=status)
    return late


def overview_page(client):
    response = client.get(reverse("admin:recur_django_billingoverview_changelist"))
    assert response.status_code == 200
    return response.content.decode()


@override_settings(RECUR=EINVOICING)
def test_counts_and_late_payments(books):
    e = billing_overview.compute().einvoices
    assert e is not None
    assert (e.invoices_pending, e.invoices_failed) == (1, 1)
    assert (e.allowances_pending, e.allowances_failed) == (1, 2)
    assert e.late_count == 3
    assert [p.recur_id for p in e.late] == ["in_failed", "in_pending", "in_none"]  # oldest first


@override_settings(RECUR=EINVOICING)
def test_page_links_the_filtered_lists_and_warns(staff_client, books):
    page = overview_page(staff_client)
    section = page.split('id="recur-einvoices"')[1]
    invoices = reverse("admin:recur_django_einvoice_changelist")
    allowances = reverse("admin:recur_django_einvoiceallowance_changelist")
    assert f'href="{invoices}?status__exact=pending">1<' in section
    assert f'href="{invoices}?status__exact=failed">1<' in section
    assert f'href="{allowances}?status__exact=pending">1<' in section
    assert f'href="{allowances}?status__exact=failed">2<' in section
    assert "3 paid payments have no issued e-invoice 24 hours after they were paid" in section
    for payment in books:
        assert reverse("admin:recur_django_payment_change", args=[payment.pk]) in section
    assert "in_recent" not in page and "in_before" not in page and "in_trigger_1" not in page


@override_settings(RECUR=EINVOICING)
def test_without_any_invoice_row_the_last_seven_days_count(db):
    paid("in_week", 24 * 6)
    paid("in_older", 24 * 8)
    e = overview.compute()
    assert [p.recur_id for p in e.late] == ["in_week"]


@override_settings(RECUR=EINVOICING)
def test_no_warning_when_every_invoice_is_issued(staff_client, db):
    paid("in_ok", 30, invoice="issued")
    page = overview_page(staff_client)
    assert 'id="recur-einvoices"' in page and "no issued e-invoice" not in page


def test_einvoicing_off_shows_no_section(staff_client, books):
    with override_settings(RECUR={**RECUR, "CLOCK": lambda: NOW}):
        assert billing_overview.compute().einvoices is None
        page = overview_page(staff_client)
    content = page.split('id="content-main"')[1]
    assert 'id="recur-einvoices"' not in content and "e-invoice" not in content.lower()


@override_settings(RECUR=EINVOICING)
def test_queries_are_bounded_with_einvoicing_on(staff_client, books, django_assert_max_num_queries):
    def count_queries():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            overview_page(staff_client)
        return len(captured)

    few = count_queries()
    payments = Payment.objects.bulk_create(
        Payment(
            recur_id=f"in_bulk_{i}",
            kind="renewal",
            status="paid",
            amount=299,
            paid_at=NOW - timedelta(hours=30 + i % 100),
        )
        for i in range(600)
    )
    EInvoice.objects.bulk_create(
        EInvoice(payment=p, relate_number=f"RBULK{i}", status="failed", amount=299)
        for i, p in enumerate(payments[:300])
    )
    assert count_queries() == few, few
    with django_assert_max_num_queries(13):
        page = overview_page(staff_client)
    assert "603 paid payments have no issued e-invoice" in page
