from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model

from recur_django.customers import external_id_for
from recur_django.models import Customer, Subscription
from recur_django.signals import subscription_changed
from recur_django.subscriptions import (
    normalize_status,
    parse_subscription_data,
    parse_timestamp,
    sync_subscription,
)
from recur_django.webhooks.registry import EventRejected
from tests.subscriptions.factories import T0, dispatch, iso, store_event, sub_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def changes():
    received: list[dict] = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    subscription_changed.connect(receiver)
    yield received
    subscription_changed.disconnect(receiver)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ACTIVE", "ACTIVE"),
        ("active", "ACTIVE"),
        ("TRIAL", "TRIALING"),
        ("trialing", "TRIALING"),
        ("CANCELLED", "CANCELED"),
        ("canceled", "CANCELED"),
        ("past-due", "PAST_DUE"),
        ("PAST_DUE", "PAST_DUE"),
        ("expired", "EXPIRED"),
        ("pending", "PENDING"),
        ("weird", None),
        ("", None),
        (None, None),
        (3, None),
    ],
)
def test_normalize_status(value, expected):
    assert normalize_status(value) == expected


def test_parse_timestamp_accepts_iso_and_epoch():
    assert parse_timestamp("2025-01-01T00:00:00.000Z") == T0
    assert parse_timestamp("2025-01-01T08:00:00+08:00") == T0
    assert parse_timestamp(int(T0.timestamp())) == T0
    assert parse_timestamp(int(T0.timestamp() * 1000)) == T0
    assert parse_timestamp(str(int(T0.timestamp() * 1000))) == T0
    assert parse_timestamp("2025-01-01T00:00:00") == T0  # naive = UTC
    assert parse_timestamp("yesterday") is None
    assert parse_timestamp({"a": 1}) is None
    assert parse_timestamp(True) is None


def test_parse_reads_camel_case_and_nested_objects():
    parsed = parse_subscription_data(
        {
            "id": "sub_9",
            "status": "trial",
            "customer": {"id": "cus_9", "email": "a@example.com", "externalId": "7"},
            "product": {"id": "prod_x", "slug": "x", "name": "X"},
            "currentPeriodEnd": "2025-02-01T00:00:00Z",
            "cancelAtPeriodEnd": True,
            "trialEnd": "2025-01-08T00:00:00Z",
        },
        "subscription.updated",
    )
    assert parsed.recur_id == "sub_9"
    assert parsed.fields["status"] == "TRIALING"
    assert parsed.fields["product_id"] == "prod_x"
    assert parsed.fields["product_slug"] == "x"
    assert parsed.fields["product_name"] == "X"
    assert parsed.fields["cancel_at_period_end"] is True
    assert parsed.fields["current_period_end"] == T0 + timedelta(days=31)
    assert parsed.customer is not None
    assert parsed.customer.email == "a@example.com"
    assert parsed.customer.external_id == "7"


def test_event_for_unknown_customer_creates_customer_and_subscription(
    changes, django_capture_on_commit_callbacks
):
    event = store_event("subscription.activated", sub_data(customer_email="new@example.com"), T0)
    with django_capture_on_commit_callbacks(execute=True):
        dispatch(event)
    sub = Subscription.objects.get(recur_id="sub_1")
    assert sub.status == "ACTIVE"
    assert sub.customer is not None
    assert sub.customer.recur_id == "cus_1"
    assert sub.customer.email == "new@example.com"
    assert sub.product_slug == "pro-monthly"
    assert sub.amount == 299
    assert sub.current_period_end == T0 + timedelta(days=30)
    assert sub.last_event_at == T0
    assert sub.last_event_id == event.event_id
    assert len(changes) == 1
    assert changes[0]["subscription"].pk == sub.pk
    assert changes[0]["previous_status"] is None
    assert changes[0]["event"] == event


def test_external_customer_id_links_the_user():
    user = get_user_model().objects.create_user("alice", "alice@example.com", "pw")
    dispatch(
        store_event(
            "subscription.activated", sub_data(external_customer_id=external_id_for(user)), T0
        )
    )
    assert Customer.objects.get(recur_id="cus_1").owner == user


def test_existing_customer_mapping_is_reused():
    user = get_user_model().objects.create_user("bob", "bob@example.com", "pw")
    customer = Customer.objects.create(owner=user, recur_id="cus_1", email="bob@example.com")
    dispatch(store_event("subscription.activated", sub_data(), T0))
    assert Subscription.objects.get().customer == customer
    assert Customer.objects.count() == 1


