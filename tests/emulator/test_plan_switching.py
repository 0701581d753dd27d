"""Plan changes and customer edits in the hosted portal, seen by a receiving endpoint."""

from __future__ import annotations

import pytest

from recur_django.emulator import clock
from recur_django.emulator.models import Customer, Product, Subscription
from recur_django.emulator.services import catalog

from .billing_helpers import advance_to, delivered, of_type, types_of
from .test_portal_and_lists import subscribe


def open_portal(recur_emulator, api, customer_id: str) -> str:
    portal = api.post(
        "portal/sessions",
        json={"customerId": customer_id, "returnUrl": "https://shop.example/account"},
    ).json()
    return str(portal["url"])


def switch(recur_emulator, url: str, sub_id: str, product_id: str):
    return recur_emulator.http.post(
        url + "/switch",
        data={"subscription_id": sub_id, "product_id": product_id},
        allow_redirects=False,
    )


@pytest.fixture
def family(recur_emulator):
    """Two more monthly plans of the "pro" family: a cheaper and a dearer one."""
    catalog.ensure_products()
    for pid, price in (("prod_pro_lite", 199), ("prod_pro_max", 599)):
        Product.objects.create(
            id=pid,
            slug=pid.removeprefix("prod_").replace("_", "-"),
            name=pid,
            type="SUBSCRIPTION",
            billing_period="MONTHLY",
            price=price,
            product_family="pro",
        )


def test_monthly_to_yearly_applies_now_and_back_waits_for_period_end(recur_emulator, api, capture):
    done = subscribe(recur_emulator, api)
    url = open_portal(recur_emulator, api, done["customer_id"])
    page = recur_emulator.http.get(url).text
    assert "Switch to Pro (yearly)" in page and "Switch to Django billing" not in page
    delivered(recur_emulator, capture)
    recur_emulator.advance(days=10)
    url = open_portal(recur_emulator, api, done["customer_id"])  # a session lasts an hour

    response = switch(recur_emulator, url, done["subscription_id"], "prod_pro_yearly")
    assert response.status_code == 303 and "done=upgraded" in response.headers["Location"]
    events = delivered(recur_emulator, capture)
    assert types_of(events) == [
        "invoice.created",
        "order.paid",
        "invoice.paid",
        "subscription.upgraded",
    ]
    charge = of_type(events, "invoice.paid")[0]
    assert charge["billing_reason"] == "subscription_update"
    assert charge["product_id"] == "prod_pro_yearly"
    assert 2990 - 299 < charge["amount"] < 2990  # the unused part of the month is credited
    upgraded = of_type(events, "subscription.upgraded")[0]
    assert (upgraded["product_id"], upgraded["interval"], upgraded["amount"]) == (
        "prod_pro_yearly",
        "year",
        2990,
    )
    sub = Subscription.objects.get()
    assert upgraded["current_period_start"] == clock.iso(sub.current_period_start)
    assert clock.add_interval(sub.current_period_start, "year") == sub.current_period_end

    response = switch(recur_emulator, url, sub.id, "prod_pro_monthly")
    assert "done=scheduled" in response.headers["Location"]
    events = delivered(recur_emulator, capture)
    assert types_of(events) == ["subscription.schedule_created"]
    scheduled = events[0]["data"]
    assert scheduled["product_id"] == "prod_pro_yearly"
    assert scheduled["scheduled_change"] == {
        "product_id": "prod_pro_monthly",
        "effective_at": clock.iso(sub.current_period_end),
    }
    assert "Changes to Pro (monthly)" in recur_emulator.http.get(url).text

    advance_to(recur_emulator, sub.current_period_end)
    events = delivered(recur_emulator, capture)
    assert types_of(events) == [
        "invoice.created",
        "order.paid",
        "invoice.paid",
        "subscription.renewed",
        "subscription.downgraded",
    ]
    assert of_type(events, "invoice.paid")[0]["amount"] == 299
    downgraded = of_type(events, "subscription.downgraded")[0]
    assert (downgraded["product_id"], downgraded["interval"]) == ("prod_pro_monthly", "month")
    assert downgraded["scheduled_change"] is None
    assert of_type(events, "subscription.renewed")[0] == downgraded


