"""The trust boundary with teams: a Recur customer is linked to a team only through
evidence our server created, an id issued for one owner never names another (another team,
or the user with the same primary key), and two teams never see each other's billing."""

from __future__ import annotations

from io import StringIO

import pytest
import requests
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from recur_django.customers import (
    EXTERNAL_ID_SALT,
    external_id_for,
    external_id_is_owners,
    owner_for_external_id,
    signed_owner_pk,
)
from recur_django.emulator.models import Subscription as EmulatedSubscription
from recur_django.entitlements import has_entitlement
from recur_django.models import Customer, Subscription, Transaction, WebhookEvent
from tests.recur_helpers import completed_data, envelope, post_event
from tests.teams.conftest import browser_for, buy, join
from tests.teams.models import Membership, Team

PUBLISHABLE_KEY = "pk_test_tests"


def subscription_data(customer: str, external_id: str) -> dict:
    return {
        "id": f"sub_{customer}",
        "status": "ACTIVE",
        "customer_id": customer,
        "customer_email": "mallory@example.com",
        "external_customer_id": external_id,
        "product_id": "prod_pro_monthly",
        "current_period_end": "2099-01-01T00:00:00Z",
    }


def team_transaction(team: Team, user=None) -> Transaction:
    txn = Transaction(
        owner=team,
        user=user,
        product_id="prod_credits_100",
        amount=100,
        currency="TWD",
        mode=Transaction.Mode.PAYMENT,
        checkout_session_id=f"cs_team_{team.pk}",
    )
    txn.metadata = {"transaction_id": txn.public_id}
    txn.save()
    return txn


@pytest.fixture
def twin(acme):
    """A user whose primary key is Acme's."""
    return get_user_model().objects.create_user("twin", "twin@example.com", "pw", pk=acme.pk)


@pytest.mark.django_db
def test_an_id_names_its_owners_model_not_just_a_primary_key(client, acme, globex, twin):
    token = external_id_for(acme)
    assert token.startswith(f"teams.team:{acme.pk}:")
    assert owner_for_external_id(token) == acme and signed_owner_pk(token) == str(acme.pk)
    assert external_id_is_owners(token, acme) and not external_id_is_owners(token, globex)

    users_token = external_id_for(twin)  # signed by us, but for a user: not an owner here
    before_owners = signing.Signer(salt=EXTERNAL_ID_SALT).sign(str(twin.pk))
    for replayed in (users_token, before_owners):
        assert signed_owner_pk(replayed) is None
        assert owner_for_external_id(replayed) is None
        assert not external_id_is_owners(replayed, acme)

    for n, external_id in enumerate((users_token, before_owners)):
        customer = f"cus_replayed_{n}"
        data = subscription_data(customer, external_id)
        assert post_event(client, envelope("subscription.activated", data)).status_code == 200
        assert Customer.objects.get(recur_id=customer).owner is None
    post_event(client, envelope("subscription.activated", subscription_data("cus_acme", token)))
    assert Customer.objects.get(recur_id="cus_acme").owner == acme


@pytest.mark.django_db
def test_forged_team_ids_link_nobody(client, acme, globex):
    theirs = external_id_for(globex).rsplit(":", 1)[1]
    token = external_id_for(acme)
    forged = [
        str(acme.pk),
        f"teams.team:{acme.pk}",
        f"teams.team:{acme.pk}:{theirs}",  # another team's signature
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        signing.Signer(salt="another.purpose").sign(f"teams.team:{acme.pk}"),
    ]
    for n, external_id in enumerate(forged):
        customer = f"cus_forged_{n}"
        data = subscription_data(customer, external_id)
        assert post_event(client, envelope("subscription.activated", data)).status_code == 200
        assert Customer.objects.get(recur_id=customer).owner is None, external_id
    assert not Customer.objects.filter(owner=acme).exists()
    assert not has_entitlement(acme, "pro-monthly")


@pytest.mark.django_db
def test_another_teams_id_never_completes_this_teams_checkout(client, acme, ada, globex):
    txn = team_transaction(acme, ada)
    data = completed_data(txn, external_customer_id=external_id_for(globex), customer_id="cus_g")
    event = envelope("checkout.completed", data)
    assert post_event(client, event).status_code == 200
    stored = WebhookEvent.objects.get(event_id=event["id"])
    assert stored.status == WebhookEvent.Status.FAILED and "owner" in stored.error
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.PENDING
    assert not Customer.objects.filter(owner__in=[acme, globex]).exists()

    good = completed_data(txn, customer_id="cus_a")  # the id our checkout sent for Acme
    assert good["external_customer_id"] == external_id_for(acme)
    assert post_event(client, envelope("checkout.completed", good)).status_code == 200
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED
    assert Customer.objects.get(recur_id="cus_a").owner == acme


