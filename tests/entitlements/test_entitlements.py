from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.test import override_settings
from django.utils import timezone

from recur_django.entitlements import entitlements_for, has_entitlement
from recur_django.models import Customer, Subscription, Transaction
from tests.settings import RECUR

pytestmark = pytest.mark.django_db

NOW = timezone.now()
PERIODS = {
    "none": None,
    "future": NOW + timedelta(days=10),
    "just_ended": NOW - timedelta(days=1),  # inside a 3-day grace period
    "long_ended": NOW - timedelta(days=10),
}
STATUSES = [s.value for s in Subscription.Status]
GRACES = [0, 3]
ENDED = {"none": None, "past": NOW - timedelta(hours=1), "future": NOW + timedelta(days=1)}


def expected(status: str, period: str, cancel_at_period_end: bool, grace: int, ended: str) -> bool:
    """The documented rules, spelled out case by case."""
    if status in ("ACTIVE", "TRIALING"):
        if not cancel_at_period_end:
            return True
        return period in ("none", "future")
    if status == "PAST_DUE":
        if period == "future":
            return True
        if period in ("just_ended", "none"):  # "none": grace runs from the last event (1 day ago)
            return grace == 3
        return False
    if status == "CANCELED":
        # Paid until the period end, whatever the flag; canceled at once: until it ended.
        return period == "future" and ended != "past"
    return False  # PENDING, EXPIRED, PAUSED


@pytest.fixture
def user():
    return get_user_model().objects.create_user("ann", "ann@example.com", "pw")


@pytest.fixture
def customer(user):
    return Customer.objects.create(owner=user, recur_id="cus_ann", email="ann@example.com")


def make_sub(customer, status="ACTIVE", period_end=None, cancel=False, **kwargs):
    defaults = {
        "recur_id": f"sub_{Subscription.objects.count() + 1}",
        "customer": customer,
        "product_id": "prod_pro_monthly",
        "product_slug": "pro-monthly",
        "status": status,
        "current_period_end": period_end,
        "cancel_at_period_end": cancel,
        "last_event_at": NOW - timedelta(days=1),
    }
    defaults.update(kwargs)
    return Subscription.objects.create(**defaults)


CASES = list(itertools.product(STATUSES, PERIODS, [False, True], GRACES, ENDED))


@pytest.mark.parametrize(("status", "period", "cancel", "grace", "ended"), CASES)
def test_truth_table(customer, user, status, period, cancel, grace, ended):
    sub = make_sub(customer, status, PERIODS[period], cancel, ended_at=ENDED[ended])
    want = expected(status, period, cancel, grace, ended)
    with override_settings(RECUR={**RECUR, "PAST_DUE_GRACE_DAYS": grace}):
        assert sub.grants_access(now=NOW) is want
        assert has_entitlement(user, "pro-monthly", now=NOW) is want
        assert has_entitlement(user, "prod_pro_monthly", now=NOW) is want


def test_truth_table_covers_every_status():
    assert {case[0] for case in CASES} == {
        "PENDING",
        "TRIALING",
        "ACTIVE",
        "PAST_DUE",
        "CANCELED",
        "EXPIRED",
        "PAUSED",
    }


def test_at_most_one_query(user, customer, django_assert_max_num_queries):
    make_sub(customer)
    with django_assert_max_num_queries(1):
        assert has_entitlement(user, "pro-monthly")
    with django_assert_max_num_queries(1):
        assert not has_entitlement(user, "ebook")
    with django_assert_max_num_queries(1):
        assert has_entitlement(user, ["ebook", "pro-monthly"])


def test_anonymous_costs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert not has_entitlement(AnonymousUser(), "pro-monthly")
        assert not has_entitlement(None, "pro-monthly")


def test_other_users_subscription_does_not_count(user):
    other = get_user_model().objects.create_user("eve", "eve@example.com", "pw")
    make_sub(Customer.objects.create(owner=other, recur_id="cus_eve"))
    assert not has_entitlement(user, "pro-monthly")
    assert has_entitlement(other, "pro-monthly")


def test_subscription_without_user_mapping_does_not_count(user):
    make_sub(Customer.objects.create(recur_id="cus_orphan", email="ann@example.com"))
    assert not has_entitlement(user, "pro-monthly")


def test_wrong_product_does_not_count(user, customer):
    make_sub(customer)
    assert not has_entitlement(user, "pro-yearly")
    assert has_entitlement(user)  # any product


def test_completed_one_time_purchase_counts_for_good(user):
    Transaction.objects.create(
        owner=user,
        user=user,
        product_id="prod_ebook",
        product_slug="ebook",
        mode=Transaction.Mode.PAYMENT,
        status=Transaction.Status.COMPLETED,
        completed_at=NOW - timedelta(days=900),
    )
    assert has_entitlement(user, "ebook")
    assert has_entitlement(user, "prod_ebook")
    assert not has_entitlement(user, "pro-monthly")


@pytest.mark.parametrize(
    ("status", "mode"),
    [
        (Transaction.Status.PENDING, Transaction.Mode.PAYMENT),
        (Transaction.Status.FAILED, Transaction.Mode.PAYMENT),
        (Transaction.Status.EXPIRED, Transaction.Mode.PAYMENT),
        (Transaction.Status.COMPLETED, Transaction.Mode.SUBSCRIPTION),
    ],
)
def test_other_transactions_do_not_count(user, status, mode):
    Transaction.objects.create(
        owner=user,
        user=user,
        product_id="prod_ebook",
        product_slug="ebook",
        mode=mode,
        status=status,
    )
    assert not has_entitlement(user, "ebook")


def test_empty_product_list_is_never_entitled(user, customer):
    make_sub(customer)
    assert not has_entitlement(user, [])


def test_entitlements_for_lists_subscriptions_and_purchases(user, customer):
    make_sub(customer, "PAST_DUE", NOW - timedelta(days=1))
    make_sub(customer, "EXPIRED", NOW - timedelta(days=1), product_slug="old")
    Transaction.objects.create(
        owner=user,
        user=user,
        product_id="prod_ebook",
        product_slug="ebook",
        mode=Transaction.Mode.PAYMENT,
        status=Transaction.Status.COMPLETED,
    )
    items = entitlements_for(user)
    assert [(e.product_slug, e.source, e.status) for e in items] == [
        ("pro-monthly", "subscription", "PAST_DUE"),
        ("ebook", "purchase", "purchased"),
    ]
    assert items[0].expires_at == NOW - timedelta(days=1) + timedelta(days=3)
    assert items[1].expires_at is None
    assert entitlements_for(AnonymousUser()) == []