def test_same_interval_upgrade_prorates_and_same_tier_is_free(recur_emulator, api, capture, family):
    done = subscribe(recur_emulator, api)
    url = open_portal(recur_emulator, api, done["customer_id"])
    delivered(recur_emulator, capture)
    sub = Subscription.objects.get()
    start, end = sub.current_period_start, sub.current_period_end

    switch(recur_emulator, url, sub.id, "prod_pro_max")
    events = delivered(recur_emulator, capture)
    charge = of_type(events, "invoice.paid")[0]
    assert 0 < charge["amount"] <= 300  # (599 - 299) for the time left
    assert charge["period_end"] == clock.iso(end)
    sub.refresh_from_db()
    assert (sub.product_id, sub.current_period_start, sub.current_period_end) == (
        "prod_pro_max",
        start,
        end,
    )
    Product.objects.filter(id="prod_pro_monthly").update(price=599)
    switch(recur_emulator, url, sub.id, "prod_pro_monthly")
    assert types_of(delivered(recur_emulator, capture)) == ["subscription.upgraded"]


def test_cheaper_plan_is_scheduled_and_can_be_kept(recur_emulator, api, capture, family):
    done = subscribe(recur_emulator, api)
    url = open_portal(recur_emulator, api, done["customer_id"])
    delivered(recur_emulator, capture)
    sub_id = done["subscription_id"]

    switch(recur_emulator, url, sub_id, "prod_pro_lite")
    assert types_of(delivered(recur_emulator, capture)) == ["subscription.schedule_created"]
    assert "Keep the current plan" in recur_emulator.http.get(url).text
    kept = switch(recur_emulator, url, sub_id, "prod_pro_monthly")
    assert "done=unscheduled" in kept.headers["Location"]
    events = delivered(recur_emulator, capture)
    assert types_of(events) == ["subscription.schedule_cancelled"]
    assert events[0]["data"]["scheduled_change"] is None

    advance_to(recur_emulator, Subscription.objects.get().current_period_end)
    events = delivered(recur_emulator, capture)
    assert "subscription.downgraded" not in types_of(events)
    assert of_type(events, "invoice.paid")[0]["amount"] == 299


def test_refused_plan_changes_emit_nothing(recur_emulator, api, capture, family):
    done = subscribe(recur_emulator, api)
    theirs = subscribe(recur_emulator, api, email="bob@example.com")
    url = open_portal(recur_emulator, api, done["customer_id"])
    delivered(recur_emulator, capture)
    sub_id = done["subscription_id"]

    assert (
        "error=same_plan"
        in switch(recur_emulator, url, sub_id, "prod_pro_monthly").headers["Location"]
    )
    assert (
        "error=other_family"
        in switch(recur_emulator, url, sub_id, "prod_ebook").headers["Location"]
    )
    assert switch(recur_emulator, url, theirs["subscription_id"], "prod_pro_max").status_code == 404
    assert switch(recur_emulator, url, sub_id, "prod_nope").status_code == 404
    recur_emulator.fail_card("amy@example.com")
    declined = switch(recur_emulator, url, sub_id, "prod_pro_max")
    assert "error=card_declined" in declined.headers["Location"]
    page = recur_emulator.http.get(recur_emulator.live_server_url + declined.headers["Location"])
    assert "The card was declined" in page.text
    assert delivered(recur_emulator, capture) == []
    assert Subscription.objects.get(id=sub_id).product_id == "prod_pro_monthly"


def test_portal_edits_name_and_email_and_sends_customer_updated(recur_emulator, api, capture):
    done = subscribe(recur_emulator, api)
    url = open_portal(recur_emulator, api, done["customer_id"])
    delivered(recur_emulator, capture)

    saved = recur_emulator.http.post(
        url + "/customer", data={"name": "Amy Lin", "email": "amy.lin@example.com"}
    )
    assert saved.status_code == 200 and "Your details were saved." in saved.text
    events = delivered(recur_emulator, capture)
    assert types_of(events) == ["customer.updated"]
    data = events[0]["data"]
    assert (data["id"], data["name"], data["email"]) == (
        done["customer_id"],
        "Amy Lin",
        "amy.lin@example.com",
    )

    recur_emulator.http.post(url + "/customer", data={"name": "Amy Lin", "email": "nope"})
    recur_emulator.http.post(
        url + "/customer", data={"name": "Amy Lin", "email": "amy.lin@example.com"}
    )
    assert delivered(recur_emulator, capture) == []
    assert Customer.objects.get().email == "amy.lin@example.com"


def test_portal_offers_plans_and_details_in_traditional_chinese(recur_emulator, api):
    done = subscribe(recur_emulator, api)
    portal = api.post(
        "portal/sessions",
        json={
            "customerId": done["customer_id"],
            "returnUrl": "https://shop.example/account",
            "locale": "zh-TW",
        },
    ).json()
    page = recur_emulator.http.get(portal["url"]).text
    assert "改為 Pro (yearly)" in page and "您的資料" in page
