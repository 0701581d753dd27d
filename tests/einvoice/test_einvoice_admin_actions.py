"""The e-invoice admin's actions carried out: retry, void and allowance reach the emulator's
ECPay endpoint over HTTP, and each row gets its message."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.urls import reverse

from recur_django.models import EInvoice, EInvoiceAllowance
from tests.einvoice.flows import MOBILE, buy_with

pytestmark = pytest.mark.django_db(transaction=True)


def act(client, action, rows, model="einvoice", **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [row.pk for row in rows], **extra}
    return client.post(reverse(f"admin:recur_django_{model}_changelist"), data)


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_retry_issues_a_failed_invoice(einvoicing, buyer, staff_client):
    einvoicing.einvoice_refuse(code=1600003, message="Emulated refusal.")
    buy_with(einvoicing, buyer, "ebook", MOBILE)
    einvoice = EInvoice.objects.get()
    assert einvoice.status == "pending" and "Emulated refusal." in einvoice.last_error
    assert not einvoicing.einvoices()
    EInvoice.objects.filter(pk=einvoice.pk).update(status="failed")  # its attempts ran out

    page = act(staff_client, "retry_invoices", [einvoice])
    assert page.status_code == 200 and einvoice.relate_number in page.content.decode()
    assert not einvoicing.einvoices()  # the confirmation page sent nothing

    response = act(staff_client, "retry_invoices", [einvoice], post="yes")
    assert response.status_code == 302
    einvoice.refresh_from_db()
    assert einvoice.status == "issued" and einvoice.number
    assert messages_of(response) == [f"{einvoice.number}: issued."]
    assert [u.number for u in einvoicing.einvoices()] == [einvoice.number]


def test_void_with_a_reason(einvoicing, buyer, staff_client):
    buy_with(einvoicing, buyer, "ebook", MOBILE)
    einvoice = EInvoice.objects.get(status="issued")

    response = act(staff_client, "void_invoices", [einvoice], post="yes", reason="Wrong  buyer")
    assert response.status_code == 302
    einvoice.refresh_from_db()
    assert (einvoice.status, einvoice.void_reason) == ("voided", "Wrong buyer")
    assert messages_of(response) == [f"{einvoice.number}: voided."]
    assert [u.voided_at is not None for u in einvoicing.einvoices()] == [True]


def test_an_allowance_of_the_amount_asked(einvoicing, buyer, staff_client):
    buy_with(einvoicing, buyer, "ebook", MOBILE)
    einvoice = EInvoice.objects.get(status="issued")

    response = act(staff_client, "allow_invoice", [einvoice], post="yes", amount="120")
    assert response.status_code == 302
    allowance = EInvoiceAllowance.objects.get()
    assert (allowance.einvoice_id, allowance.amount, allowance.status) == (
        einvoice.pk,
        120,
        "issued",
    )
    assert allowance.refund is None and allowance.number
    assert messages_of(response) == [f"{allowance.number}: issued."]
    provider = einvoicing.einvoices()[0]
    assert [a.amount for a in provider.allowances.all()] == [120]
    einvoice.refresh_from_db()
    assert einvoice.remaining_amount == 590 - 120

    # What is left is the limit now; a void is refused while the allowance stands.
    page = act(staff_client, "allow_invoice", [einvoice], post="yes", amount="471")
    assert "At most NT$470" in page.content.decode()
    response = act(staff_client, "void_invoices", [einvoice])
    assert messages_of(response)[-1].endswith("it has allowances: void them at the provider first")


def test_a_refused_void_says_why_and_keeps_the_invoice(einvoicing, buyer, staff_client):
    buy_with(einvoicing, buyer, "ebook", MOBILE)
    einvoice = EInvoice.objects.get(status="issued")
    einvoicing.einvoice_refuse(code=1600003, message="Emulated refusal.", operation="Invalid")

    response = act(staff_client, "void_invoices", [einvoice], post="yes", reason="Wrong buyer")
    einvoice.refresh_from_db()
    assert einvoice.status == "issued"
    assert len(messages_of(response)) == 1
    assert "Emulated refusal." in messages_of(response)[0]


def test_retry_leaves_an_invoice_waiting_for_its_next_attempt(einvoicing, buyer, staff_client):
    """A pending invoice backing off (or in flight elsewhere) is not driven twice: the
    message says it waits."""
    einvoicing.einvoice_refuse(code=1600003, message="Emulated refusal.")
    buy_with(einvoicing, buyer, "ebook", MOBILE)
    einvoice = EInvoice.objects.get(status="pending")

    response = act(staff_client, "retry_invoices", [einvoice], post="yes")
    assert messages_of(response) == [
        f"{einvoice}: still pending (ecpay Issue: Emulated refusal.); it will be tried again."
    ]
    assert not einvoicing.einvoices()
