"""Property: the mirror ends in the same state whatever order the events arrive in."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recur_django.models import Subscription
from recur_django.subscriptions import apply_subscription_data
from tests.subscriptions.factories import T0, iso

pytestmark = pytest.mark.django_db

_ids = itertools.count(1)

LIFECYCLE = [
    ("subscription.created", "PENDING"),
    ("subscription.activated", "ACTIVE"),
    ("subscription.trial_ending", "TRIALING"),
    ("subscription.renewed", "ACTIVE"),
    ("subscription.past_due", "PAST_DUE"),
    ("invoice.payment_failed", None),
    ("invoice.paid", None),
    ("subscription.upgraded", "ACTIVE"),
    ("subscription.cancelled", "CANCELED"),
    ("subscription.expired", "EXPIRED"),
]
OPTIONAL_KEYS = [
    "status",
    "product_id",
    "product_slug",
    "product_name",
    "amount",
    "current_period_start",
    "current_period_end",
    "cancel_at_period_end",
    "canceled_at",
]


@st.composite
def lifecycles(draw: Any) -> list[dict[str, Any]]:
    steps = draw(st.lists(st.sampled_from(LIFECYCLE), min_size=1, max_size=7))
    events = []
    at = T0
    for index, (event_type, status) in enumerate(steps):
        # Equal timestamps happen; the event id breaks the tie.
        at += timedelta(seconds=draw(st.sampled_from([0, 1, 3600, 86400 * 30])))
        if event_type.startswith("invoice."):
            data: dict[str, Any] = {"id": f"inv_{index}", "subscription_id": "SUB"}
        else:
            period_start = at - timedelta(days=draw(st.integers(0, 20)))
            data = {
                "id": "SUB",
                "customer_id": "cus_prop",
                "status": status,
                "product_id": draw(st.sampled_from(["prod_pro_monthly", "prod_pro_yearly"])),
                "product_slug": draw(st.sampled_from(["pro-monthly", "pro-yearly"])),
                "product_name": "Pro",
                "amount": draw(st.sampled_from([299, 2990])),
                "current_period_start": iso(period_start),
                "current_period_end": iso(period_start + timedelta(days=30)),
                "cancel_at_period_end": draw(st.booleans()),
                "canceled_at": draw(st.sampled_from([None, iso(at)])),
            }
            # Payloads are not always complete: drop some keys.
            for key in draw(st.lists(st.sampled_from(OPTIONAL_KEYS), max_size=4)):
                data.pop(key, None)
        events.append({"type": event_type, "id": f"evt_{index:03d}", "at": at, "data": data})
    return events


def _apply_all(events: list[dict[str, Any]], sub_id: str) -> tuple[Any, ...]:
    for event in events:
        data = dict(event["data"])
        if data.get("id") == "SUB":
            data["id"] = sub_id
        if data.get("subscription_id") == "SUB":
            data["subscription_id"] = sub_id
        apply_subscription_data(
            data, occurred_at=event["at"], event_id=event["id"], event_type=event["type"]
        )
    sub = Subscription.objects.get(recur_id=sub_id)
    return (
        sub.customer.recur_id if sub.customer else None,
        sub.status,
        sub.product_id,
        sub.product_slug,
        sub.product_name,
        sub.amount,
        sub.current_period_start,
        sub.current_period_end,
        sub.cancel_at_period_end,
        sub.canceled_at,
        sub.last_event_at,
        sub.last_event_id,
    )


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(events=lifecycles(), data=st.data())
def test_any_permutation_ends_in_the_in_order_state(events, data):
    permuted = data.draw(st.permutations(events))
    n = next(_ids)
    in_order = _apply_all(events, f"sub_inorder_{n}")
    shuffled = _apply_all(permuted, f"sub_shuffled_{n}")
    assert shuffled == in_order


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(events=lifecycles(), data=st.data())
def test_duplicates_change_nothing(events, data):
    duplicated = events + data.draw(st.lists(st.sampled_from(events), max_size=5))
    n = next(_ids)
    assert _apply_all(duplicated, f"sub_dup_{n}") == _apply_all(events, f"sub_once_{n}")
