"""Taking over another user's customer link: a Django user is linked to a Recur customer
only through evidence our server created (a checkout session it stored, or an external id
it issued and can verify)."""

from __future__ import annotations

import pytest
import requests
from django.core import signing
from django.test import Client

from recur_django.checkout import start_checkout
from recur_django.customers import external_id_for, owner_for_external_id
from recur_django.entitlements import has_entitlement
from recur_django.models import Customer, Subscription, Transaction, WebhookEvent
from tests.recur_helpers import completed_data, envelope, make_transaction, post_event

PUBLISHABLE_KEY = "pk_test_tests"


def forged_ids(victim, attacker) -> list[str]:
    """External ids an attacker can send from a browser checkout, none issued for the victim."""
    token = external_id_for(victim)
    attacker_signature = external_id_for(attacker).rsplit(":", 1)[1]
    return [
        str(victim.pk),  # what versions before the token sent: anyone can type it
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # tampered signature
        f"{victim.pk}:{attacker_signature}",  # another user's signature
        signing.Signer(salt="another.purpose").sign(str(victim.pk)),  # foreign salt
        f"{victim.pk}:",
        f" {token}",
    ]


def subscription_data(customer: str, external_id: str) -> dict:
    return {
        "id": f"sub_{customer}",
        "status": "ACTIVE",
        "customer_id": customer,
        "customer_email": "mallory@example.com",
        "external_customer_id": external_id,
        "product_id": "prod_pro_monthly",
        "product_slug": "pro-monthly",
        "current_period_end": "2099-01-01T00:00:00Z",
    }


@pytest.mark.django_db
def test_subscription_event_with_a_forged_external_id_links_nobody(client, user, other_user):
    victim, attacker = user, other_user
    for n, forged in enumerate(forged_ids(victim, attacker)):
        customer = f"cus_mallory_{n}"
        response = post_event(
            client, envelope("subscription.activated", subscription_data(customer, forged))
        )
        assert response.status_code == 200, response.content
        # The mirror is kept, but the customer belongs to nobody.
        assert Subscription.objects.get(recur_id=f"sub_{customer}").customer.recur_id == customer
        assert Customer.objects.get(recur_id=customer).owner is None, forged
        assert owner_for_external_id(forged) is None
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed"}
    assert not Customer.objects.filter(owner=victim).exists()
    assert not has_entitlement(victim, "pro-monthly")


@pytest.mark.django_db
def test_the_token_we_issued_links_its_user(client, user):
    post_event(
        client,
        envelope("subscription.activated", subscription_data("cus_alice", external_id_for(user))),
    )
    assert Customer.objects.get(recur_id="cus_alice").owner == user
    assert has_entitlement(user, "pro-monthly")


@pytest.mark.django_db
def test_a_transaction_from_before_the_token_still_fulfils_for_its_user(client, user):
    # Started before the upgrade: its session carries the bare primary key.
    txn = make_transaction(user)
    data = completed_data(txn, external_customer_id=str(user.pk), customer_id="cus_legacy")
    assert post_event(client, envelope("checkout.completed", data)).status_code == 200
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED
    assert Customer.objects.get(recur_id="cus_legacy").owner == user  # the transaction is proof


@pytest.mark.django_db
def test_a_linked_customer_keeps_the_external_id_recur_knows(user):
    from recur_django.customers import external_id_to_send

    Customer.objects.create(owner=user, recur_id="cus_old", external_id=str(user.pk))
    assert external_id_to_send(user) == str(user.pk)  # Recur never changes it once set


