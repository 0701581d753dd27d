"""Property: any permutation, with duplicates, of a charge's lifecycle events ends in the
same ledger state and sends the same signals."""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recur_django import ledger, signals
from recur_django.models import Customer, Payment, Refund, WebhookEvent
from tests.ledger.payloads import invoice, order, refund

pytestmark = pytest.mark.django_db

_runs = itertools.count(1)


def lifecycle(p: str) -> list[tuple[str, str, dict[str, Any]]]:
    """A renewal (invoice + its order) whose first attempt failed under the same invoice id,
    an earlier declined order of its own, and two partial refunds adding up to the charge.
    ``p`` prefixes every id so each run has its own rows."""
    sub = {"subscription_id": f"{p}sub", "customer_id": f"{p}cus"}
    return [
        (
            "invoice.payment_failed",
            "2026-02-01T00:00:00Z",
            invoice(f"{p}in", order_id=f"{p}ord", failure_reason="insufficient_funds", **sub),
        ),
        (
            "order.payment_failed",
            "2026-01-31T00:00:00Z",
            order(f"{p}ord0", failure_reason="card_declined", **sub),
        ),
        (
            "invoice.paid",
            "2026-02-02T00:00:00Z",
            invoice(f"{p}in", order_id=f"{p}ord", billing_reason="subscription_cycle", **sub),
        ),
        ("order.paid", "2026-02-02T00:00:00Z", order(f"{p}ord", invoice_id=f"{p}in", **sub)),
        (
            "refund.created",
            "2026-02-03T00:00:00Z",
            refund(f"{p}re1", amount=100, order_id=f"{p}ord", refunded_total=100),
        ),
        (
            "refund.succeeded",
            "2026-02-03T00:01:00Z",
            refund(f"{p}re1", amount=100, order_id=f"{p}ord", refunded_total=100),
        ),
        (
            "refund.succeeded",
            "2026-02-04T00:00:00Z",
            refund(f"{p}re2", amount=190, invoice_id=f"{p}in", refunded_total=290),
        ),
    ]


def _run(steps: list[int], capture: Any) -> tuple[Any, ...]:
    p = f"r{next(_runs)}_"
    user = get_user_model().objects.create(username=p)
    Customer.objects.create(recur_id=f"{p}cus", owner=user)
    events = lifecycle(p)
    counts: Counter[str] = Counter()
    refunded_total = 0

    def count(name: str) -> Any:
        def receiver(sender: Any, **kwargs: Any) -> None:
            nonlocal refunded_total
            counts[name] += 1
            refunded_total += kwargs.get("amount") or 0 if name == "payment_refunded" else 0

        return receiver

    receivers = {
        name: count(name)
        for name in (
            "payment_succeeded",
            "payment_failed",
            "payment_refunded",
            "subscription_renewed",
        )
    }
    for name, receiver in receivers.items():
        getattr(signals, name).connect(receiver, weak=False)
    try:
        with capture(execute=True):  # run the after-commit sends while we listen
            for index in steps:
                event_type, at, data = events[index]
                event = WebhookEvent(
                    event_id=f"{p}evt{index}", type=event_type, payload={"timestamp": at}
                )
                ledger.record(event, event_type, data)
    finally:
        for name, receiver in receivers.items():
            getattr(signals, name).disconnect(receiver)

    def strip(value: str | None) -> str | None:
        return value.removeprefix(p) if value else value

    payments = sorted(
        (
            strip(pay.recur_id),
            strip(pay.order_id),
            strip(pay.invoice_id),
            pay.kind,
            pay.status,
            pay.amount,
            pay.refunded_amount,
            pay.paid_at,
            pay.failed_at,
            pay.failure_reason,
            pay.user_id == user.pk,
            strip(pay.subscription.recur_id if pay.subscription else None),
        )
        for pay in Payment.objects.filter(recur_id__startswith=p)
    )
    refunds = sorted(
        (strip(r.recur_id), r.status, r.amount, strip(r.payment.recur_id if r.payment else None))
        for r in Refund.objects.filter(recur_id__startswith=p).select_related("payment")
    )
    return payments, refunds, dict(counts), refunded_total


N_EVENTS = len(lifecycle(""))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_order_with_duplicates_ends_in_the_same_state(data, django_capture_on_commit_callbacks):
    order_ = data.draw(st.permutations(range(N_EVENTS)))
    duplicates = data.draw(st.lists(st.integers(0, N_EVENTS - 1), max_size=6))
    steps = list(order_)
    for position, index in enumerate(duplicates):
        steps.insert(data.draw(st.integers(0, len(steps)), label=f"at{position}"), index)

    in_order = _run(list(range(N_EVENTS)), django_capture_on_commit_callbacks)
    shuffled = _run(steps, django_capture_on_commit_callbacks)
    assert shuffled == in_order
    payments, refunds, counts, refunded_total = in_order
    assert [row[1] for row in refunds] == ["succeeded", "succeeded"]
    assert [row[4] for row in payments] == ["refunded", "failed"]  # in_…, ord0
    assert counts == {
        "payment_succeeded": 1,
        "payment_failed": 2,
        "payment_refunded": 2,
        "subscription_renewed": 1,
    }
    assert refunded_total == 290
