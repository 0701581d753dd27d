"""Records built from the client's typed objects read the same facts as from the raw data."""

from __future__ import annotations

from dataclasses import replace

import pytest

from recur_django.client.types import parse_checkout_session, parse_subscription
from recur_django.payloads import CheckoutData, SubscriptionData, parse_subscription_data
from tests.subscriptions.factories import T0, iso, sub_data

pytestmark = pytest.mark.django_db


def test_checkout_data_from_a_typed_session_matches_the_raw_reading():
    raw = {
        "id": "cs_1",
        "status": "COMPLETED",
        "amountTotal": 990,
        "currency": "twd",
        "product": {"id": "prod_1"},
        "customer": {"id": "cus_1", "email": "a@example.com", "name": "A", "externalId": "7"},
        "orderId": "ord_1",
        "metadata": {"transaction_id": "txn_1"},
    }
    typed = CheckoutData.from_session(parse_checkout_session(raw))
    # The typed session also reads the nested product id, which the flat reading does not.
    assert typed == replace(CheckoutData.from_checkout(raw), product_id="prod_1")
    assert (typed.status, typed.amount, typed.currency, typed.order_id) == (
        "COMPLETED",
        990,
        "TWD",
        "ord_1",
    )
    assert (typed.session_id, typed.product_id, typed.customer_id) == ("cs_1", "prod_1", "cus_1")
    assert (typed.customer_name, typed.external_customer_id) == ("A", "7")
    assert typed.transaction_id == "txn_1"


def test_a_malformed_amount_survives_the_typed_session_for_fulfilment_to_refuse():
    raw = {"id": "cs_1", "status": "paid", "amount": "12.5"}
    session = parse_checkout_session(raw)
    assert session.amount is None
    assert CheckoutData.from_session(session).amount == "12.5"


@pytest.mark.parametrize(
    "raw",
    [
        sub_data(customer={"id": "cus_1", "email": "a@example.com", "externalId": "7"}),
        sub_data(status="trial", canceled_at=None, trialEnd=iso(T0)),
        sub_data(status="CANCELED", access_until=iso(T0), cancel_at_period_end=False),
        {"id": "sub_2", "planId": "prod_x", "product": {"slug": "x", "name": "X"}, "amount": 5},
        {"id": "sub_3", "status": "weird", "customerId": "cus_3", "nextBillingDate": iso(T0)},
    ],
)
def test_subscription_data_from_a_typed_subscription_matches_the_raw_reading(raw):
    typed = SubscriptionData.from_client(parse_subscription(raw))
    assert typed == parse_subscription_data(raw)
