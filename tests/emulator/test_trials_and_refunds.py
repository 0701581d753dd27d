"""Trials (verification charge, trial_ending, first charge) and refunds over HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from recur_django.emulator import clock
from recur_django.emulator.models import Invoice, Order, Refund, Subscription
from recur_django.emulator.services.refunds import RefundError

from .billing_helpers import advance_to, delivered, of_type, types_of
from .test_portal_and_lists import subscribe


def test_trial_verification_notice_and_first_charge(recur_emulator, api, capture, trial_product):
    session = api.checkout("prod_pro_trial", metadata={"transaction_id": "txn_trial"})
    assert session["amount"] == 2
    assert recur_emulator.pay(session["id"]).status_code == 303
    events = delivered(recur_emulator, capture)
    verification = of_type(events, "order.paid")[0]
    assert (verification["amount"], verification["billing_reason"]) == (2, "trial_verification")
    assert verification["checkout_session_id"] == session["id"]
    assert verification["metadata"] == {"transaction_id": "txn_trial"}
    assert verification["invoice_id"] is None
    activated = of_type(events, "subscription.activated")[0]
    sub = Subscription.objects.get()
    assert activated["status"] == "TRIAL" == sub.status
    assert activated["trial_end"] == clock.iso(sub.trial_end) == activated["current_period_end"]
    assert sub.trial_end - sub.started_at == timedelta(days=14)

    advance_to(recur_emulator, sub.trial_end - timedelta(days=3))
    events = delivered(recur_emulator, capture)
    assert types_of(events) == ["subscription.trial_ending"]
    assert events[0]["timestamp"] == clock.iso(sub.trial_end - timedelta(days=3))
    recur_emulator.advance(days=2)
    assert delivered(recur_emulator, capture) == []  # announced once

    advance_to(recur_emulator, sub.trial_end)
    events = delivered(recur_emulator, capture)
    assert types_of(events) == [
        "invoice.created",
        "order.paid",
        "invoice.paid",
        "subscription.renewed",
    ]
    charge = of_type(events, "invoice.paid")[0]
    assert (charge["amount"], charge["billing_reason"]) == (299, "subscription_cycle")
    assert charge["period_start"] == clock.iso(sub.trial_end)
    renewed = of_type(events, "subscription.renewed")[0]
    assert renewed["status"] == "ACTIVE"
    assert renewed["current_period_start"] == clock.iso(sub.trial_end)


def test_partial_refunds_add_up_and_over_refunds_are_refused(recur_emulator, api, capture):
    done = subscribe(recur_emulator, api, product="prod_ebook", metadata={"transaction_id": "t1"})
    delivered(recur_emulator, capture)
    order_id = done["order_id"]

    first = recur_emulator.control(action="refund", order=order_id, amount=200, reason="late")
    assert first.status_code == 200, first.text
    assert (first.json()["amount"], first.json()["refunded_total"]) == (200, 200)
    too_much = recur_emulator.control(action="refund", order=order_id, amount=391)
    assert too_much.status_code == 400
    assert too_much.json()["error"]["code"] == "amount_too_large"
    assert Order.objects.get(id=order_id).status == "PARTIALLY_REFUNDED"

    rest = recur_emulator.refund(order_id)
    assert (rest["amount"], rest["refunded_total"], rest["status"]) == (390, 590, "SUCCEEDED")
    assert recur_emulator.control(action="refund", order=order_id, amount=1).status_code == 400
    with pytest.raises(RefundError):
        recur_emulator.refund(order_id)

    events = delivered(recur_emulator, capture)
    assert types_of(events) == ["refund.created", "refund.succeeded"] * 2
    succeeded = of_type(events, "refund.succeeded")
    assert [(r["amount"], r["refunded_total"]) for r in succeeded] == [(200, 200), (390, 590)]
    for refund in of_type(events, "refund.created", "refund.succeeded"):
        assert refund["id"].startswith("re_") and refund["order_id"] == order_id
        assert refund["invoice_id"] is None and refund["currency"] == "TWD"
        assert refund["customer_id"] == done["customer_id"]
    assert of_type(events, "refund.created")[0]["status"] == "PENDING"
    assert succeeded[0]["reason"] == "late"
    assert succeeded[0]["billing_reason"] == "purchase"
    assert Order.objects.get(id=order_id).status == "REFUNDED"
    entitlements = api.get(f"customers/entitlements?customer_id={done['customer_id']}").json()
    assert entitlements["entitlements"] == []  # a fully refunded purchase grants nothing


def test_refund_errors_are_clear(recur_emulator, api):
    assert recur_emulator.control(action="refund").status_code == 400
    missing = recur_emulator.control(action="refund", order="ord_nope")
    assert missing.status_code == 404
    assert recur_emulator.control(action="refund", order="in_nope").status_code == 404
    bad = recur_emulator.control(action="refund", order="ord_x", amount=0)
    assert bad.status_code == 400 and "amount" in bad.json()["error"]["message"]
    session = api.checkout("prod_ebook")
    recur_emulator.pay(session["id"], card="4000000000000002")
    failed = Order.objects.get(status="FAILED")
    refused = recur_emulator.control(action="refund", order=failed.id)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "not_refundable"


def test_refund_an_invoice_by_command(recur_emulator, api, capture, capsys):
    subscribe(recur_emulator, api)
    advance_to(recur_emulator, Subscription.objects.get().current_period_end)
    delivered(recur_emulator, capture)
    invoice = Invoice.objects.get()

    call_command("recur_emulator", "refund", invoice.id, "--amount", "99")

    out = capsys.readouterr().out
    refund = Refund.objects.get()
    assert f"Refund {refund.id}: 99 TWD" in out and "(99 of 299 refunded)" in out
    events = delivered(recur_emulator, capture)
    assert types_of(events) == ["refund.created", "refund.succeeded", "invoice.refunded"]
    data = of_type(events, "refund.succeeded")[0]
    assert data["invoice_id"] == invoice.id and data["subscription_id"] == invoice.subscription_id
    refunded = of_type(events, "invoice.refunded")[0]
    assert refunded["status"] == "PARTIALLY_REFUNDED" and refunded["amount_refunded"] == 99
    assert Subscription.objects.get().status == "ACTIVE"  # a refund changes no subscription
    with pytest.raises(CommandError, match="between 1 and 200"):
        call_command("recur_emulator", "refund", invoice.id, "--amount", "201")
    with pytest.raises(CommandError):
        call_command("recur_emulator", "refund", "ord_missing")


def test_refund_action_in_the_admin(recur_emulator, api, client):
    done = subscribe(recur_emulator, api, product="prod_ebook")
    admin = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
    client.force_login(admin)
    changelist = "/admin/recur_emulator/order/"
    response = client.post(
        changelist, {"action": "refund", "_selected_action": [done["order_id"]]}, follow=True
    )
    assert response.status_code == 200
    assert Order.objects.get(id=done["order_id"]).status == "REFUNDED"
    assert "1 refund made." in response.content.decode()
    again = client.post(
        changelist, {"action": "refund", "_selected_action": [done["order_id"]]}, follow=True
    )
    assert "nothing to refund" in again.content.decode()
    assert client.get("/admin/recur_emulator/refund/").status_code == 200
    assert client.get("/admin/recur_emulator/invoice/").status_code == 200
