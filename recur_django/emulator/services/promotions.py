"""Coupons and promotion codes: what a code takes off, and whether it may be used.

Recur documents the fields of a promotion code and, for coupons, only their behaviour: a
fixed amount off, a percentage off, or a price for the first period; for the first
period, N periods, or forever. Where it is silent the emulator follows Stripe:

- a code is matched case-insensitively and stored uppercase; only one *active* code may
  carry a given code text;
- limits (``max_redemptions``, ``max_redemptions_per_customer``) count paid checkouts, and
  are checked when the code is applied and again when the checkout is paid;
- ``minimum_amount`` is compared with the price before the discount;
- ``NEW_CUSTOMERS`` means a customer with no paid order yet, ``EXISTING_CUSTOMERS`` one
  with at least one;
- a percentage is rounded to the nearest whole TWD; a discount never exceeds the price;
- on a subscription the first paid period counts as the first of the coupon's periods
  (after a trial, the first full charge is that period); later renewals are discounted
  while periods remain (``coupon_remaining_cycles``), forever when none is set.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from recur_django.emulator import clock
from recur_django.emulator.conf import emulator_settings
from recur_django.emulator.ids import new_id
from recur_django.emulator.models import (
    CheckoutSession,
    Coupon,
    Customer,
    Order,
    PromotionCode,
    Redemption,
    Subscription,
)

DiscountType = Coupon.DiscountType
Duration = Coupon.Duration
Eligibility = PromotionCode.Eligibility


class PromotionError(Exception):
    """A coupon or code cannot be created, or a code cannot be used (``code`` says why)."""

    def __init__(self, code: str, message: Any) -> None:
        super().__init__(str(message))
        self.code = code
        self.message = str(message)


# -- coupons -------------------------------------------------------------------------------


def _positive(value: Any, name: str, *, maximum: int | None = None) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PromotionError("invalid_request", f"{name} must be a whole number >= 0.")
    if maximum is not None and value > maximum:
        raise PromotionError("invalid_request", f"{name} must be at most {maximum}.")
    return value


def create_coupon(
    *,
    discount_type: str,
    amount_off: Any = None,
    percent_off: Any = None,
    first_period_price: Any = None,
    duration: str = Duration.ONCE,
    duration_periods: Any = None,
    name: str = "",
    id: str = "",
) -> Coupon:
    """A new coupon, checked for a consistent discount and duration."""
    kind = str(discount_type or "").upper()
    if kind not in DiscountType.values:
        raise PromotionError(
            "invalid_request", f"discount_type must be one of {', '.join(DiscountType.values)}."
        )
    values = {
        DiscountType.FIXED_AMOUNT: ("amount_off", _positive(amount_off, "amount_off")),
        DiscountType.PERCENTAGE: (
            "percent_off",
            _positive(percent_off, "percent_off", maximum=100),
        ),
        DiscountType.FIRST_PERIOD_PRICE: (
            "first_period_price",
            _positive(first_period_price, "first_period_price"),
        ),
    }
    field, value = values[DiscountType(kind)]
    if value is None or (value == 0 and kind != DiscountType.FIRST_PERIOD_PRICE):
        raise PromotionError("invalid_request", f"A {kind} coupon needs a positive {field}.")
    length = str(duration or Duration.ONCE).upper()
    if length not in Duration.values:
        raise PromotionError(
            "invalid_request", f"duration must be one of {', '.join(Duration.values)}."
        )
    periods = _positive(duration_periods, "duration_periods", maximum=1000)
    if length == Duration.REPEATING and not periods:
        raise PromotionError("invalid_request", "A REPEATING coupon needs duration_periods.")
    if kind == DiscountType.FIRST_PERIOD_PRICE:
        length, periods = Duration.ONCE, None  # a first-period price covers one period
    coupon_id = id or new_id("cpn", 14)
    if Coupon.objects.filter(id=coupon_id).exists():
        raise PromotionError("resource_already_exists", f"Coupon {coupon_id!r} already exists.")
    return Coupon.objects.create(
        id=coupon_id,
        name=str(name or "")[:200],
        discount_type=kind,
        duration=length,
        duration_periods=periods if length == Duration.REPEATING else None,
        created_at=clock.now(),
        **{field: value},
    )


def seed_coupons() -> int:
    """Create the coupons of ``RECUR_EMULATOR["COUPONS"]`` that do not exist yet."""
    created = 0
    for spec in emulator_settings.COUPONS or []:
        if not Coupon.objects.filter(id=str(spec.get("id") or "")).exists():
            fields = {key: value for key, value in dict(spec).items() if key != "active"}
            create_coupon(**fields)
            created += 1
    return created


# -- promotion codes -----------------------------------------------------------------------


def find(code: str) -> PromotionCode | None:
    """The active promotion code whose text is ``code`` (any letter case)."""
    text = (code or "").strip().upper()
    if not text:
        return None
    return (
        PromotionCode.objects.select_related("coupon")
        .filter(code=text, active=True)
        .order_by("-created_at")
        .first()
    )


def code_taken(code: str, exclude: str = "") -> bool:
    """Whether another active promotion code already carries ``code``."""
    return PromotionCode.objects.filter(code=code, active=True).exclude(id=exclude).exists()


def _paid_before(customer: Customer) -> bool:
    return Order.objects.filter(customer=customer, paid_at__isnull=False).exists()


def check(
    promo: PromotionCode, *, amount: int, customer: Customer | None, now: datetime | None = None
) -> None:
    """Raise :class:`PromotionError` unless ``promo`` may take money off ``amount`` now.

    ``customer`` is None while the buyer is not known yet (the checks that need one then
    wait for the payment).
    """
    now = now or clock.now()
    if not promo.active or not promo.coupon.active:
        raise PromotionError("promotion_code_inactive", _("This promotion code is not active."))
    if promo.valid_from and promo.valid_from > now:
        raise PromotionError(
            "promotion_code_not_yet_valid", _("This promotion code is not valid yet.")
        )
    if promo.valid_until and promo.valid_until <= now:
        raise PromotionError("promotion_code_expired", _("This promotion code has expired."))
    used = promo.redemptions.count()
    if promo.max_redemptions is not None and used >= promo.max_redemptions:
        raise PromotionError("promotion_code_used_up", _("This promotion code has been used up."))
    if promo.minimum_amount and amount < promo.minimum_amount:
        raise PromotionError(
            "minimum_amount_not_met",
            _("This promotion code needs a purchase of at least NT$%(amount)s.")
            % {"amount": f"{promo.minimum_amount:,}"},
        )
    if customer is None:
        return
    if promo.restricted_to_customer_id and promo.restricted_to_customer_id != customer.id:
        raise PromotionError(
            "promotion_code_restricted", _("This promotion code is not yours to use.")
        )
    mine = promo.redemptions.filter(customer=customer).count()
    if (
        promo.max_redemptions_per_customer is not None
        and mine >= promo.max_redemptions_per_customer
    ):
        raise PromotionError(
            "promotion_code_already_used", _("You have already used this promotion code.")
        )
    if promo.customer_eligibility == Eligibility.NEW_CUSTOMERS and _paid_before(customer):
        raise PromotionError(
            "promotion_code_new_customers", _("This promotion code is for new customers only.")
        )
    if promo.customer_eligibility == Eligibility.EXISTING_CUSTOMERS and not _paid_before(customer):
        raise PromotionError(
            "promotion_code_existing_customers",
            _("This promotion code is for existing customers only."),
        )


def current_redemptions(promo: PromotionCode) -> int:
    return promo.redemptions.count()


def redeem(session: CheckoutSession, customer: Customer) -> None:
    """Count the paid ``session``'s promotion code (once per session)."""
    if session.promotion_id is None:
        return
    Redemption.objects.get_or_create(
        checkout_session=session,
        defaults={
            "promotion_code_id": session.promotion_id,
            "customer": customer,
            "discount_amount": session.discount_amount,
            "created_at": clock.now(),
        },
    )


# -- subscriptions -------------------------------------------------------------------------


def attach(sub: Subscription, coupon: Coupon, *, first_period_paid: bool) -> None:
    """Carry ``coupon`` on ``sub`` for the renewals it still discounts."""
    if coupon.duration == Duration.FOREVER:
        sub.coupon, sub.coupon_remaining_cycles = coupon, None
        return
    periods = 1 if coupon.duration == Duration.ONCE else (coupon.duration_periods or 1)
    left = periods - 1 if first_period_paid else periods
    if left > 0:
        sub.coupon, sub.coupon_remaining_cycles = coupon, left


def renewal_discount(sub: Subscription, price: int) -> int:
    """The discount of ``sub``'s next renewal at ``price``; uses up one of its periods."""
    coupon = sub.coupon
    if coupon is None:
        return 0
    off = coupon.discount_on(price)
    if sub.coupon_remaining_cycles is not None:
        sub.coupon_remaining_cycles -= 1
        if sub.coupon_remaining_cycles <= 0:
            sub.coupon, sub.coupon_remaining_cycles = None, None
    return off
