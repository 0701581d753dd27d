"""Issuing exactly once through the emulator: lost answers, duplicate and concurrent
deliveries, backoff then failed, the retry command, e-invoicing off, receipts."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from recur_django.einvoice import jobs
from recur_django.einvoice.issuing import ensure_einvoice, issue_einvoice, relate_number_for
from recur_django.einvoice.retry import retry_all
from recur_django.emulator.models import Order
from recur_django.models import EInvoice, EInvoiceAllowance, Payment
from tests.einvoice.flows import MOBILE, buy_with
from tests.ledger_e2e.conftest import flush
from tests.recur_helpers import run_together

pytestmark = pytest.mark.django_db(transaction=True)


def make_due() -> None:
    """Time passes: every backoff is over."""
    EInvoice.objects.filter(status="pending").update(next_attempt_at=timezone.now())
    EInvoiceAllowance.objects.filter(status="pending").update(next_attempt_at=timezone.now())


def test_a_lost_answer_is_asked_about_and_never_issues_twice(einvoicing, buyer, einvoice_sent):
    einvoicing.einvoice_lose_answer("Issue")  # issued at the provider, its answer lost
    buy_with(einvoicing, buyer, "ebook", MOBILE)

    einvoice = EInvoice.objects.get()
    provider = einvoicing.einvoices()
    assert len(provider) == 1
    assert (einvoice.status, einvoice.number) == ("issued", provider[0].number)
    assert einvoice.attempts == 1 and einvoice.last_error == ""
    assert len(einvoice_sent["einvoice_issued"]) == 1

    # Asked again (a duplicate task, the retry command): nothing more is issued.
    assert issue_einvoice(einvoice.pk).number == einvoice.number
    assert retry_all().total == 0
    assert len(einvoicing.einvoices()) == 1 and len(einvoice_sent["einvoice_issued"]) == 1


def test_duplicate_deliveries_issue_once(einvoicing, buyer, einvoice_sent):
    einvoicing.fault("duplicate", count=10)
    buy_with(einvoicing, buyer, "ebook", MOBILE)
    payment = Payment.objects.get()
    for _ in range(3):
        ensure_einvoice(payment)
    assert EInvoice.objects.count() == 1 and len(einvoicing.einvoices()) == 1
    assert len(einvoice_sent["einvoice_issued"]) == 1


def test_the_relate_number_comes_from_the_charge_id():
    payment = Payment(recur_id="in_7Fq2Zx")
    assert relate_number_for(payment) == "in7Fq2Zx"
    long = Payment(recur_id="in_" + "x" * 40)
    hashed = relate_number_for(long, 20)
    assert hashed.startswith("R") and len(hashed) == 20 and hashed.isalnum()
    assert relate_number_for(long, 20) == hashed != relate_number_for(Payment(recur_id="in_y"), 20)


def test_refusals_back_off_then_fail_with_the_providers_message_and_retry_issues(
    einvoicing, buyer, einvoice_sent
):
    einvoicing.einvoice_refuse(message="Carrier is closed.", count=jobs.MAX_ATTEMPTS)
    buy_with(einvoicing, buyer, "ebook", MOBILE)
    einvoice = EInvoice.objects.get()
    assert (einvoice.status, einvoice.attempts) == ("pending", 1)
    assert "Carrier is closed." in einvoice.last_error
    assert einvoice.next_attempt_at > timezone.now() + jobs.backoff(1) / 2
    assert retry_all().total == 0  # not due yet

    for attempt in range(2, jobs.MAX_ATTEMPTS + 1):
        make_due()
        retry_all()
        einvoice.refresh_from_db()
        assert einvoice.attempts == attempt
    assert (einvoice.status, einvoice.next_attempt_at) == ("failed", None)
    assert [c["error"] for c in einvoice_sent["einvoice_failed"]] == [einvoice.last_error]
    assert einvoice_sent["einvoice_failed"][0]["allowance"] is None
    assert einvoicing.einvoices() == []

    out = StringIO()
    call_command("recur_einvoice", "retry", stdout=out)
    einvoice.refresh_from_db()
    assert einvoice.status == "issued" and einvoice.number
    assert "1 issued" in out.getvalue()
    assert len(einvoicing.einvoices()) == 1


def test_a_refund_before_the_invoice_is_issued_waits_for_it(einvoicing, buyer, einvoice_sent):
    einvoicing.einvoice_down("Issue", count=2)  # the first attempt (and its re-send) fail
    buy_with(einvoicing, buyer, "ebook", MOBILE)
    einvoice = EInvoice.objects.get()
    assert einvoice.status == "pending"

    einvoicing.refund(Order.objects.get().id, amount=200)
    flush(einvoicing)
    einvoice.refresh_from_db()
    assert einvoice.status == "pending" and not EInvoiceAllowance.objects.exists()

    make_due()
    report = retry_all()
    einvoice.refresh_from_db()
    assert einvoice.status == "issued"
    allowance = einvoice.allowances.get()
    assert (allowance.amount, allowance.status) == (200, "issued")
    assert report.invoices["issued"] == 1
    assert len(einvoicing.einvoices()) == 1


def test_a_full_refund_before_the_invoice_is_issued_voids_it_once_issued(
    einvoicing, buyer, einvoice_sent
):
    einvoicing.einvoice_down("Issue", count=2)
    buy_with(einvoicing, buyer, "ebook", MOBILE)
    einvoicing.refund(Order.objects.get().id)
    flush(einvoicing)
    make_due()
    retry_all()
    einvoice = EInvoice.objects.get()
    assert einvoice.status == "voided"
    assert len(einvoice_sent["einvoice_voided"]) == 1


def test_a_lost_allowance_answer_is_resolved_by_the_remaining_amount(
    einvoicing, buyer, einvoice_sent
):
    buy_with(einvoicing, buyer, "ebook", MOBILE)
    einvoicing.einvoice_lose_answer("Allowance")
    einvoicing.refund(Order.objects.get().id, amount=90)
    flush(einvoicing)

    allowance = EInvoiceAllowance.objects.get()
    assert (allowance.status, allowance.amount, allowance.remaining_before) == ("issued", 90, 590)
    assert allowance.number == "" and "dashboard" in allowance.last_error
    [provider] = einvoicing.einvoices()
    assert provider.remaining_allowance == 500 and provider.allowances.count() == 1
    assert len(einvoice_sent["einvoice_allowance_issued"]) == 1


def test_einvoicing_off_creates_and_calls_nothing(recur_emulator, buyer):
    buy_with(recur_emulator, buyer, "ebook", MOBILE)
    recur_emulator.refund(Order.objects.get().id)
    flush(recur_emulator)
    assert not EInvoice.objects.exists() and recur_emulator.einvoices() == []
    with pytest.raises(CommandError, match="off"):
        call_command("recur_einvoice", "retry", stdout=StringIO())


def test_the_receipt_waits_for_the_invoice_number(einvoicing, buyer, settings):
    settings.RECUR = {**settings.RECUR, "EMAILS": {"receipt": True}}
    buy_with(einvoicing, buyer, "ebook", MOBILE)
    einvoice = EInvoice.objects.get()
    [receipt] = mail.outbox
    assert einvoice.number and einvoice.number in receipt.body
    assert einvoice.number in receipt.alternatives[0][0]


def test_a_failed_invoice_still_sends_the_receipt_without_a_number(einvoicing, buyer, settings):
    settings.RECUR = {**settings.RECUR, "EMAILS": {"receipt": True}}
    einvoicing.einvoice_refuse(count=1)
    buy_with(einvoicing, buyer, "ebook", MOBILE)
    assert mail.outbox == []  # pending: the receipt waits
    EInvoice.objects.update(attempts=jobs.MAX_ATTEMPTS - 1)
    einvoicing.einvoice_refuse(count=1)
    make_due()
    retry_all()
    assert EInvoice.objects.get().status == "failed"
    [receipt] = mail.outbox
    assert "Invoice number" not in receipt.body


@pytest.mark.postgres_only
def test_concurrent_deliveries_and_tasks_issue_once(einvoicing, buyer, einvoice_sent):
    einvoicing.einvoice_down("Issue", count=2)  # leave the invoice pending
    buy_with(einvoicing, buyer, "ebook", MOBILE)
    payment = Payment.objects.get()
    EInvoice.objects.all().delete()  # as if the payment had just been recorded

    created = run_together(lambda i: ensure_einvoice(payment), 6)
    assert len({e.pk for e in created}) == 1
    make_due()
    run_together(lambda i: issue_einvoice(created[0].pk), 6)
    einvoice = EInvoice.objects.get()
    assert einvoice.status == "issued"
    assert len(einvoicing.einvoices()) == 1
    assert len(einvoice_sent["einvoice_issued"]) == 1
