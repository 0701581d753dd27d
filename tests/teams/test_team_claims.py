"""One plan per family holds per team under races and in the gaps between a checkout's
states: a second admin of the same team meets the first admin's open checkout (409
``checkout_in_progress``) or paid one (409 ``already_subscribed``); another team is never
held up by it. On the emulator over HTTP (issue 17, finding 5, for billing owners)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from recur_django import signals
from recur_django.checkout import start_checkout
from recur_django.emulator import clock as emulator_clock
from recur_django.emulator.models import CheckoutSession as EmulatedCheckoutSession
from recur_django.models import Transaction
from recur_django.plans import AlreadySubscribed, CheckoutInProgress
from recur_django.products import get_product
from tests.recur_helpers import SignalRecorder, envelope, post_event, run_together
from tests.teams.conftest import browser_for, join, start
from tests.teams.models import Membership

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ana(acme):
    """A second billing admin of Acme."""
    return join(acme, "ana", Membership.Role.ADMIN)


def as_admin(team, admin, product: str = "pro-monthly") -> Transaction:
    """``start_checkout`` for ``team`` by ``admin`` (who may manage its billing)."""
    urls = {"success_url": "https://shop.example/ok", "cancel_url": "https://shop.example/"}
    return start_checkout(team, product, user=admin, **urls)


def checkout_json(browser: Client, product: str = "pro-monthly"):
    return browser.post(
        reverse("recur:checkout"), {"product": product}, content_type="application/json"
    )


def test_a_second_admin_meets_the_first_admins_open_checkout(
    recur_emulator, acme, ada, ana, globex, gus
):
    first = start(browser_for(ada, acme), "pro-monthly")
    assert (first.owner, first.user) == (acme, ada) and first.family_key

    second = browser_for(ana, acme)
    answer = checkout_json(second, "pro-yearly")  # same family, another plan
    assert answer.status_code == 409
    error = answer.json()["error"]
    assert error["code"] == "checkout_in_progress"
    assert (error["url"], error["transaction_id"]) == (first.checkout_url, first.public_id)
    page = second.post(reverse("recur:checkout"), {"product": "pro-monthly"})
    assert page.status_code == 409
    assert page.templates[0].name == "recur_django/checkout_in_progress.html"
    assert first.checkout_url in page.content.decode()
    api = APIClient(SERVER_NAME="localhost")
    api.force_login(ana)
    rest = api.post(
        f"{reverse('recur-api:checkout-sessions')}?team={acme.pk}",
        {"product": "pro-monthly"},
        format="json",
    )
    assert rest.status_code == 409
    assert rest.json()["error"]["transaction_id"] == first.public_id
    assert Transaction.objects.count() == 1
    assert EmulatedCheckoutSession.objects.count() == 1

    # The claim is the team's, not the admins': another team is not held up.
    other = start(browser_for(gus, globex), "pro-monthly")
    assert other.owner == globex and other.status == Transaction.Status.PENDING


def test_a_second_admin_meets_the_first_admins_paid_checkout_before_it_is_mirrored(
    recur_emulator, acme, ada, ana
):
    first = start(browser_for(ada, acme), "pro-monthly")
    assert recur_emulator.pay(first.checkout_session_id).status_code == 303
    # Only the checkout's own event arrives; the subscription's are still on their way.
    paid = recur_emulator.events("checkout.completed")[-1]["data"]
    assert post_event(Client(), envelope("checkout.completed", paid)).status_code == 200
    first.refresh_from_db()
    assert first.status == Transaction.Status.COMPLETED and first.subscription_id

    second = browser_for(ana, acme)
    answer = checkout_json(second, "pro-yearly")
    assert answer.status_code == 409
    error = answer.json()["error"]
    assert (error["code"], error["subscription_id"]) == (
        "already_subscribed",
        first.subscription_id,
    )
    assert error["product"] == "pro-monthly"
    # The page: 303 to "you already have this plan", which offers the portal.
    page = second.post(reverse("recur:checkout"), {"product": "pro-yearly"})
    assert page.status_code == 303
    held = second.get(page["Location"])
    assert held.status_code == 200
    assert held.templates[0].name == "recur_django/already_subscribed.html"
    assert held.context["subscription"] is None  # not mirrored yet: the page still answers
    with pytest.raises(AlreadySubscribed) as refused:
        as_admin(acme, ana)
    assert refused.value.subscription is None and refused.value.transaction == first
    assert Transaction.objects.count() == 1  # the refused claims left nothing behind

    recur_emulator.deliver()  # mirrored now: the plan itself holds the family
    assert checkout_json(second, "pro-yearly").json()["error"]["code"] == "already_subscribed"
    assert EmulatedCheckoutSession.objects.count() == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="threads write concurrently on PostgreSQL"
)
def test_two_admins_racing_open_one_session_for_the_team(recur_emulator, acme, ada, ana):
    browsers = [browser_for(admin, acme) for admin in (ada, ana, ada, ana)]
    assert get_product("pro-monthly") is not None  # the product list is cached first
    responses = run_together(lambda i: checkout_json(browsers[i]), 4)
    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409], [
        r.content for r in responses
    ]
    [started] = [r.json() for r in responses if r.status_code == 200]
    refused = [r.json()["error"] for r in responses if r.status_code == 409]
    assert {e["code"] for e in refused} == {"checkout_in_progress"}
    assert {e["transaction_id"] for e in refused} == {started["transaction_id"]}
    winner = Transaction.objects.get()
    assert winner.owner == acme and winner.public_id == started["transaction_id"]
    assert EmulatedCheckoutSession.objects.count() == 1  # one session opened on Recur


def test_the_first_admins_expired_session_does_not_block_the_second(recur_emulator, acme, ada, ana):
    first = start(browser_for(ada, acme), "pro-monthly")
    with pytest.raises(CheckoutInProgress):
        as_admin(acme, ana)
    assert first.expires_at is not None
    recur_emulator.advance(seconds=(first.expires_at - emulator_clock.now()).total_seconds() + 60)
    with SignalRecorder(signals.transaction_failed) as failed:
        second = as_admin(acme, ana)
    first.refresh_from_db()
    assert first.status == Transaction.Status.EXPIRED
    [expired] = failed.calls
    assert (expired["transaction"].pk, expired["owner"], expired["user"]) == (first.pk, acme, ada)
    assert (second.owner, second.user, second.status) == (acme, ana, Transaction.Status.PENDING)
