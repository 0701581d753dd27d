"""The admin of customers, subscriptions, transactions and webhook events: linked pages,
narrow lists, no internal fields, one read-only base."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from recur_django.admin.read_only import ReadOnlyAdmin
from recur_django.models import Customer, Subscription, Transaction, WebhookEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def billing(user):
    customer = Customer.objects.create(owner=user, recur_id="cus_amy", email="amy@example.com")
    sub = Subscription.objects.create(
        recur_id="sub_amy",
        customer=customer,
        product_slug="pro-monthly",
        status="ACTIVE",
        field_versions={"status": ["2026-01-01T00:00:00Z", "evt_secret_marker"]},
    )
    txn = Transaction.objects.create(
        owner=user,
        user=user,
        product_slug="pro-monthly",
        amount=2990,
        status="completed",
        checkout_session_id="cs_amy",
        subscription_id="sub_amy",
    )
    mention = WebhookEvent.objects.create(
        event_id="evt_1", type="subscription.created", body=b"{}", payload={"customer": "cus_amy"}
    )
    WebhookEvent.objects.create(
        event_id="evt_2", type="subscription.created", body=b"{}", payload={"customer": "cus_bob"}
    )
    return customer, sub, txn, mention


def page(client, model, *args):
    name = f"admin:recur_django_{model._meta.model_name}_{'change' if args else 'changelist'}"
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode()


def events_url(recur_id):
    return f"{reverse('admin:recur_django_webhookevent_changelist')}?mentions={recur_id}"


def test_customer_page_shows_subscriptions_and_transactions_with_links(staff_client, billing, user):
    customer, sub, txn, _ = billing
    html = page(staff_client, Customer, customer.pk)
    assert reverse("admin:recur_django_subscription_change", args=[sub.pk]) in html
    assert "sub_amy" in html
    assert reverse("admin:recur_django_transaction_change", args=[txn.pk]) in html
    assert "NT$2,990" in html
    assert reverse("admin:auth_user_change", args=[user.pk]) in html
    assert events_url("cus_amy") in html
    assert f"owner__exact={user.pk}" in html


def test_subscription_page_links_and_hides_field_versions(staff_client, billing, user):
    customer, sub, _, _ = billing
    html = page(staff_client, Subscription, sub.pk)
    assert reverse("admin:recur_django_customer_change", args=[customer.pk]) in html
    assert reverse("admin:auth_user_change", args=[user.pk]) in html
    assert events_url("sub_amy") in html
    assert "subscription_id=sub_amy" in html
    assert "evt_secret_marker" not in html
    assert "field versions" not in html.lower()


def test_transaction_page_links_to_user_customer_subscription_and_events(
    staff_client, billing, user
):
    customer, sub, txn, _ = billing
    html = page(staff_client, Transaction, txn.pk)
    assert reverse("admin:auth_user_change", args=[user.pk]) in html
    assert reverse("admin:recur_django_customer_change", args=[customer.pk]) in html
    assert reverse("admin:recur_django_subscription_change", args=[sub.pk]) in html
    assert events_url("cs_amy") in html
    assert "NT$2,990" in page(staff_client, Transaction)


def test_events_link_lists_only_the_events_that_mention_the_object(staff_client, billing):
    response = staff_client.get(events_url("cus_amy"))
    assert response.status_code == 200
    assert [e.event_id for e in response.context["cl"].result_list] == ["evt_1"]


@pytest.mark.parametrize("model", [Customer, Subscription, Transaction, WebhookEvent])
def test_lists_are_narrow_and_show_status(staff_client, billing, model):
    model_admin = admin.site._registry[model]
    assert len(model_admin.list_display) <= 6
    if any(f.name == "status" for f in model._meta.fields):
        assert "status" in model_admin.list_display
    page(staff_client, model)


@pytest.mark.parametrize("model", [Customer, Subscription, Transaction, WebhookEvent])
def test_every_read_only_admin_shares_one_base(model):
    model_admin = admin.site._registry[model]
    assert isinstance(model_admin, ReadOnlyAdmin)
    assert ReadOnlyAdmin.__module__ == "recur_django.admin.read_only"


def test_sizes_use_plurals(staff_client):
    event = WebhookEvent.objects.create(event_id="evt_one", type="x", body=b"{")
    html = page(staff_client, WebhookEvent, event.pk)
    assert "1 byte" in html and "1 bytes" not in html


def test_event_page_links_to_the_objects_it_names(staff_client, billing):
    customer, sub, txn, mention = billing
    mention.payload = {"data": {"customer": "cus_amy", "subscription": {"id": "sub_amy"}}}
    mention.save()
    html = page(staff_client, WebhookEvent, mention.pk)
    assert reverse("admin:recur_django_customer_change", args=[customer.pk]) in html
    assert reverse("admin:recur_django_subscription_change", args=[sub.pk]) in html
    assert reverse("admin:recur_django_transaction_change", args=[txn.pk]) not in html
