"""The client's promotion_codes and credits resources against the emulator over HTTP,
and what they refuse before sending."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import responses

from recur_django.client import InvalidRequestError, NotFoundError, RecurClient
from recur_django.client.envelopes import unwrap

pytestmark = pytest.mark.django_db(transaction=True)


def test_promotion_code_round_trip(recur_emulator):
    client = recur_emulator.client
    coupon = recur_emulator.create_coupon("FIXED_AMOUNT", amount_off=100)
    until = datetime(2099, 1, 1, tzinfo=UTC)
    promo = client.promotion_codes.create(
        coupon_id=coupon["id"],
        code="HELLO100",
        valid_until=until,
        max_redemptions=10,
        minimum_amount=300,
        customer_eligibility="EXISTING_CUSTOMERS",
        metadata={"campaign": "hello"},
    )
    assert promo.id.startswith("promo_")
    assert (promo.code, promo.coupon_id, promo.valid_until) == ("HELLO100", coupon["id"], until)
    assert (promo.max_redemptions, promo.max_redemptions_per_customer) == (10, 1)
    assert (promo.minimum_amount, promo.customer_eligibility) == (300, "EXISTING_CUSTOMERS")
    assert promo.current_redemptions == 0 and promo.active is True
    assert promo.coupon["amount_off"] == 100
    assert client.promotion_codes.retrieve(promo.id) == promo
    page = client.promotion_codes.list(limit=1)
    assert [p.id for p in page] == [promo.id] and page.has_more is False
    off = client.promotion_codes.deactivate(promo.id)
    assert off.active is False
    changed = client.promotion_codes.update(promo.id, metadata={"campaign": "later"})
    assert changed.metadata == {"campaign": "later"}
    assert [p.id for p in client.promotion_codes.iter(active=False)] == [promo.id]
    with pytest.raises(NotFoundError):
        client.promotion_codes.retrieve("promo_nope")


@pytest.mark.parametrize("code", ["", "ab", "lower", "WITH SPACE", "X" * 21, None])
def test_codes_recur_would_refuse_are_not_sent(code):
    client = RecurClient("sk_test_x", base_url="http://127.0.0.1:1")
    with pytest.raises(InvalidRequestError, match="uppercase"):
        client.promotion_codes.create(coupon_id="cpn_1", code=code)


def test_other_local_refusals():
    client = RecurClient("sk_test_x", base_url="http://127.0.0.1:1")
    with pytest.raises(InvalidRequestError):
        client.promotion_codes.create(coupon_id="", code="SPRING")
    with pytest.raises(InvalidRequestError):
        client.promotion_codes.create(coupon_id="cpn_1", code="SPRING", customer_eligibility="X")
    with pytest.raises(TypeError):
        client.promotion_codes.update("promo_1", code="OTHER")
    for amount in (0, -5, 1.5, True, "3"):
        with pytest.raises(InvalidRequestError):
            client.credits.deduct("cus_1", amount=amount, description="x")


def test_requests_go_out_snake_case_and_wrapped_answers_are_read():
    client = RecurClient("sk_test_x", base_url="https://api.example")
    promo = {"id": "promo_1", "code": "SPRING", "couponId": "cpn_1", "currentRedemptions": 3}
    with responses.RequestsMock() as mock:
        mock.post("https://api.example/v1/promotion-codes", json={"success": True, "data": promo})
        created = client.promotion_codes.create(
            coupon_id="cpn_1",
            code="SPRING",
            valid_from=datetime(2030, 1, 1, tzinfo=UTC),
            max_redemptions_per_customer=2,
        )
        body = mock.calls[0].request.body
    assert b'"coupon_id":"cpn_1"' in body and b'"max_redemptions_per_customer":2' in body
    assert b'"valid_from":"2030-01-01T00:00:00+00:00"' in body
    assert (created.coupon_id, created.current_redemptions) == ("cpn_1", 3)


def test_unwrap_leaves_lists_and_plain_objects_alone():
    assert unwrap({"success": True, "data": {"id": "x"}}) == {"id": "x"}
    page = {"success": True, "data": [{"id": "x"}], "has_more": False}
    assert unwrap(page) is page
    plain = {"id": "x", "data": {"nested": 1}}
    assert unwrap(plain) is plain


def test_credits_round_trip(recur_emulator):
    client = recur_emulator.client
    session = client.checkout_sessions.create(
        product_id="prod_credits_100",
        success_url="https://shop.example/ok",
        cancel_url="https://shop.example/no",
        customer_email="buyer@example.com",
    )
    recur_emulator.pay(session.id)
    customer = client.checkout_sessions.retrieve(session.id).customer_id
    assert client.credits.balance(customer).balance == 100
    spent = client.credits.deduct(customer, amount=40, description="Report", idempotency_key="r1")
    assert (spent.type, spent.amount, spent.balance, spent.customer_id) == (
        "DEDUCTION",
        40,
        60,
        customer,
    )
    # The answer was "lost": the same key again is the same deduction.
    assert (
        client.credits.deduct(customer, amount=40, description="Report", idempotency_key="r1")
        == spent
    )
    assert client.credits.balance(customer).balance == 60
    with pytest.raises(InvalidRequestError) as refused:
        client.credits.deduct(customer, amount=61, description="Too much")
    assert refused.value.code == "insufficient_balance"
    with pytest.raises(NotFoundError):
        client.credits.balance("cus_nope")
