"""Whose billing, with users as owners: RECUR["CAN_MANAGE_BILLING"] refusing a user answers
403 billing_forbidden everywhere money is spent or shown, before anything is written or
asked of Recur; RECUR["OWNER_FOR_REQUEST"] naming nobody answers as for an anonymous user.
On the emulator over HTTP (teams: tests/teams)."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from recur_django.checkout import start_checkout
from recur_django.emulator.models import CheckoutSession as EmulatedCheckoutSession
from recur_django.emulator.models import PortalSession as EmulatedPortalSession
from recur_django.exceptions import BillingForbidden
from recur_django.models import Customer, Transaction
from recur_django.portal import start_portal_session

JSON = {"HTTP_ACCEPT": "application/json"}


def only_staff(user, owner) -> bool:
    return bool(user.is_staff and user == owner)


def nobody(request):
    return None


@pytest.fixture
def staff_only(recur_emulator, settings):
    settings.RECUR = {
        **settings.RECUR,
        "CAN_MANAGE_BILLING": "tests.checkout.test_billing_owner.only_staff",
    }


@pytest.fixture
def browser(user):
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    return client


def test_a_user_who_may_not_manage_billing_is_refused_everywhere(staff_only, user, browser):
    Customer.objects.create(owner=user, recur_id="cus_alice", email=user.email)
    page = browser.post(reverse("recur:checkout"), {"product": "pro-monthly"})
    assert page.status_code == 403
    assert page.templates[0].name == "recur_django/billing_forbidden.html"
    assert page.context["code"] == "billing_forbidden"
    for response in (
        browser.post(reverse("recur:checkout"), {"product": "pro-monthly"}, **JSON),
        browser.post(reverse("recur:portal"), **JSON),
        browser.get(reverse("recur:checkout-return"), {"session_id": "cs_1"}, **JSON),
    ):
        assert response.status_code == 403
        assert response.json() == {
            "error": {
                "code": "billing_forbidden",
                "message": "You cannot manage billing for this account.",
            }
        }
    assert browser.post(reverse("recur:portal")).status_code == 403
    held = browser.get(reverse("recur:already-subscribed"), {"product": "pro-monthly"})
    assert held.status_code == 403

    api = APIClient()
    api.force_authenticate(user)
    for name in ("recur-api:checkout-sessions", "recur-api:portal-sessions"):
        response = api.post(reverse(name), {"product": "pro-monthly"}, format="json")
        assert response.status_code == 403, name
        assert response.json()["error"]["code"] == "billing_forbidden"
    for name in ("recur-api:transactions", "recur-api:payments", "recur-api:subscriptions"):
        assert api.get(reverse(name)).json()["error"]["code"] == "billing_forbidden", name
    # Using what the owner bought is not managing its billing.
    assert api.get(reverse("recur-api:entitlements")).status_code == 200
    assert not Transaction.objects.exists()
    assert not EmulatedCheckoutSession.objects.exists()
    assert not EmulatedPortalSession.objects.exists()

    user.is_staff = True
    user.save()
    assert browser.post(reverse("recur:checkout"), {"product": "ebook"}).status_code == 303


def test_a_request_acting_for_nobody_is_answered_as_anonymous(recur_emulator, settings, browser):
    settings.RECUR = {
        **settings.RECUR,
        "OWNER_FOR_REQUEST": "tests.checkout.test_billing_owner.nobody",
    }
    page = browser.post(reverse("recur:checkout"), {"product": "ebook"})
    assert page.status_code == 302 and page["Location"].startswith("/login/")
    assert browser.post(reverse("recur:checkout"), {"product": "ebook"}, **JSON).status_code == 401
    assert browser.post(reverse("recur:portal"), **JSON).status_code == 401
    assert browser.get(reverse("recur:already-subscribed")).status_code == 302
    assert not Transaction.objects.exists()


def test_start_checkout_checks_the_acting_user_first(recur_emulator, user, other_user):
    request = RequestFactory().post("/", HTTP_HOST="shop.example", secure=True)
    with pytest.raises(BillingForbidden):
        start_checkout(user, "ebook", user=other_user, request=request)
    assert not Transaction.objects.exists() and not EmulatedCheckoutSession.objects.exists()
    with pytest.raises(ValueError, match="owner"):
        start_checkout(None, "ebook", request=request)

    txn = start_checkout(user, "ebook", request=request)  # a user acts for itself
    assert (txn.owner, txn.user) == (user, user)
    session = EmulatedCheckoutSession.objects.get(id=txn.checkout_session_id)
    assert (session.customer_email, session.customer_name) == ("alice@example.com", "Alice Lin")

    with pytest.raises(BillingForbidden):
        start_portal_session(user, user=other_user, request=request)
    assert not EmulatedPortalSession.objects.exists()