@pytest.mark.django_db(transaction=True)
def test_a_browser_checkout_naming_the_victim_team_links_nobody(recur_emulator, acme):
    """A pk_-key checkout on Recur's page carrying Acme's primary key (or its label and pk),
    paid with the attacker's card: mirrored, linked to nobody."""
    for external_id in (str(acme.pk), f"teams.team:{acme.pk}"):
        response = requests.post(
            recur_emulator.url("v1/checkout/sessions"),
            headers={"X-Recur-Publishable-Key": PUBLISHABLE_KEY},
            json={
                "productId": "prod_pro_monthly",
                "successUrl": "https://shop.example/ok",
                "cancelUrl": "https://shop.example/",
                "customerEmail": f"mallory+{len(external_id)}@example.com",
                "externalCustomerId": external_id,
            },
            timeout=10,
        )
        assert response.status_code == 200, response.text
        assert recur_emulator.pay(response.json()["id"]).status_code == 303
    deliveries = recur_emulator.deliver()
    assert deliveries and all(d.status == "SUCCEEDED" for d in deliveries)
    assert Subscription.objects.count() == 2
    assert not Customer.objects.filter(owner__isnull=False).exists()
    assert not has_entitlement(acme, "pro-monthly")


@pytest.mark.django_db(transaction=True)
def test_recur_sync_subscriptions_links_by_owner(recur_emulator, acme, twin):
    """Webhooks missed: the sync finds the team through the id our checkout gave Recur."""
    for external_id, email in (
        (external_id_for(acme), acme.billing_email),
        (external_id_for(twin), twin.email),
    ):
        session = recur_emulator.client.checkout_sessions.create(
            product_id="prod_pro_monthly",
            success_url="https://shop.example/ok",
            cancel_url="https://shop.example/",
            customer_email=email,
            external_customer_id=external_id,
        )
        assert recur_emulator.pay(session.id).status_code == 303
    assert EmulatedSubscription.objects.count() == 2

    call_command("recur_sync_subscriptions", stdout=StringIO())

    linked = {s.customer.external_id: s.customer.owner for s in Subscription.objects.all()}
    assert linked == {external_id_for(acme): acme, external_id_for(twin): None}
    assert has_entitlement(acme, "pro-monthly")


@pytest.mark.django_db(transaction=True)
def test_two_teams_see_only_their_own_billing(recur_emulator, acme, ada, globex, gus):
    buy(recur_emulator, browser_for(ada, acme), "pro-monthly")
    buy(recur_emulator, browser_for(gus, globex), "ebook")
    both = join(acme, "bea", Membership.Role.ADMIN)  # admin of both teams
    Membership.objects.create(team=globex, user=both, role=Membership.Role.ADMIN)

    def listed(user, team=None):
        api = APIClient()
        api.force_login(user)
        query = {"team": team.pk} if team else {}
        return {
            name: [row["amount"] for row in api.get(reverse(name), query).json()["results"]]
            for name in ("recur-api:payments", "recur-api:transactions", "recur-api:subscriptions")
        }

    acme_rows = {
        "recur-api:payments": [299],
        "recur-api:transactions": [299],
        "recur-api:subscriptions": [299],
    }
    globex_rows = {
        "recur-api:payments": [590],
        "recur-api:transactions": [590],
        "recur-api:subscriptions": [],
    }
    assert listed(ada) == acme_rows
    assert listed(gus) == globex_rows
    outsider = APIClient()
    outsider.force_login(gus)
    naming_acme = outsider.get(reverse("recur-api:payments"), {"team": acme.pk})
    assert naming_acme.status_code == 401  # not a member: the request acts for nobody
    assert listed(both, acme) == acme_rows
    assert listed(both, globex) == globex_rows
    assert has_entitlement(acme, "pro-monthly") and not has_entitlement(globex, "pro-monthly")
    assert has_entitlement(globex, "ebook") and not has_entitlement(acme, "ebook")
