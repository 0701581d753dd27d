"""Plan changes in the emulator's hosted portal, opened from this site: the mirror follows,
the change's charge is an ``other`` payment, and the downgrade takes effect at period end."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from recur_django.emulator.models import Subscription as EmulatedSubscription
from recur_django.entitlements import has_entitlement
from recur_django.models import Payment, Subscription

from .conftest import advance_to, buy, flush

pytestmark = pytest.mark.django_db(transaction=True)


def switch(recur_emulator, user, product_id: str) -> str:
    """Open the billing portal from this site, press the plan's switch button there."""
    api = APIClient(SERVER_NAME="localhost")
    api.force_authenticate(user)
    response = api.post(reverse("recur-api:portal-sessions"))
    assert response.status_code == 201, response.content
    switched = recur_emulator.http.post(
        response.json()["url"] + "/switch",
        data={"subscription_id": Subscription.objects.get().recur_id, "product_id": product_id},
        allow_redirects=False,
    )
    assert switched.status_code == 303
    return str(switched.headers["Location"])


def test_upgrade_now_downgrade_at_period_end(recur_emulator, buyer, sent):
    buy(recur_emulator, buyer, "pro-monthly")
    flush(recur_emulator)
    recur_emulator.advance(days=10)

    assert "done=upgraded" in switch(recur_emulator, buyer, "prod_pro_yearly")
    flush(recur_emulator)

    sub = Subscription.objects.get()
    assert (sub.product_id, sub.status) == ("prod_pro_yearly", "ACTIVE")
    assert has_entitlement(buyer, "pro-yearly") and not has_entitlement(buyer, "pro-monthly")
    change = Payment.objects.exclude(kind="checkout").get()
    assert (change.kind, change.status) == ("other", "paid")
    assert 2990 - 299 < change.amount < 2990  # the unused part of the month credited
    assert change.subscription_id == sub.pk and change.user_id == buyer.pk
    assert len(sent["payment_succeeded"]) == 2 and sent["subscription_renewed"] == []

    assert "done=scheduled" in switch(recur_emulator, buyer, "prod_pro_monthly")
    flush(recur_emulator)
    assert Subscription.objects.get().product_id == "prod_pro_yearly"  # until the period end

    advance_to(recur_emulator, EmulatedSubscription.objects.get().current_period_end)
    sub.refresh_from_db()
    assert (sub.product_id, sub.status) == ("prod_pro_monthly", "ACTIVE")
    assert has_entitlement(buyer, "pro-monthly") and not has_entitlement(buyer, "pro-yearly")
    renewal = Payment.objects.get(kind="renewal")
    assert (renewal.status, renewal.amount) == ("paid", 299)
    assert [c["payment"].pk for c in sent["subscription_renewed"]] == [renewal.pk]
    assert len(sent["payment_succeeded"]) == 3
