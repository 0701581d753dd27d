from __future__ import annotations

import json
import time

import pytest
import requests
from django.core.management import call_command

from recur_django.emulator.models import Order, Subscription
from recur_django.webhooks.signature import SignatureError, verify_signature

from .test_portal_and_lists import subscribe


def test_advance_renews_due_subscriptions(recur_emulator, api):
    subscribe(recur_emulator, api)
    sub = Subscription.objects.get()
    first_end = sub.current_period_end
    recur_emulator.advance(days=10)
    assert recur_emulator.events("subscription.renewed") == []
    recur_emulator.advance(days=25)
    sub.refresh_from_db()
    assert sub.status == "ACTIVE"
    assert sub.current_period_start == first_end
    assert sub.current_period_end > first_end
    types = [e["type"] for e in recur_emulator.events()][-2:]
    assert types == ["invoice.paid", "subscription.renewed"]
    invoice = recur_emulator.events("invoice.paid")[0]["data"]
    assert invoice["subscription_id"] == sub.id and invoice["amount"] == 299
    assert Order.objects.filter(kind="RENEWAL", status="PAID").count() == 1


def test_failing_card_goes_past_due_then_expires(recur_emulator, api):
    done = subscribe(recur_emulator, api)
    recur_emulator.fail_card("amy@example.com")
    recur_emulator.advance(days=32)
    sub = Subscription.objects.get()
    assert sub.status == "PAST_DUE"
    types = [e["type"] for e in recur_emulator.events()]
    first = types.index("invoice.payment_failed")  # daily retries may follow
    assert types[first - 1 : first + 2] == [
        "order.payment_failed",
        "invoice.payment_failed",
        "subscription.past_due",
    ]
    entitlement = api.get(f"customers/entitlements?customer_id={done['customer_id']}").json()
    assert entitlement["entitlements"][0]["status"] == "past_due"
    recur_emulator.advance(days=3)
    sub.refresh_from_db()
    assert sub.status == "EXPIRED"
    expired = recur_emulator.events("subscription.expired")
    assert len(expired) == 1 and expired[0]["data"]["status"] == "EXPIRED"
    assert (
        api.get(f"customers/entitlements?customer_id={done['customer_id']}").json()["entitlements"]
        == []
    )


def test_past_due_recovers_when_the_card_works_again(recur_emulator, api):
    subscribe(recur_emulator, api)
    recur_emulator.fail_card("amy@example.com")
    recur_emulator.advance(days=31)
    recur_emulator.fail_card("amy@example.com", fails=False)
    recur_emulator.advance(days=1)
    assert Subscription.objects.get().status == "ACTIVE"
    assert recur_emulator.events()[-1]["type"] == "subscription.renewed"


def test_cancel_at_period_end_ends_at_period_end(recur_emulator, api):
    subscribe(recur_emulator, api)
    sub = Subscription.objects.get()
    from recur_django.emulator.services import subscriptions

    subscriptions.cancel(sub, at_period_end=True)
    recur_emulator.advance(days=40)
    sub.refresh_from_db()
    assert sub.status == "CANCELED"
    assert recur_emulator.events()[-1]["type"] == "subscription.expired"
    assert not recur_emulator.events("subscription.renewed")


def test_advance_command_and_control_endpoint(recur_emulator, api, capsys):
    subscribe(recur_emulator, api)
    call_command("recur_emulator", "advance", "--days", "31")
    assert "1 subscription changes" in capsys.readouterr().out
    response = recur_emulator.control(action="card", customer="amy@example.com", fails=True)
    assert response.json() == {
        "customer": Subscription.objects.get().customer_id,
        "card_fails": True,
    }
    response = recur_emulator.control(action="advance", days=31)
    assert response.status_code == 200 and response.json()["transitions"] >= 1
    assert Subscription.objects.get().status in ("PAST_DUE", "EXPIRED")
    assert recur_emulator.control(action="bogus").status_code == 400
    assert recur_emulator.control(fault="nope").status_code == 400
    assert recur_emulator.control(fault="429", retry_after="x").status_code == 400
    assert recur_emulator.control(action="card", customer="ghost").status_code == 404
    anonymous = requests.post(
        recur_emulator.url("_control/"), json={"action": "deliver"}, timeout=5
    )
    assert anonymous.status_code == 401


def test_api_fault_500_then_recovers(recur_emulator, api):
    assert recur_emulator.control(fault="500", count=2).status_code == 200
    assert api.get("products").status_code == 500
    second = api.get("products")
    assert second.status_code == 500 and second.json()["error"]["code"] == "internal_error"
    assert api.get("products").status_code == 200


def test_api_fault_429_sends_retry_after(recur_emulator, api):
    recur_emulator.fault("429", retry_after=2)
    response = api.get("products")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "2"
    assert response.json()["error"]["code"] == "rate_limited"
    assert api.get("products").status_code == 200


def test_api_fault_hang_outlasts_a_read_timeout(recur_emulator, api):
    recur_emulator.fault("hang", seconds=1.5)
    started = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        api.http.get(
            api.base + "products",
            headers={"Authorization": "Bearer sk_test_tests"},
            timeout=(2, 0.5),
        )
    # A real server thread is still sleeping in the hang (not emulator time, so the test
    # clock cannot shorten it): let it finish before the database is flushed.
    time.sleep(1.2)
    assert time.monotonic() - started >= 1.5
    assert api.get("products").status_code == 200


def test_standing_faults_from_settings(recur_emulator, api, capture, settings):
    settings.RECUR_EMULATOR = {**settings.RECUR_EMULATOR, "FAULTS": [{"fault": "duplicate"}]}
    api.checkout("prod_ebook")
    api.checkout("prod_ebook")
    assert len(recur_emulator.deliver()) == 4


def test_webhook_duplicate_and_bad_signature(recur_emulator, api, capture):
    recur_emulator.fault("duplicate")
    api.checkout("prod_ebook")
    recur_emulator.fault("bad_signature")
    api.checkout("prod_ebook")
    recur_emulator.deliver()
    ids = [h["X-Recur-Event-Id"] for h, _ in capture.requests]
    assert len(ids) == 3 and ids[0] == ids[1] != ids[2]
    for headers, body in capture.requests[:2]:
        verify_signature(body, headers, ["whsec_test_secret"])
    with pytest.raises(SignatureError):
        verify_signature(capture.requests[2][1], capture.requests[2][0], ["whsec_test_secret"])


def test_webhook_out_of_order(recur_emulator, api, capture):
    recur_emulator.fault("out_of_order")
    session = api.checkout("prod_ebook")
    recur_emulator.pay(session["id"])
    recur_emulator.deliver()
    types = [json.loads(body)["type"] for _, body in capture.requests]
    assert types[:2] == ["customer.created", "checkout.created"]


def test_webhook_delay(recur_emulator, api, capture):
    """The delay is measured on the emulator's clock: advancing it releases the event."""
    recur_emulator.fault("delay", seconds=60)
    api.checkout("prod_ebook")
    assert recur_emulator.deliver() == []
    recur_emulator.advance(seconds=59)
    assert recur_emulator.deliver() == []
    recur_emulator.advance(seconds=2)
    assert len(recur_emulator.deliver()) == 1


def test_faults_can_be_cleared(recur_emulator, api):
    recur_emulator.fault("500", count=5)
    assert recur_emulator.control(action="clear_faults").json() == {"cleared": 1}
    assert api.get("products").status_code == 200
