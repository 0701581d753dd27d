"""The REST API end to end against the emulator: buy, webhooks, mirror, portal."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db(transaction=True)


def test_buy_then_read_everything_back(recur_emulator):
    user = get_user_model().objects.create_user("amy", "amy@example.com", "pw")
    api = APIClient(SERVER_NAME="localhost")  # loopback: http:// URLs are accepted
    api.force_authenticate(user)

    response = api.post(
        reverse("recur-api:checkout-sessions"), {"product": "pro-monthly"}, format="json"
    )
    assert response.status_code == 201, response.content
    started = response.json()
    assert started["url"].startswith(recur_emulator.base_url + "/checkout/")
    assert recur_emulator.pay(started["checkout_session_id"]).status_code == 303
    delivered = recur_emulator.deliver()
    assert delivered and all(d.status == "SUCCEEDED" for d in delivered)

    (txn,) = api.get(reverse("recur-api:transactions")).json()["results"]
    assert (txn["id"], txn["status"]) == (started["id"], "completed")
    (sub,) = api.get(reverse("recur-api:subscriptions")).json()["results"]
    assert (sub["status"], sub["product_slug"], sub["grants_access"]) == (
        "ACTIVE",
        "pro-monthly",
        True,
    )
    check = api.get(reverse("recur-api:entitlement-check", args=["pro-monthly"])).json()
    assert check["entitled"] is True

    response = api.post(reverse("recur-api:portal-sessions"))
    assert response.status_code == 201
    assert response.json()["url"].startswith(recur_emulator.base_url + "/portal/")


def test_failed_renewal_then_expiry_ends_the_entitlement(recur_emulator):
    user = get_user_model().objects.create_user("ben", "ben@example.com", "pw")
    api = APIClient(SERVER_NAME="localhost")  # loopback: http:// URLs are accepted
    api.force_authenticate(user)
    started = api.post(
        reverse("recur-api:checkout-sessions"), {"product": "pro-monthly"}, format="json"
    ).json()
    recur_emulator.pay(started["checkout_session_id"])
    recur_emulator.deliver()
    check_url = reverse("recur-api:entitlement-check", args=["pro-monthly"])
    assert api.get(check_url).json()["entitled"] is True

    recur_emulator.fail_card("ben@example.com")
    recur_emulator.advance(days=31)
    recur_emulator.deliver()
    (sub,) = api.get(reverse("recur-api:subscriptions")).json()["results"]
    assert sub["status"] == "PAST_DUE"
    assert api.get(check_url).json()["entitled"] is True  # grace period

    recur_emulator.advance(days=10)
    recur_emulator.deliver()
    (sub,) = api.get(reverse("recur-api:subscriptions")).json()["results"]
    assert sub["status"] in ("EXPIRED", "CANCELED")
    assert api.get(check_url).json()["entitled"] is False
