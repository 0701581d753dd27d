"""``GET payments/``: the user's own payments only, paginated, in the OpenAPI schema."""

from __future__ import annotations

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from recur_django.models import Customer, Payment, Subscription, Transaction
from tests.settings import RECUR

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    users = get_user_model().objects
    alice = users.create_user("alice", "alice@example.com", "pw")
    bob = users.create_user("bob", "bob@example.com", "pw")
    mapped = Customer.objects.create(owner=alice, recur_id="cus_alice")
    sub = Subscription.objects.create(recur_id="sub_alice", customer=mapped, status="ACTIVE")
    txn = Transaction.objects.create(
        owner=alice, user=alice, product_slug="pro-monthly", amount=299
    )
    Payment.objects.create(
        recur_id="in_1",
        kind="checkout",
        status="partially_refunded",
        amount=299,
        refunded_amount=99,
        owner=alice,
        user=alice,
        customer=mapped,
        subscription=sub,
        transaction=txn,
        paid_at=timezone.now(),
    )
    # Through the customer mapping only (no user on the row): still Alice's.
    Payment.objects.create(
        recur_id="in_2", kind="renewal", status="paid", amount=299, customer=mapped
    )
    Payment.objects.create(
        recur_id="ord_bob", kind="checkout", status="paid", amount=590, owner=bob, user=bob
    )
    Payment.objects.create(recur_id="ord_nobody", kind="payment_link", status="paid", amount=1)
    return alice, bob, sub, txn


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_own_payments_only_with_every_field(people):
    alice, _bob, _sub, txn = people
    body = api_for(alice).get(reverse("recur-api:payments")).json()
    assert body["count"] == 2
    ids = [p["id"] for p in body["results"]]
    assert sorted(ids) == ["in_1", "in_2"]
    first = next(p for p in body["results"] if p["id"] == "in_1")
    assert first == {
        "id": "in_1",
        "kind": "checkout",
        "status": "partially_refunded",
        "amount": 299,
        "currency": "TWD",
        "refunded_amount": 99,
        "paid_at": first["paid_at"],
        "subscription_id": "sub_alice",
        "transaction_id": txn.public_id,
    }
    assert first["paid_at"]


def test_other_users_see_only_theirs(people):
    _alice, bob, *_ = people
    body = api_for(bob).get(reverse("recur-api:payments")).json()
    assert [p["id"] for p in body["results"]] == ["ord_bob"]


def test_login_required(people):
    response = APIClient().get(reverse("recur-api:payments"))
    assert response.status_code in (401, 403)


def test_paginated(people):
    alice = people[0]
    Payment.objects.bulk_create(
        Payment(recur_id=f"in_x{i}", status="paid", amount=i, owner=alice, user=alice)
        for i in range(25)
    )
    with override_settings(RECUR={**RECUR, "API_PAGE_SIZE": 10}):
        client = api_for(alice)
        first = client.get(reverse("recur-api:payments")).json()
        assert first["count"] == 27 and len(first["results"]) == 10 and first["next"]
        last = client.get(reverse("recur-api:payments"), {"page": 3}).json()
        assert len(last["results"]) == 7 and last["next"] is None
        big = client.get(reverse("recur-api:payments"), {"page_size": 100}).json()
        assert len(big["results"]) == 27


def test_in_the_openapi_schema():
    schema = yaml.safe_load(APIClient().get(reverse("recur-api:schema")).content)
    operation = schema["paths"]["/api/billing/payments/"]["get"]
    assert operation["operationId"] == "list_payments"
    fields = schema["components"]["schemas"]["Payment"]["properties"]
    assert set(fields) == {
        "id",
        "kind",
        "status",
        "amount",
        "currency",
        "refunded_amount",
        "paid_at",
        "subscription_id",
        "transaction_id",
    }
    checkout = schema["paths"]["/api/billing/checkout-sessions/"]["post"]
    assert "409" in checkout["responses"]


def test_a_purchase_recur_attributed_to_another_users_customer_stays_the_buyers(people):
    """Alice typed Bob's e-mail on Recur's hosted page, so Recur charged her checkout to
    Bob's Recur customer: the payment is Alice's (her transaction), never listed for Bob,
    who would otherwise learn its ``txn_`` id."""
    alice, bob, _sub, _txn = people
    bobs_customer = Customer.objects.create(owner=bob, recur_id="cus_bob")
    alices_txn = Transaction.objects.create(
        owner=alice, user=alice, product_slug="credits", amount=590
    )
    Payment.objects.create(
        recur_id="ord_typed",
        kind="checkout",
        status="paid",
        amount=590,
        owner=alice,
        user=alice,
        customer=bobs_customer,
        transaction=alices_txn,
    )
    # A charge of Bob's customer that carries no transaction is Bob's.
    Payment.objects.create(
        recur_id="in_bob", kind="renewal", status="paid", amount=299, customer=bobs_customer
    )
    bob_sees = [p["id"] for p in api_for(bob).get(reverse("recur-api:payments")).json()["results"]]
    assert sorted(bob_sees) == ["in_bob", "ord_bob"]
    body = api_for(alice).get(reverse("recur-api:payments")).json()
    assert "ord_typed" in [p["id"] for p in body["results"]]
    assert alices_txn.public_id not in str(api_for(bob).get(reverse("recur-api:payments")).content)
