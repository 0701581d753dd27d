"""A team buys through its admin; every member is entitled while acting for the team;
members without billing rights and outsiders are refused. On the emulator over HTTP."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from recur_django.customers import external_id_for, signed_owner_pk
from recur_django.emulator.models import CheckoutSession as EmulatedCheckoutSession
from recur_django.emulator.models import PortalSession as EmulatedPortalSession
from recur_django.entitlements import entitlements_for, has_entitlement
from recur_django.models import Customer, Payment, Subscription, Transaction
from tests.teams.conftest import browser_for, buy, join, start
from tests.teams.models import Membership

pytestmark = pytest.mark.django_db(transaction=True)

JSON = {"HTTP_ACCEPT": "application/json"}


def test_an_admin_buys_a_plan_for_the_team(recur_emulator, acme, ada, max_, sent):
    txn = start(browser_for(ada, acme), "pro-monthly")
    assert (txn.owner, txn.user) == (acme, ada)
    session = EmulatedCheckoutSession.objects.get(id=txn.checkout_session_id)
    assert session.customer_email == "billing@acme.example"  # the owner's e-mail
    assert session.customer_name == "Acme"
    assert session.external_customer_id == external_id_for(acme)
    assert signed_owner_pk(session.external_customer_id) == str(acme.pk)

    assert recur_emulator.pay(txn.checkout_session_id).status_code == 303
    recur_emulator.deliver()

    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED
    customer = Customer.objects.get()
    assert customer.owner == acme and acme.recur_customer == customer
    assert customer.email == "billing@acme.example"
    payment = Payment.objects.get()
    assert (payment.owner, payment.user, payment.transaction) == (acme, ada, txn)
    assert Subscription.objects.get().customer == customer
    assert has_entitlement(acme, "pro-monthly")
    assert not has_entitlement(ada, "pro-monthly")  # a user is not the owner here
    assert not has_entitlement(max_, "pro-monthly")
    assert [e.product_slug for e in entitlements_for(acme)] == ["pro-monthly"]

    (completed,) = sent["transaction_completed"]
    assert (completed["owner"], completed["user"]) == (acme, ada)
    (succeeded,) = sent["payment_succeeded"]
    assert (succeeded["owner"], succeeded["user"]) == (acme, ada)
    assert sent["subscription_changed"]
    assert all(c["owner"] == acme and c["user"] is None for c in sent["subscription_changed"])


def test_every_member_is_entitled_while_acting_for_the_team(
    recur_emulator, acme, ada, max_, gus, globex
):
    buy(recur_emulator, browser_for(ada, acme), "pro-monthly")
    reports = reverse("team-reports")

    member = browser_for(max_, acme)
    assert member.get(reports).status_code == 200
    page = member.get(reverse("team-dashboard")).content.decode()
    sub = Subscription.objects.get()
    assert "pro=True" in page and "filter=True" in page and f"plan={sub.recur_id}" in page
    assert f"family={sub.recur_id}" in page
    assert "user-filter=False" in page  # user|entitled asks about the user: not an owner here
    api = APIClient()
    api.force_login(max_)
    assert api.get(reverse("team-reports-api")).status_code == 200
    assert api.get(reverse("recur-api:entitlements")).json()["results"][0]["product_slug"] == (
        "pro-monthly"
    )

    # An outsider, even naming the team, is not entitled; nor is anonymous.
    outsider = browser_for(gus, globex)
    for url in (reports, f"{reports}?team={acme.pk}"):
        response = outsider.get(url)
        assert response.status_code == 302 and "team reports" not in response.content.decode()
    assert outsider.get(reports, **JSON).json()["error"]["code"] == "subscription_required"
    page = outsider.get(f"{reverse('team-dashboard')}?team={acme.pk}").content.decode()
    assert "pro=False" in page and "filter=False" in page and "plan=none" in page
    api.force_login(gus)
    assert api.get(reverse("team-reports-api"), {"team": acme.pk}).status_code == 403
    assert api.get(reverse("recur-api:entitlements"), {"team": acme.pk}).status_code == 401
    assert Client().get(reports).status_code == 302  # anonymous


def test_a_member_without_billing_rights_is_refused_before_anything_happens(
    recur_emulator, acme, max_
):
    member = browser_for(max_, acme)
    page = member.post(reverse("recur:checkout"), {"product": "pro-monthly"})
    assert page.status_code == 403
    assert "billing_forbidden" in page.content.decode()
    assert page.templates[0].name == "recur_django/billing_forbidden.html"
    answer = member.post(
        reverse("recur:checkout"), {"product": "pro-monthly"}, content_type="application/json"
    )
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "billing_forbidden"
    assert answer.json()["error"]["message"]

    assert member.post(reverse("recur:portal")).status_code == 403
    portal = member.post(reverse("recur:portal"), **JSON)
    assert (portal.status_code, portal.json()["error"]["code"]) == (403, "billing_forbidden")
    back = member.get(reverse("recur:checkout-return"), {"session_id": "cs_anything"}, **JSON)
    assert back.json()["error"]["code"] == "billing_forbidden"
    held = member.get(reverse("recur:already-subscribed"), {"product": "pro-monthly"})
    assert held.status_code == 403

    api = APIClient()
    api.force_login(max_)
    for name, method in (
        ("recur-api:checkout-sessions", "post"),
        ("recur-api:portal-sessions", "post"),
        ("recur-api:transactions", "get"),
        ("recur-api:subscriptions", "get"),
        ("recur-api:payments", "get"),
    ):
        response = getattr(api, method)(reverse(name), {"product": "pro-monthly"}, format="json")
        assert response.status_code == 403, name
        assert response.json()["error"]["code"] == "billing_forbidden", name

    # Refused before a transaction is written and before Recur is called.
    assert not Transaction.objects.exists()
    assert not EmulatedCheckoutSession.objects.exists()
    assert not EmulatedPortalSession.objects.exists()


def test_an_outsider_naming_the_team_acts_for_nobody(recur_emulator, acme, gus):
    outsider = browser_for(gus)
    url = f"{reverse('recur:checkout')}?team={acme.pk}"
    page = outsider.post(url, {"product": "pro-monthly"})
    assert page.status_code == 302 and page["Location"].startswith("/login/")
    answer = outsider.post(url, {"product": "pro-monthly"}, **JSON)
    assert answer.status_code == 401
    api = APIClient()
    api.force_login(gus)
    response = api.post(
        f"{reverse('recur-api:checkout-sessions')}?team={acme.pk}",
        {"product": "pro-monthly"},
        format="json",
    )
    assert response.status_code == 401
    assert not Transaction.objects.exists()


def test_one_plan_per_family_is_per_team(recur_emulator, acme, ada):
    buy(recur_emulator, browser_for(ada, acme), "pro-monthly")
    ana = join(acme, "ana", Membership.Role.ADMIN)  # a second admin of the same team
    second = browser_for(ana, acme)
    answer = second.post(
        reverse("recur:checkout"), {"product": "pro-yearly"}, content_type="application/json"
    )
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "already_subscribed"
    page = second.post(reverse("recur:checkout"), {"product": "pro-yearly"})
    assert page.status_code == 303
    held = second.get(page["Location"])
    assert held.status_code == 200 and held.context["subscription"] == Subscription.objects.get()
    assert Transaction.objects.count() == 1


def test_another_team_buys_its_own_plan(recur_emulator, acme, ada, globex, gus):
    buy(recur_emulator, browser_for(ada, acme), "pro-monthly")
    buy(recur_emulator, browser_for(gus, globex), "pro-monthly")
    assert {c.owner for c in Customer.objects.all()} == {acme, globex}
    assert has_entitlement(globex, "pro-monthly") and has_entitlement(acme, "pro-monthly")


def test_the_return_page_and_portal_act_for_the_team(recur_emulator, acme, ada, max_):
    admin = browser_for(ada, acme)
    txn = start(admin, "ebook")
    recur_emulator.pay(txn.checkout_session_id)
    back = admin.get(reverse("recur:checkout-return"), {"session_id": txn.checkout_session_id})
    assert back.status_code == 200 and back.context["state"] == "success"
    assert has_entitlement(acme, "ebook")
    recur_emulator.deliver()

    portal = admin.post(reverse("recur:portal"))
    assert portal.status_code == 303
    session = EmulatedPortalSession.objects.get()
    assert session.customer_id == acme.recur_customer.recur_id
    assert session.id in portal["Location"]
    api = APIClient(SERVER_NAME="localhost")
    api.force_login(ada)
    assert api.post(reverse("recur-api:portal-sessions"), {}, format="json").status_code == 201
    listed = api.get(reverse("recur-api:transactions")).json()["results"]
    assert [t["id"] for t in listed] == [txn.public_id]
    assert api.get(reverse("recur-api:payments")).json()["results"][0]["amount"] == 590