def test_lifecycle_in_order(changes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        dispatch(store_event("subscription.created", sub_data(status="PENDING"), T0))
        dispatch(store_event("subscription.activated", sub_data(), T0 + timedelta(seconds=5)))
        dispatch(
            store_event(
                "subscription.past_due",
                sub_data(status="PAST_DUE"),
                T0 + timedelta(days=30, minutes=1),
            )
        )
        dispatch(
            store_event(
                "subscription.renewed",
                sub_data(start=T0 + timedelta(days=30)),
                T0 + timedelta(days=31),
            )
        )
    sub = Subscription.objects.get()
    assert sub.status == "ACTIVE"
    assert sub.current_period_end == T0 + timedelta(days=60)
    assert [c["previous_status"] for c in changes] == [None, "PENDING", "ACTIVE", "PAST_DUE"]


def test_older_event_does_not_change_a_newer_state(changes, django_capture_on_commit_callbacks):
    newer = store_event(
        "subscription.cancelled",
        sub_data(status="CANCELED", canceled_at=iso(T0 + timedelta(days=2))),
        T0 + timedelta(days=2),
    )
    older = store_event("subscription.activated", sub_data(), T0)
    with django_capture_on_commit_callbacks(execute=True):
        dispatch(newer)
        dispatch(older)
    sub = Subscription.objects.get()
    assert sub.status == "CANCELED"
    assert sub.canceled_at == T0 + timedelta(days=2)
    assert sub.last_event_id == newer.event_id
    assert len(changes) == 1  # the older event changed nothing


def test_redelivered_event_is_a_no_op(changes, django_capture_on_commit_callbacks):
    event = store_event("subscription.activated", sub_data(), T0)
    with django_capture_on_commit_callbacks(execute=True):
        dispatch(event)
        dispatch(event)
    assert len(changes) == 1


def test_status_from_event_type_when_payload_has_none():
    data = sub_data()
    del data["status"]
    dispatch(store_event("subscription.expired", data, T0))
    assert Subscription.objects.get().status == "EXPIRED"


def test_access_until_means_cancel_at_period_end():
    dispatch(store_event("subscription.activated", sub_data(), T0))
    until = T0 + timedelta(days=30)
    dispatch(
        store_event(
            "subscription.cancelled",
            {"id": "sub_1", "status": "CANCELED", "accessUntil": iso(until)},
            T0 + timedelta(days=3),
        )
    )
    sub = Subscription.objects.get()
    assert sub.status == "CANCELED"
    assert sub.cancel_at_period_end is True
    assert sub.current_period_end == until


def test_invoice_events_move_between_active_and_past_due():
    dispatch(store_event("subscription.activated", sub_data(), T0))
    invoice = {"id": "inv_1", "status": "OPEN", "subscription_id": "sub_1", "amount": 299}
    dispatch(store_event("invoice.payment_failed", invoice, T0 + timedelta(days=30)))
    sub = Subscription.objects.get()
    assert sub.status == "PAST_DUE"
    assert sub.amount == 299
    paid = {"id": "inv_1", "status": "PAID", "subscriptionId": "sub_1"}
    dispatch(store_event("invoice.paid", paid, T0 + timedelta(days=31)))
    sub.refresh_from_db()
    assert sub.status == "ACTIVE"
    assert sub.raw["id"] == "sub_1"  # an invoice never replaces the subscription snapshot


def test_invoice_without_subscription_is_ignored():
    dispatch(store_event("invoice.paid", {"id": "inv_2", "status": "PAID", "amount": 299}, T0))
    assert not Subscription.objects.exists()


def test_subscription_event_without_id_is_rejected():
    with pytest.raises(EventRejected):
        dispatch(store_event("subscription.activated", {"status": "ACTIVE"}, T0))


def test_garbage_values_are_dropped_not_stored():
    data = sub_data(status="SOMETHING_NEW", amount="lots", current_period_end="soon")
    dispatch(store_event("subscription.updated", data, T0))
    sub = Subscription.objects.get()
    assert sub.status == "PENDING"  # unknown status: not guessed
    assert sub.amount is None
    assert sub.current_period_end is None
    assert sub.current_period_start == T0


def test_event_without_timestamp_uses_header_then_receipt_time():
    event = store_event("subscription.activated", sub_data(), T0)
    event.payload = {"id": event.event_id, "type": event.type, "data": sub_data()}
    event.headers = {"X-Recur-Timestamp": str(int((T0 + timedelta(hours=1)).timestamp() * 1000))}
    event.save()
    dispatch(event)
    assert Subscription.objects.get().last_event_at == T0 + timedelta(hours=1)


def test_sync_counts_as_newer_than_earlier_events():
    sync_subscription(sub_data(status="CANCELED"), at=T0 + timedelta(days=1))
    dispatch(store_event("subscription.activated", sub_data(), T0))
    assert Subscription.objects.get().status == "CANCELED"
    dispatch(store_event("subscription.renewed", sub_data(), T0 + timedelta(days=2)))
    assert Subscription.objects.get().status == "ACTIVE"
