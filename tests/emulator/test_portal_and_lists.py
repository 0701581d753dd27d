from __future__ import annotations

from recur_django.emulator.models import Subscription


def subscribe(recur_emulator, api, email="amy@example.com", product="prod_pro_monthly", **extra):
    session = api.checkout(product, customerEmail=email, **extra)
    assert recur_emulator.pay(session["id"]).status_code == 303
    return api.get(f"checkout/sessions/{session['id']}").json()


def test_portal_session_priority_and_errors(recur_emulator, api):
    done = subscribe(recur_emulator, api, externalCustomerId="u1")
    other = subscribe(recur_emulator, api, email="bob@example.com", externalCustomerId="u2")
    ret = "https://shop.example/account"
    by_id = api.post(
        "portal/sessions",
        json={"customerId": done["customer_id"], "externalId": "u2", "returnUrl": ret},
    ).json()
    assert by_id["customer_id"] == done["customer_id"]
    assert by_id["id"].startswith("portal_session_")
    assert by_id["status"] == "active" and by_id["accessed_at"] is None
    by_external = api.post(
        "portal/sessions", json={"external_id": "u2", "email": "amy@example.com", "return_url": ret}
    ).json()
    assert by_external["customer_id"] == other["customer_id"]
    by_email = api.post(
        "portal/sessions", json={"email": "bob@example.com", "returnUrl": ret}
    ).json()
    assert by_email["customer_id"] == other["customer_id"]

    missing = api.post("portal/sessions", json={"email": "nobody@example.com", "returnUrl": ret})
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "customer_not_found"
    no_return = api.post("portal/sessions", json={"email": "bob@example.com"})
    assert no_return.status_code == 400
    assert no_return.json()["error"]["code"] == "missing_return_url"
    nothing = api.post("portal/sessions", json={"returnUrl": ret})
    assert nothing.status_code == 400


def test_portal_page_cancels_and_expires(recur_emulator, api):
    done = subscribe(recur_emulator, api)
    portal = api.post(
        "portal/sessions",
        json={"customerId": done["customer_id"], "returnUrl": "https://shop.example/account"},
    ).json()
    page = recur_emulator.http.get(portal["url"])
    assert page.status_code == 200
    assert "Pro (monthly)" in page.text and "https://shop.example/account" in page.text

    cancel = recur_emulator.http.post(
        portal["url"] + "/cancel",
        data={"subscription_id": done["subscription_id"], "when": "period_end"},
        allow_redirects=False,
    )
    assert cancel.status_code == 303
    sub = Subscription.objects.get()
    assert sub.cancel_at_period_end and sub.status == "ACTIVE" and sub.canceled_at
    event = recur_emulator.events("subscription.cancelled")[-1]["data"]
    assert event["id"] == sub.id and event["cancel_at_period_end"] is True

    recur_emulator.http.post(
        portal["url"] + "/cancel", data={"subscription_id": sub.id, "when": "now"}
    )
    sub.refresh_from_db()
    assert sub.status == "CANCELED"
    assert len(recur_emulator.events("subscription.cancelled")) == 2

    recur_emulator.advance(seconds=3601)
    assert recur_emulator.http.get(portal["url"]).status_code == 410


def test_portal_cannot_cancel_another_customers_subscription(recur_emulator, api):
    mine = subscribe(recur_emulator, api)
    theirs = subscribe(recur_emulator, api, email="bob@example.com")
    portal = api.post(
        "portal/sessions",
        json={"customerId": mine["customer_id"], "returnUrl": "https://shop.example/"},
    ).json()
    response = recur_emulator.http.post(
        portal["url"] + "/cancel", data={"subscription_id": theirs["subscription_id"]}
    )
    assert response.status_code == 404
    assert Subscription.objects.get(id=theirs["subscription_id"]).status == "ACTIVE"


def test_products_customers_subscriptions_entitlements(recur_emulator, api):
    products = api.get("products").json()["products"]
    assert [p["id"] for p in products][:2] == ["prod_credits_100", "prod_pro_monthly"]
    subs_only = api.get("products?type=SUBSCRIPTION").json()["products"]
    assert {p["id"] for p in subs_only} == {"prod_pro_monthly", "prod_pro_yearly"}
    assert api.get("products?type=NOPE").status_code == 400

    done = subscribe(recur_emulator, api, externalCustomerId="user-1")
    subscribe(recur_emulator, api, product="prod_ebook")  # linked to amy by email
    subscribe(recur_emulator, api, email="bob@example.com")

    customers = api.get("customers").json()
    assert customers["object"] == "list" and len(customers["data"]) == 2
    amy = api.get("customers?email=AMY@example.com").json()["data"]
    assert [(c["external_id"], c["subscriptions_count"], c["orders_count"]) for c in amy] == [
        ("user-1", 1, 2)
    ]

    all_subs = api.get("subscriptions").json()
    assert len(all_subs["data"]) == 2 and all_subs["subscriptions"] == all_subs["data"]
    mine = api.get("subscriptions?external_id=user-1").json()
    assert mine["has_active_subscription"] is True
    assert [s["id"] for s in mine["subscriptions"]] == [done["subscription_id"]]
    row = mine["data"][0]
    assert (row["interval"], row["interval_count"], row["amount"]) == ("month", 1, 299)
    assert row["product_slug"] == "pro-monthly"
    assert api.get("subscriptions?email=nobody@example.com").json()["data"] == []
    assert api.get("subscriptions?status=CANCELED").json()["data"] == []

    ent = api.get("customers/entitlements?external_id=user-1").json()
    assert ent["customer"]["id"] == done["customer_id"]
    assert ent["subscription"]["id"] == done["subscription_id"]
    assert [(e["product"], e["status"], e["source"]) for e in ent["entitlements"]] == [
        ("pro-monthly", "active", "subscription"),
        ("ebook", "purchased", "order"),
    ]
    by_email = api.get("customers/entitlements?email=amy@example.com").json()
    assert by_email["customer"]["id"] == done["customer_id"]
    unknown = api.get("customers/entitlements?email=ghost@example.com").json()
    assert unknown == {"customer": None, "subscription": None, "entitlements": []}
    assert api.get("customers/entitlements").status_code == 400
