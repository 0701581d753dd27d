"""Portal, mirror and sync against the emulator over real HTTP."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
import requests
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from recur_django.customers import external_id_for
from recur_django.emulator.models import PortalSession as EmulatedPortalSession
from recur_django.emulator.models import Subscription as EmulatedSubscription
from recur_django.entitlements import has_entitlement
from recur_django.models import Customer, Subscription, WebhookEvent
from recur_django.webhooks.event import RecurEvent
from recur_django.webhooks.registry import get_handler

pytestmark = pytest.mark.django_db(transaction=True)


def buy(emulator: Any, user: Any, product: str = "prod_pro_monthly") -> str:
    """Subscribe ``user`` on the emulator; returns the Recur customer id."""
    session = emulator.client.checkout_sessions.create(
        product_id=product,
        success_url="https://shop.example/ok",
        cancel_url="https://shop.example/cancel",
        customer_email=user.email,
        external_customer_id=external_id_for(user),
    )
    assert emulator.pay(session.id).status_code == 303
    sub = EmulatedSubscription.objects.filter(customer__external_id=external_id_for(user)).latest(
        "id"
    )
    return sub.customer.id


def mirror_events(emulator: Any, shuffle: bool = False) -> None:
    """Store the emulator's events and run our handlers, as the webhook view would."""
    envelopes = [
        e for e in emulator.events() if not WebhookEvent.objects.filter(event_id=e["id"]).exists()
    ]
    if shuffle:
        random.Random(7).shuffle(envelopes)
    for envelope in envelopes:
        event = WebhookEvent.objects.create(
            event_id=envelope["id"], type=envelope["type"], body=b"{}", payload=envelope
        )
        handler = get_handler(envelope["type"])
        if handler is not None and envelope["type"].startswith(("subscription.", "invoice.")):
            handler(RecurEvent.from_stored(event))


@pytest.fixture
def users():
    model = get_user_model()
    return (
        model.objects.create_user("alice", "alice@example.com", "pw"),
        model.objects.create_user("bob", "bob@example.com", "pw"),
    )


def login(user: Any) -> Client:
    client = Client(SERVER_NAME="localhost")  # the emulator's own host: return URLs accepted
    client.force_login(user)
    return client


def test_portal_opens_the_users_own_portal(recur_emulator, users):
    alice, bob = users
    for user in users:
        Customer.objects.create(owner=user, recur_id=buy(recur_emulator, user), email=user.email)
    bob_customer = Customer.objects.get(owner=bob).recur_id

    response = login(alice).post(
        reverse("recur:portal") + f"?customer={bob_customer}",
        {"customer": bob_customer, "customer_id": bob_customer, "email": bob.email},
    )
    assert response.status_code == 303
    portal_url = response["Location"]
    assert portal_url.startswith(recur_emulator.base_url + "/portal/")
    session = EmulatedPortalSession.objects.get()
    assert session.customer.external_id == external_id_for(alice)
    page = requests.get(portal_url, timeout=10)
    assert page.status_code == 200
    assert "alice@example.com" in page.text
    assert "bob@example.com" not in page.text


def test_portal_json_and_locale(recur_emulator, users):
    alice, _ = users
    Customer.objects.create(owner=alice, recur_id=buy(recur_emulator, alice))
    response = login(alice).post(
        reverse("recur:portal"), HTTP_ACCEPT="application/json", HTTP_ACCEPT_LANGUAGE="zh-Hant"
    )
    assert response.status_code == 200
    assert response.json()["url"].startswith(recur_emulator.base_url + "/portal/")
    assert EmulatedPortalSession.objects.get().locale == "zh-TW"


def test_stale_mapping_gives_customer_not_found(recur_emulator, users):
    alice, _ = users
    Customer.objects.create(owner=alice, recur_id="cus_does_not_exist")
    response = login(alice).post(reverse("recur:portal"))
    assert response.status_code == 404
    assert b"could not find your billing account" in response.content


def test_mirror_follows_emulator_events_in_any_order(recur_emulator, users):
    alice, bob = users
    buy(recur_emulator, alice)
    buy(recur_emulator, bob)
    recur_emulator.fail_card(external_id_for(bob))
    recur_emulator.advance(days=32)  # alice renews; bob's renewal fails
    mirror_events(recur_emulator, shuffle=True)

    for user in users:
        remote = EmulatedSubscription.objects.get(customer__external_id=external_id_for(user))
        local = Subscription.objects.get(recur_id=remote.id)
        assert local.status == remote.status.replace("TRIAL", "TRIALING")
        # The wire carries milliseconds.
        assert abs(local.current_period_end - remote.current_period_end) < timedelta(milliseconds=1)
        assert local.customer.owner == user  # linked through the external id
    assert Subscription.objects.get(customer__owner=alice).status == "ACTIVE"
    assert Subscription.objects.get(customer__owner=bob).status == "PAST_DUE"
    assert has_entitlement(alice, "pro-monthly")


def test_portal_cancellation_reaches_the_mirror(recur_emulator, users):
    alice, _ = users
    Customer.objects.create(owner=alice, recur_id=buy(recur_emulator, alice))
    mirror_events(recur_emulator)
    portal_url = login(alice).post(reverse("recur:portal"))["Location"]
    sub = EmulatedSubscription.objects.get()
    response = requests.post(
        portal_url + "/cancel",
        data={"subscription_id": sub.id, "when": "period_end"},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 303
    mirror_events(recur_emulator)
    local = Subscription.objects.get()
    assert local.cancel_at_period_end is True
    assert has_entitlement(alice, "pro-monthly")  # until the period ends


def test_sync_command_is_paginated_and_links_users(recur_emulator, users, capsys):
    alice, bob = users
    buy(recur_emulator, alice)
    buy(recur_emulator, bob)
    buy(recur_emulator, alice, "prod_pro_yearly")
    call_command("recur_sync_subscriptions", "--page-size", "2")
    out = capsys.readouterr().out
    assert "Synced 3 subscriptions: 3 created, 0 updated, 0 unchanged." in out
    assert Subscription.objects.filter(customer__owner=alice).count() == 2
    assert has_entitlement(bob, "pro-monthly")
    assert has_entitlement(alice, "pro-yearly")
    call_command("recur_sync_subscriptions")
    assert "0 created, 0 updated, 3 unchanged" in capsys.readouterr().out


def test_sync_command_filters(recur_emulator, users, capsys):
    alice, bob = users
    buy(recur_emulator, alice)
    buy(recur_emulator, bob)
    call_command("recur_sync_subscriptions", "--external-id", external_id_for(bob))
    assert "Synced 1 subscriptions" in capsys.readouterr().out
    assert Subscription.objects.get().customer.owner == bob


def test_sync_command_api_error_is_a_command_error(recur_emulator):
    recur_emulator.fault("500", count=10)
    with pytest.raises(CommandError, match="Recur API error"):
        call_command("recur_sync_subscriptions")
