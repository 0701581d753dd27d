"""Money after the team's first payment: renewals, a failed renewal, refunds and the mails,
all carrying the team as owner. On the emulator over HTTP, its clock billing the team."""

from __future__ import annotations

import pytest
from django.core import mail

from recur_django.emulator.models import Order
from recur_django.entitlements import has_entitlement
from recur_django.models import Payment
from tests.teams.conftest import browser_for, buy, flush

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def emails_on(settings):
    kinds = {"receipt": True, "payment_failed": True, "refund": True, "trial_ending": True}
    settings.RECUR = {**settings.RECUR, "EMAILS": kinds}


def test_renewals_bill_the_team_and_mail_its_billing_address(
    recur_emulator, acme, ada, max_, sent, emails_on
):
    first = buy(recur_emulator, browser_for(ada, acme), "pro-monthly")
    mail.outbox.clear()
    recur_emulator.advance(days=32)
    flush(recur_emulator)

    renewal = Payment.objects.get(kind=Payment.Kind.RENEWAL)
    assert renewal.owner == acme
    assert renewal.user is None  # nobody acted: the team's card was charged
    assert renewal.customer.owner == acme and renewal.transaction is None
    (renewed,) = sent["subscription_renewed"]
    assert (renewed["owner"], renewed["user"], renewed["payment"]) == (acme, None, renewal)
    assert [(c["owner"], c["user"]) for c in sent["payment_succeeded"]] == [
        (acme, ada),  # the first payment: Ada bought
        (acme, None),  # the renewal
    ]
    assert Payment.objects.get(transaction=first).user == ada

    (receipt,) = mail.outbox
    assert receipt.to == ["billing@acme.example"]
    assert "Acme" in receipt.body
    assert has_entitlement(acme, "pro-monthly")


def test_a_failed_renewal_tells_the_team(recur_emulator, acme, ada, sent, emails_on):
    buy(recur_emulator, browser_for(ada, acme), "pro-monthly")
    recur_emulator.fail_card(acme.recur_customer.recur_id)
    mail.outbox.clear()
    recur_emulator.advance(days=32)
    flush(recur_emulator)

    failed = Payment.objects.get(status=Payment.Status.FAILED)
    assert failed.owner == acme
    assert [(c["owner"], c["user"]) for c in sent["payment_failed"]] == [(acme, None)]
    assert [m.to for m in mail.outbox] == [["billing@acme.example"]]


def test_a_refund_takes_the_teams_purchase_back(recur_emulator, acme, ada, sent, emails_on):
    buy(recur_emulator, browser_for(ada, acme), "ebook")
    assert has_entitlement(acme, "ebook")
    mail.outbox.clear()

    recur_emulator.refund(Order.objects.get().id)
    flush(recur_emulator)

    payment = Payment.objects.get()
    assert (payment.status, payment.owner, payment.user) == ("refunded", acme, ada)
    (refunded,) = sent["payment_refunded"]
    assert (refunded["owner"], refunded["user"], refunded["amount"]) == (acme, ada, 590)
    assert not has_entitlement(acme, "ebook")
    assert [m.to for m in mail.outbox] == [["billing@acme.example"]]
