"""Coupons and promotion codes in the emulator: the API, the hosted checkout's code field,
and discounts on first payments and renewals."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from recur_django.emulator import clock
from recur_django.emulator.models import Coupon, Order, Product, Subscription

from .test_portal_and_lists import subscribe


def create_code(api: Any, **fields: Any) -> Any:
    return api.post("promotion-codes", json=fields)


@pytest.fixture
def percent(recur_emulator: Any) -> dict[str, Any]:
    return recur_emulator.create_coupon("PERCENTAGE", percent_off=20, name="Spring")


def apply_code(recur_emulator: Any, session_id: str, code: str) -> Any:
    return recur_emulator.http.post(
        recur_emulator.url(f"checkout/{session_id}/code"),
        data={"code": code},
        allow_redirects=False,
    )


# -- the API -------------------------------------------------------------------------------


def test_create_answers_the_wrapped_promotion_code(api, percent):
    response = create_code(
        api,
        coupon_id=percent["id"],
        code="SPRING20",
        max_redemptions=100,
        minimum_amount=200,
        customer_eligibility="NEW_CUSTOMERS",
        valid_until="2099-01-01T00:00:00Z",
        metadata={"campaign": "spring"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    promo = body["data"]
    assert promo["id"].startswith("promo_")
    assert (promo["code"], promo["coupon_id"], promo["max_redemptions"]) == (
        "SPRING20",
        percent["id"],
        100,
    )
    assert promo["max_redemptions_per_customer"] == 1  # Recur's default
    assert promo["current_redemptions"] == 0
    assert promo["coupon"]["percent_off"] == 20
    assert promo["valid_until"].startswith("2099-01-01T00:00:00")
    again = api.get(f"promotion-codes/{promo['id']}").json()["data"]
    assert again == promo
    listed = api.get("promotion-codes").json()
    assert [p["id"] for p in listed["data"]] == [promo["id"]] and listed["has_more"] is False


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"coupon_id": None, "code": "SPRING"}, 400, "invalid_request"),
        ({"coupon_id": "cpn_nope", "code": "SPRING"}, 404, "resource_not_found"),
        ({"code": "spring"}, 400, "invalid_request"),  # lowercase
        ({"code": "AB"}, 400, "invalid_request"),  # too short
        ({"code": "A" * 21}, 400, "invalid_request"),
        ({"code": "SPRING-20"}, 400, "invalid_request"),
        ({"code": "SPRING", "customer_eligibility": "VIP"}, 400, "invalid_request"),
        ({"code": "SPRING", "max_redemptions": 0}, 400, "invalid_request"),
        ({"code": "SPRING", "valid_from": "tomorrow"}, 400, "invalid_request"),
        ({"code": "SPRING", "restricted_to_customer_id": "cus_nope"}, 404, "resource_not_found"),
    ],
)
def test_create_refuses_what_recur_refuses(api, percent, fields, status, code):
    body = {"coupon_id": percent["id"], **fields}
    response = create_code(api, **body)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


def test_one_active_code_per_text_and_updates_change_only_active_and_metadata(api, percent):
    first = create_code(api, coupon_id=percent["id"], code="SPRING").json()["data"]
    taken = create_code(api, coupon_id=percent["id"], code="SPRING")
    assert taken.status_code == 400
    assert taken.json()["error"]["code"] == "resource_already_exists"
    fixed = api.call("PATCH", f"promotion-codes/{first['id']}", json={"max_redemptions": 5})
    assert fixed.status_code == 400 and "cannot be changed" in fixed.json()["error"]["message"]
    off = api.call("PATCH", f"promotion-codes/{first['id']}", json={"active": False})
    assert off.json()["data"]["active"] is False
    second = create_code(api, coupon_id=percent["id"], code="SPRING").json()["data"]
    back = api.call("PATCH", f"promotion-codes/{first['id']}", json={"active": True})
    assert back.status_code == 400  # SPRING is the second code's now
    meta = api.call("PATCH", f"promotion-codes/{second['id']}", json={"metadata": {"a": "b"}})
    assert meta.json()["data"]["metadata"] == {"a": "b"}
    assert (
        api.get("promotion-codes", params={"active": "false"}).json()["data"][0]["id"]
        == (first["id"])
    )


def test_coupons_are_checked_when_created(recur_emulator):
    from recur_django.emulator.services.promotions import PromotionError

    with pytest.raises(PromotionError):
        recur_emulator.create_coupon("PERCENTAGE", percent_off=120)
    with pytest.raises(PromotionError):
        recur_emulator.create_coupon("FIXED_AMOUNT")
    with pytest.raises(PromotionError):
        recur_emulator.create_coupon("FIXED_AMOUNT", amount_off=50, duration="REPEATING")
    bad = recur_emulator.control(action="coupon", discount_type="NOPE")
    assert bad.status_code == 400
    made = recur_emulator.control(
        action="coupon", discountType="FIXED_AMOUNT", amountOff=50, id="cpn_fifty"
    )
    assert made.status_code == 200, made.text
    assert Coupon.objects.get(id="cpn_fifty").amount_off == 50


# -- the hosted checkout ---------------------------------------------------------------------


def test_a_code_typed_on_the_page_lowers_what_is_charged_and_reported(recur_emulator, api, percent):
    create_code(api, coupon_id=percent["id"], code="SPRING")
    session = api.checkout("prod_ebook")
    page = recur_emulator.http.get(session["url"]).text
    assert 'name="code"' in page
    applied = apply_code(recur_emulator, session["id"], "spring")  # any letter case
    assert applied.status_code == 303
    page = recur_emulator.http.get(session["url"]).text
    assert "NT$472" in page and "<s" in page and "NT$590" in page
    retrieved = api.get(f"checkout/sessions/{session['id']}").json()
    assert (retrieved["amount"], retrieved["discount_amount"], retrieved["amount_subtotal"]) == (
        472,
        118,
        590,
    )
    assert retrieved["promotion_code"] == "SPRING"
    assert recur_emulator.pay(session["id"]).status_code == 303
    order = recur_emulator.events("order.paid")[-1]["data"]
    assert (order["amount"], order["discount_amount"], order["promotion_code"]) == (
        472,
        118,
        "SPRING",
    )
    done = recur_emulator.events("checkout.completed")[-1]["data"]
    assert (done["amount"], done["discount_amount"]) == (472, 118)
    promo = api.get("promotion-codes").json()["data"][0]
    assert promo["current_redemptions"] == 1


def test_bad_codes_say_why_and_change_nothing(recur_emulator, api, percent):
    session = api.checkout("prod_ebook")
    unknown = apply_code(recur_emulator, session["id"], "NOPE")
    assert unknown.status_code == 400 and "not valid" in unknown.text
    create_code(api, coupon_id=percent["id"], code="LATER", valid_from="2099-01-01T00:00:00Z")
    create_code(api, coupon_id=percent["id"], code="BIGONLY", minimum_amount=1000)
    later = apply_code(recur_emulator, session["id"], "LATER")
    assert later.status_code == 400 and "not valid yet" in later.text
    small = apply_code(recur_emulator, session["id"], "BIGONLY")
    assert small.status_code == 400 and "NT$1,000" in small.text
    assert api.get(f"checkout/sessions/{session['id']}").json()["amount"] == 590


def test_limits_count_paid_checkouts_per_customer_and_in_total(recur_emulator, api, percent):
    create_code(api, coupon_id=percent["id"], code="ONCE", max_redemptions=2)
    first = api.checkout("prod_ebook", customerEmail="amy@example.com")
    assert apply_code(recur_emulator, first["id"], "ONCE").status_code == 303
    assert recur_emulator.pay(first["id"]).status_code == 303
    again = api.checkout("prod_ebook", customerEmail="amy@example.com")
    refused = apply_code(recur_emulator, again["id"], "ONCE")
    assert refused.status_code == 400 and "already used" in refused.text
    bob = api.checkout("prod_ebook", customerEmail="bob@example.com")
    assert apply_code(recur_emulator, bob["id"], "ONCE").status_code == 303
    carol = api.checkout("prod_ebook", customerEmail="carol@example.com")
    assert apply_code(recur_emulator, carol["id"], "ONCE").status_code == 303
    assert recur_emulator.pay(bob["id"]).status_code == 303
    # Carol applied it while it was still available; at payment the limit is reached.
    late = recur_emulator.pay(carol["id"])
    assert late.status_code == 400 and "used up" in late.text
    assert not Order.objects.filter(customer__email="carol@example.com").exists()


def test_new_customers_only(recur_emulator, api, percent):
    create_code(api, coupon_id=percent["id"], code="WELCOME", customer_eligibility="NEW_CUSTOMERS")
    subscribe(recur_emulator, api, product="prod_ebook")  # amy has paid before
    returning = api.checkout("prod_ebook", customerEmail="amy@example.com")
    refused = apply_code(recur_emulator, returning["id"], "WELCOME")
    assert refused.status_code == 400 and "new customers" in refused.text
    newcomer = api.checkout("prod_ebook", customerEmail="new@example.com")
    assert apply_code(recur_emulator, newcomer["id"], "WELCOME").status_code == 303


def test_a_code_can_be_removed_and_a_payment_link_applies_its_code(recur_emulator, api, percent):
    create_code(api, coupon_id=percent["id"], code="LINK")
    session = api.checkout("prod_ebook")
    apply_code(recur_emulator, session["id"], "LINK")
    assert apply_code(recur_emulator, session["id"], "").status_code == 303
    assert api.get(f"checkout/sessions/{session['id']}").json()["amount"] == 590
    link = api.post(
        "payment-links", json={"productId": "prod_ebook", "promotionCode": "LINK"}
    ).json()
    visit = recur_emulator.http.get(link["url"])
    assert visit.status_code == 200 and "NT$472" in visit.text


def test_the_api_applies_a_code_at_creation_and_refuses_an_unknown_one(api, percent):
    create_code(api, coupon_id=percent["id"], code="API")
    session = api.checkout("prod_ebook", promotion_code="API")
    assert (session["amount"], session["discount_amount"]) == (472, 118)
    unknown = api.post(
        "checkout/sessions",
        json={
            "productId": "prod_ebook",
            "successUrl": "https://shop.example/ok",
            "cancelUrl": "https://shop.example/no",
            "promotionCode": "NOPE",
        },
    )
    assert unknown.status_code == 400
    assert unknown.json()["error"]["code"] == "promotion_code_invalid"


# -- subscriptions ---------------------------------------------------------------------------


def renewal_amounts(recur_emulator: Any, sub_id: str, months: int) -> list[int]:
    for _ in range(months):
        recur_emulator.advance(days=31)
    orders = Order.objects.filter(subscription_id=sub_id).order_by("created_at", "id")
    return [order.amount for order in orders]


@pytest.mark.parametrize(
    ("coupon", "amounts"),
    [
        ({"discount_type": "PERCENTAGE", "percent_off": 50}, [149, 299, 299]),
        (
            {
                "discount_type": "FIXED_AMOUNT",
                "amount_off": 100,
                "duration": "REPEATING",
                "duration_periods": 2,
            },
            [199, 199, 299],
        ),
        (
            {"discount_type": "PERCENTAGE", "percent_off": 10, "duration": "FOREVER"},
            [269, 269, 269],
        ),
        ({"discount_type": "FIRST_PERIOD_PRICE", "first_period_price": 1}, [1, 299, 299]),
    ],
)
def test_durations_apply_to_the_first_period_and_renewals(recur_emulator, api, coupon, amounts):
    made = recur_emulator.create_coupon(**coupon)
    create_code(api, coupon_id=made["id"], code="PLAN")
    session = api.checkout("prod_pro_monthly")
    assert apply_code(recur_emulator, session["id"], "PLAN").status_code == 303
    assert recur_emulator.pay(session["id"]).status_code == 303
    sub_id = api.get(f"checkout/sessions/{session['id']}").json()["subscription_id"]
    assert renewal_amounts(recur_emulator, sub_id, 2) == amounts
    renewed = recur_emulator.events("invoice.paid")[-1]["data"]
    assert renewed["amount"] == amounts[-1]
    assert renewed["discount_amount"] == 299 - amounts[-1]


def test_after_a_trial_the_first_full_charge_is_discounted(recur_emulator, api, trial_product):
    made = recur_emulator.create_coupon("PERCENTAGE", percent_off=50)
    create_code(api, coupon_id=made["id"], code="TRIAL")
    session = api.checkout(trial_product.id)
    assert apply_code(recur_emulator, session["id"], "TRIAL").status_code == 303
    page = recur_emulator.http.get(session["url"]).text
    assert "first payment after the trial" in page
    assert api.get(f"checkout/sessions/{session['id']}").json()["amount"] == 2
    assert recur_emulator.pay(session["id"]).status_code == 303
    sub = Subscription.objects.get()
    assert sub.coupon_id == made["id"] and sub.coupon_remaining_cycles == 1
    recur_emulator.advance(days=15)
    first_full = Order.objects.filter(subscription=sub).order_by("-created_at").first()
    assert first_full.amount == 149  # 50 % of 299 is 149.5: the discount rounds to 150
    sub.refresh_from_db()
    assert sub.coupon_id is None


def test_renewal_discount_is_listed_on_the_subscription(recur_emulator, api):
    made = recur_emulator.create_coupon("PERCENTAGE", percent_off=10, duration="FOREVER")
    create_code(api, coupon_id=made["id"], code="LIST")
    session = api.checkout("prod_pro_monthly")
    apply_code(recur_emulator, session["id"], "LIST")
    recur_emulator.pay(session["id"])
    item = api.get("subscriptions").json()["data"][0]
    assert item["coupon"]["id"] == made["id"]
    assert item["coupon_remaining_cycles"] is None
    assert item["discount_amount"] == 30


def test_expired_code_is_refused_on_the_emulator_clock(recur_emulator, api, percent):
    until = (clock.now() + timedelta(days=2)).isoformat()
    create_code(api, coupon_id=percent["id"], code="SOON", valid_until=until)
    recur_emulator.advance(days=3)
    session = api.checkout("prod_ebook")
    refused = apply_code(recur_emulator, session["id"], "SOON")
    assert refused.status_code == 400 and "expired" in refused.text
    assert Product.objects.get(id="prod_ebook").price == 590
