"""Cancel, resume and switch without the portal: control actions, the command, the fixture.
They share the portal's implementation, so the events are the portal's."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from recur_django.emulator.models import Order, Subscription
from recur_django.emulator.services.lifecycle import SubscriptionChangeError

from .test_portal_and_lists import subscribe


@pytest.fixture
def sub_id(recur_emulator, api) -> str:
    return str(subscribe(recur_emulator, api)["subscription_id"])


def test_cancel_now_ends_the_subscription_and_its_entitlement(recur_emulator, api, sub_id):
    customer = Subscription.objects.get(id=sub_id).customer_id
    data = recur_emulator.cancel(sub_id)
    assert (data["status"], data["cancel_at_period_end"]) == ("CANCELED", False)
    assert data["ended_at"] == data["canceled_at"] is not None
    event = recur_emulator.events("subscription.cancelled")[-1]["data"]
    assert event["ended_at"] == data["ended_at"]
    entitlements = api.get("customers/entitlements", params={"customer_id": customer}).json()
    assert entitlements["entitlements"] == []


def test_cancel_at_period_end_keeps_it_until_then_and_resume_keeps_it(recur_emulator, api, sub_id):
    data = recur_emulator.cancel(sub_id, at_period_end=True)
    assert (data["status"], data["cancel_at_period_end"]) == ("ACTIVE", True)
    assert data["ended_at"] is None and data["next_billing_date"] is None
    resumed = recur_emulator.resume(sub_id)
    assert (resumed["cancel_at_period_end"], resumed["canceled_at"]) == (False, None)
    assert recur_emulator.events()[-1]["type"] == "subscription.updated"
    recur_emulator.advance(days=31)
    assert Subscription.objects.get(id=sub_id).status == "ACTIVE"  # renewed


def test_refused_changes(recur_emulator, sub_id):
    with pytest.raises(SubscriptionChangeError) as missing:
        recur_emulator.cancel("sub_nope")
    assert missing.value.status == 404
    with pytest.raises(SubscriptionChangeError):
        recur_emulator.resume(sub_id)  # not set to cancel
    recur_emulator.cancel(sub_id)
    with pytest.raises(SubscriptionChangeError):
        recur_emulator.cancel(sub_id)  # already ended
    with pytest.raises(SubscriptionChangeError):
        recur_emulator.switch(sub_id, "prod_pro_yearly")  # ended
    with pytest.raises(SubscriptionChangeError):
        recur_emulator.resume(sub_id)


def test_upgrade_applies_now_with_the_portals_prorated_charge(recur_emulator, sub_id):
    data = recur_emulator.switch(sub_id, "pro-yearly")  # a slug works too
    assert (data["product_id"], data["amount"], data["interval"]) == (
        "prod_pro_yearly",
        2990,
        "year",
    )
    assert recur_emulator.events()[-1]["type"] == "subscription.upgraded"
    charge = Order.objects.get(kind=Order.Kind.PRORATION)
    assert 2990 - 299 <= charge.amount < 2990


def test_downgrade_waits_for_the_period_end(recur_emulator, api):
    sub_id = subscribe(recur_emulator, api, product="prod_pro_yearly")["subscription_id"]
    data = recur_emulator.switch(sub_id, "prod_pro_monthly")
    assert data["product_id"] == "prod_pro_yearly"
    assert data["scheduled_change"]["product_id"] == "prod_pro_monthly"
    assert recur_emulator.events()[-1]["type"] == "subscription.schedule_created"
    recur_emulator.advance(days=366)
    assert "subscription.downgraded" in [e["type"] for e in recur_emulator.events()]
    assert Subscription.objects.get(id=sub_id).product_id == "prod_pro_monthly"


def test_control_actions(recur_emulator, sub_id):
    bad = recur_emulator.control(action="switch", subscription=sub_id, product="prod_ebook")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "other_family"
    switched = recur_emulator.control(action="switch", subscription=sub_id, product="pro-yearly")
    assert switched.status_code == 200, switched.text
    assert switched.json()["outcome"] == "upgraded"
    later = recur_emulator.control(action="cancel", subscription=sub_id, at_period_end=True)
    assert later.json()["subscription"]["cancel_at_period_end"] is True
    resumed = recur_emulator.control(action="resume", subscription=sub_id)
    assert resumed.json()["outcome"] == "resumed"
    now = recur_emulator.control(action="cancel", subscription=sub_id)
    assert now.json()["subscription"]["status"] == "CANCELED"
    missing = recur_emulator.control(action="cancel", subscription="sub_nope")
    assert missing.status_code == 404
    assert recur_emulator.control(action="cancel").status_code == 400


def test_commands(recur_emulator, sub_id):
    out = StringIO()
    call_command("recur_emulator", "switch", sub_id, "prod_pro_yearly", stdout=out)
    assert f"{sub_id}: upgraded" in out.getvalue()
    call_command("recur_emulator", "cancel", sub_id, "--at-period-end", stdout=out)
    assert "cancels at period end" in out.getvalue()
    call_command("recur_emulator", "resume", sub_id, stdout=out)
    assert "resumed" in out.getvalue()
    call_command("recur_emulator", "cancel", sub_id, stdout=out)
    assert "cancelled now (CANCELED" in out.getvalue()
    with pytest.raises(CommandError, match="nothing to cancel"):
        call_command("recur_emulator", "cancel", sub_id, stdout=out)