def test_a_browser_checkout_with_the_victims_external_id_links_nobody(
    recur_emulator, user, other_user
):
    """The full attack over real HTTP: a pk_-key checkout carrying the victim's primary key,
    paid with the attacker's card, its webhooks delivered by the emulator."""
    victim = user
    response = requests.post(
        recur_emulator.url("v1/checkout/sessions"),
        headers={"X-Recur-Publishable-Key": PUBLISHABLE_KEY},
        json={
            "productId": "prod_pro_monthly",
            "successUrl": "https://shop.example/ok",  # an allowed redirect host
            "cancelUrl": "https://shop.example/",
            "customerEmail": "mallory@example.com",
            "externalCustomerId": str(victim.pk),
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert recur_emulator.pay(response.json()["id"]).status_code == 303
    deliveries = recur_emulator.deliver()
    assert deliveries and all(d.status == "SUCCEEDED" for d in deliveries)
    subscription = Subscription.objects.get()  # mirrored all the same
    assert subscription.customer is not None and subscription.customer.owner is None
    assert not Customer.objects.filter(owner=victim).exists()
    assert not has_entitlement(victim, "pro-monthly")


@pytest.mark.parametrize("checkout_id", ["chk", "absent"])
def test_a_browser_checkout_carrying_the_victims_transaction_id_never_completes_it(
    recur_emulator, user, checkout_id
):
    """Recur refuses metadata from a pk_ key, but we must not rely on it: an event for the
    attacker's paid checkout that names the victim's transaction is refused, whether it
    names the attacker's session, a checkout id of another kind, or none."""
    victim = user
    txn = start_checkout(
        victim,
        "credits-100",
        success_url="https://shop.example/ok",
        cancel_url="https://shop.example/",
    )
    browser_checkout = {
        "productSlug": "credits-100",
        "successUrl": "https://shop.example/ok",  # an allowed redirect host
        "cancelUrl": "https://shop.example/",
        "customerEmail": "mallory@example.com",
        "externalCustomerId": str(victim.pk),
    }
    url = recur_emulator.url("v1/checkout/sessions")
    headers = {"X-Recur-Publishable-Key": PUBLISHABLE_KEY}
    refused = requests.post(
        url,
        headers=headers,
        json={**browser_checkout, "metadata": {"transaction_id": txn.public_id}},
        timeout=10,
    )
    assert refused.status_code == 403  # the emulator, like Recur, refuses pk_ metadata
    session = requests.post(url, headers=headers, json=browser_checkout, timeout=10).json()
    assert recur_emulator.pay(session["id"]).status_code == 303
    paid = recur_emulator.events("checkout.completed")[-1]["data"]
    assert paid["id"] == session["id"] and paid["status"] == "COMPLETE"

    tampered_ids = {"chk": "chk_" + session["id"][3:], "absent": None}
    client = Client()
    for data_id in (session["id"], tampered_ids[checkout_id]):
        # What Recur would sign if it carried metadata for a browser checkout.
        data = {**paid, "metadata": {"transaction_id": txn.public_id}}
        if data_id is None:
            data.pop("id")
        else:
            data["id"] = data_id
        event = envelope("checkout.completed", data)
        response = post_event(client, event)
        assert response.status_code == 200, response.content
        stored = WebhookEvent.objects.get(event_id=event["id"])
        assert stored.status == WebhookEvent.Status.FAILED and not stored.retryable
        txn.refresh_from_db()
        assert txn.status == Transaction.Status.PENDING, stored.error
        assert not Customer.objects.filter(owner=victim).exists()


@pytest.mark.django_db
def test_a_token_from_before_a_key_rotation_verifies_while_the_old_key_is_a_fallback(
    settings, user
):
    from recur_django.customers import external_id_is_owners

    old = external_id_for(user)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-for-this-test-only"
    assert external_id_for(user) != old
    assert owner_for_external_id(old) == user
    assert external_id_is_owners(old, user)
    settings.SECRET_KEY_FALLBACKS = []
    assert owner_for_external_id(old) is None
    assert not external_id_is_owners(old, user)


@pytest.mark.django_db
def test_a_users_token_from_before_owners_still_verifies(client, user, other_user):
    """Checkouts before owners sent ``"<pk>:<signature>"``; Recur keeps that id, so it still
    names the user (owners are users here), and only that user."""
    from recur_django.customers import external_id_is_owners, signed_owner_pk

    before = signing.Signer(salt="recur_django.customers.external_id").sign(str(user.pk))
    assert external_id_for(user) != before
    assert external_id_for(user).startswith(f"auth.user:{user.pk}:")
    assert signed_owner_pk(before) == str(user.pk)
    assert owner_for_external_id(before) == user
    assert external_id_is_owners(before, user)
    assert not external_id_is_owners(before, other_user)
    post_event(client, envelope("subscription.activated", subscription_data("cus_before", before)))
    assert Customer.objects.get(recur_id="cus_before").owner == user
