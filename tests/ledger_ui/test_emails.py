"""Opt-in receipts and notices: one mail per payment/event, translated, overridable."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import django
import pytest
from django.core import mail
from django.test import override_settings
from django.utils import translation

from recur_django.models import Customer
from tests.ledger.payloads import invoice, order, refund
from tests.recur_helpers import envelope
from tests.settings import RECUR

pytestmark = pytest.mark.django_db

ALL_ON = {"receipt": True, "payment_failed": True, "trial_ending": True, "refund": True}


def emails(**kinds):
    return override_settings(RECUR={**RECUR, "EMAILS": kinds})


@pytest.fixture
def customer(user):
    return Customer.objects.create(recur_id="cus_ann", owner=user, email=user.email)


def test_off_by_default(customer, deliver):
    deliver(envelope("order.paid", order("ord_1")))
    assert mail.outbox == []


def test_receipt_once_per_payment_with_twd_amount(customer, user, deliver):
    with emails(receipt=True):
        paid = envelope("order.paid", order("ord_1", amount=2990))
        deliver(paid)
        deliver(paid)  # duplicate delivery
        deliver(envelope("order.paid", order("ord_1", amount=2990)))  # new event id, same order
    [message] = mail.outbox
    assert message.to == [user.email]
    assert "NT$2,990" in message.subject and "NT$2,990" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "<strong>NT$2,990</strong>" in html
    assert "ord_1" in message.body


def test_each_kind_goes_to_the_customer(customer, user, deliver):
    with emails(**ALL_ON):
        deliver(envelope("order.paid", order("ord_1", amount=290)))
        deliver(envelope("refund.succeeded", refund("re_1", amount=90, order_id="ord_1")))
        deliver(
            envelope(
                "invoice.payment_failed",
                invoice("in_2", subscription_id="sub_1", failure_reason="insufficient_funds"),
            )
        )
    subjects = [m.subject for m in mail.outbox]
    assert len(subjects) == 3, subjects
    assert subjects[0].startswith("Receipt: NT$290")
    assert subjects[1].startswith("Refund: NT$90")
    assert "did not go through" in subjects[2]
    assert "insufficient_funds" in mail.outbox[2].body
    assert all(m.to == [user.email] for m in mail.outbox)


def test_failure_mail_is_quiet_when_the_retry_already_paid(customer, deliver):
    with emails(payment_failed=True):
        deliver(envelope("invoice.paid", invoice("in_7", subscription_id="sub_1")))
        deliver(envelope("invoice.payment_failed", invoice("in_7", subscription_id="sub_1")))
    assert mail.outbox == []


def _trial(days=3):
    end = datetime(2026, 3, 4, tzinfo=UTC)
    return {
        "id": "sub_1",
        "customer_id": "cus_ann",
        "status": "TRIAL",
        "product_id": "prod_pro_monthly",
        "product_slug": "pro-monthly",
        "product_name": "Pro (monthly)",
        "amount": 299,
        "trial_end": end.isoformat(),
        "current_period_end": (end + timedelta(days=days)).isoformat(),
    }


def test_trial_ending_once_in_traditional_chinese(customer, deliver):
    with emails(trial_ending=True), override_settings(LANGUAGE_CODE="zh-hant"):
        deliver(envelope("subscription.trial_ending", _trial()))
        deliver(envelope("subscription.trial_ending", _trial()))
    [message] = mail.outbox
    assert "試用" in message.subject, message.subject
    assert "NT$299" in message.body


def test_receipt_in_traditional_chinese(customer, deliver):
    with emails(receipt=True), override_settings(LANGUAGE_CODE="zh-hant"):
        deliver(envelope("order.paid", order("ord_1", amount=590)))
    [message] = mail.outbox
    assert "收據" in message.subject and "NT$590" in message.subject
    assert "謝謝您" in message.body and "謝謝您" in message.alternatives[0][0]


def test_the_site_language_wins_over_the_webhook_request(customer, deliver):
    with emails(receipt=True), translation.override("zh-hant"):
        deliver(envelope("order.paid", order("ord_1")), HTTP_ACCEPT_LANGUAGE="zh-hant")
    assert mail.outbox[0].subject.startswith("Receipt:")  # LANGUAGE_CODE is "en"


def test_without_a_user_the_recur_customers_address_is_used(deliver):
    Customer.objects.create(recur_id="cus_ann", email="buyer@example.com")
    with emails(receipt=True):
        deliver(envelope("order.paid", order("ord_1")))
    assert [m.to for m in mail.outbox] == [["buyer@example.com"]]


def test_a_project_overrides_the_templates(customer, deliver, tmp_path, settings):
    folder = tmp_path / "recur_django" / "emails"
    folder.mkdir(parents=True)
    (folder / "receipt_subject.txt").write_text("Thanks from Acme")
    (folder / "receipt.txt").write_text("Paid {{ amount }}")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [str(tmp_path), *settings.TEMPLATES[0].get("DIRS", [])]}
    ]
    with emails(receipt=True):
        deliver(envelope("order.paid", order("ord_1")))
    [message] = mail.outbox
    assert (message.subject, message.body) == ("Thanks from Acme", "Paid NT$290")


def test_only_safe_links_are_mailed(customer, deliver):
    unsafe = order("ord_1", receipt_url="javascript:alert(1)")
    safe = order("ord_2", receipt_url="https://recur.tw/r/ord_2")
    with emails(receipt=True):
        deliver(envelope("order.paid", unsafe))
        deliver(envelope("order.paid", safe))
    first, second = mail.outbox
    assert "javascript" not in first.body and "javascript" not in first.alternatives[0][0]
    assert "https://recur.tw/r/ord_2" in second.body


FAILING_BACKEND = "tests.ledger_ui.failing_backend.FailingBackend"
# Django 6.1 configures mail through MAILERS (EMAIL_BACKEND is deprecated there).
failing_mail = (
    override_settings(MAILERS={"default": {"BACKEND": FAILING_BACKEND}})
    if django.VERSION >= (6, 1)
    else override_settings(EMAIL_BACKEND=FAILING_BACKEND)
)


@failing_mail
def test_a_failing_mail_backend_is_logged_and_never_breaks_the_webhook(
    customer, deliver, sent, caplog
):
    with emails(receipt=True), caplog.at_level(logging.ERROR, "recur_django.emails"):
        deliver(envelope("order.paid", order("ord_1")))  # asserts HTTP 200
    assert len(sent["payment_succeeded"]) == 1
    assert "Could not send the receipt mail (ConnectionRefusedError)" in caplog.text


def test_subjects_and_text_bodies_are_plain_text_and_html_is_escaped(user, deliver):
    """Names with ``&``, quotes and ``<`` read as written in the subject and the text part;
    only the HTML part escapes them."""
    from recur_django.models import Subscription

    user.first_name, user.last_name = "Tom & Jerry's", "<Co>"
    user.save()
    customer = Customer.objects.create(recur_id="cus_ann", owner=user, email=user.email)
    Subscription.objects.create(
        recur_id="sub_1", customer=customer, product_name='Tom & Jerry\'s "Pro" <plan>'
    )
    with emails(**ALL_ON):
        deliver(envelope("invoice.paid", invoice("in_1", subscription_id="sub_1")))
        deliver(envelope("refund.succeeded", refund("re_1", amount=90, invoice_id="in_1")))
        deliver(
            envelope(
                "invoice.payment_failed",
                invoice("in_2", subscription_id="sub_1", failure_reason="R&D <declined>"),
            )
        )
    assert len(mail.outbox) == 3
    product = 'Tom & Jerry\'s "Pro" <plan>'
    for message in mail.outbox:
        assert product in message.subject, message.subject
        assert "&amp;" not in message.subject and "&#x27;" not in message.subject
        assert product in message.body and "Tom & Jerry's <Co>" in message.body
        assert "&amp;" not in message.body and "&lt;" not in message.body
        html, _mimetype = message.alternatives[0]
        assert "Tom &amp; Jerry&#x27;s &quot;Pro&quot; &lt;plan&gt;" in html
        assert "<plan>" not in html and "<Co>" not in html
    assert "R&D <declined>" in mail.outbox[2].body
    assert "R&amp;D &lt;declined&gt;" in mail.outbox[2].alternatives[0][0]
