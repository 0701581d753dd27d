"""A charge's amount has one authority, whatever the delivery order (issue 17, findings 4
and 6), against the emulator over real HTTP.

The events of one renewal are taken from what the emulator emitted, changed the way a
confused sender could change them, and posted to this site signed. Where the events are
not enough — an amount that was not sent, or two events that disagree — the site asks
Recur for the invoice or order (``GET /v1/invoices/{id}``), outside any transaction, and
Recur's answer is the amount. When Recur has no such object (404), the same figure is kept
whatever the order, and the disagreement is written on the payment.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from recur_django.client_factory import get_client
from recur_django.emulator import clock
from recur_django.emulator.models import Subscription as EmulatedSubscription
from recur_django.models import Payment, Refund, WebhookEvent
from tests.recur_helpers import envelope, post_event

from .conftest import buy, flush

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def renewal(recur_emulator, buyer) -> dict[str, dict[str, Any]]:
    """The renewal's ``invoice.paid`` and ``order.paid`` data as the emulator sent them
    (NT$299), not delivered yet; the first purchase is delivered."""
    buy(recur_emulator, buyer, "pro-monthly")
    flush(recur_emulator)
    emulated = EmulatedSubscription.objects.get()
    month = clock.add_interval(emulated.started_at, "month", 1)
    recur_emulator.advance(seconds=(month - clock.now()).total_seconds() + 3600)
    invoice = recur_emulator.events("invoice.paid")[-1]["data"]
    order = next(
        e["data"]
        for e in reversed(recur_emulator.events("order.paid"))
        if e["data"].get("invoice_id") == invoice["id"]
    )
    assert invoice["amount"] == order["amount"] == 299
    return {"invoice": invoice, "order": order}


@pytest.fixture
def asked(monkeypatch) -> list[tuple[str, bool]]:
    """Every invoice/order retrieve this site makes, and whether a transaction was open."""
    calls: list[tuple[str, bool]] = []
    client = get_client()
    for resource in (client.invoices, client.orders):
        real = resource.retrieve

        def spy(charge_id: str, _real: Any = real) -> Any:
            calls.append((charge_id, connection.in_atomic_block))
            return _real(charge_id)

        monkeypatch.setattr(resource, "retrieve", spy)
    return calls


def post(data_by_type: list[tuple[str, dict[str, Any]]]) -> list[WebhookEvent]:
    client = Client()
    stored = []
    for event_type, data in data_by_type:
        event = envelope(event_type, data)
        response = post_event(client, event)
        assert response.status_code == 200, response.content
        stored.append(WebhookEvent.objects.get(event_id=event["id"]))
    return stored


def renewal_payment(invoice_id: str) -> Payment:
    return Payment.objects.get(invoice_id=invoice_id)


def test_a_paid_invoice_without_an_amount_takes_recurs_amount(renewal, asked, sent):
    invoice = {k: v for k, v in renewal["invoice"].items() if k not in ("amount", "amount_paid")}
    [stored] = post([("invoice.paid", invoice)])
    assert stored.status == WebhookEvent.Status.PROCESSED, stored.error
    payment = renewal_payment(invoice["id"])
    assert (payment.amount, payment.currency, payment.review_reason) == (299, "TWD", "")
    assert asked == [(invoice["id"], False)]  # once, with no transaction open
    assert [c["payment"].pk for c in sent["subscription_renewed"]] == [payment.pk]


def test_a_paid_charge_recur_does_not_know_and_that_sent_no_amount_is_refused(renewal, sent):
    ghost = {**renewal["invoice"], "id": "in_ghost", "order_id": "ord_ghost"}
    ghost.pop("amount")
    ghost.pop("amount_paid")
    renewed_before = len(sent["subscription_renewed"])
    [stored] = post([("invoice.paid", ghost)])
    assert stored.status == WebhookEvent.Status.FAILED and not stored.retryable
    assert "without an amount" in stored.error
    assert not Payment.objects.filter(invoice_id="in_ghost").exists()
    assert len(sent["subscription_renewed"]) == renewed_before


def _disagreeing(renewal: dict[str, dict[str, Any]], ids: dict[str, str]) -> list[tuple[str, dict]]:
    """Three events of one charge: the invoice as sent (NT$299), its order claiming
    NT$2,990, and the order again claiming 299 USD."""
    invoice = {**renewal["invoice"], **ids}
    order = {**renewal["order"], "id": ids["order_id"], "invoice_id": ids["id"]}
    return [
        ("invoice.paid", invoice),
        ("order.paid", {**order, "amount": 2990}),
        ("order.paid", {**order, "currency": "USD"}),
    ]


def _reset_ledger() -> None:
    Refund.objects.all().delete()
    Payment.objects.exclude(kind=Payment.Kind.CHECKOUT).delete()


@pytest.mark.parametrize("recur_knows_it", [True, False], ids=["recur-answers", "recur-404"])
def test_every_delivery_order_ends_with_one_amount_and_the_disagreement_noted(
    renewal, sent, recur_knows_it
):
    ids = (
        {"id": renewal["invoice"]["id"], "order_id": renewal["order"]["id"]}
        if recur_knows_it
        else {"id": "in_ghost", "order_id": "ord_ghost"}
    )
    events = _disagreeing(renewal, ids)
    outcomes = set()
    for order in itertools.permutations(events):
        _reset_ledger()
        succeeded_before = len(sent["payment_succeeded"])
        for stored in post(list(order)):
            # order.paid of a renewal fulfils nothing; the ledger records it: processed
            assert stored.status == "processed", stored.error
        payment = renewal_payment(ids["id"])
        outcomes.add((payment.amount, payment.currency, payment.status))
        assert "disagree" in payment.review_reason, payment.review_reason
        assert len(sent["payment_succeeded"]) == succeeded_before + 1
    # Recur's invoice says NT$299; without it, the TWD figure, then the smaller, is kept.
    assert outcomes == {(299, "TWD", Payment.Status.PAID)}


def test_a_later_event_never_silently_overwrites_recurs_amount(renewal, asked):
    invoice, order = renewal["invoice"], renewal["order"]
    post([("invoice.paid", invoice), ("order.paid", {**order, "amount": 1})])
    payment = renewal_payment(invoice["id"])
    assert payment.amount == 299
    assert "NT$1" in payment.review_reason and "NT$299" in payment.review_reason
    assert asked and all(open_ is False for _id, open_ in asked)
