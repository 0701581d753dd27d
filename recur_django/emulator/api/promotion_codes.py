"""``/v1/promotion-codes``: create, list, retrieve, update (secret key).

Answers are wrapped as Recur's promotion-code page shows them: ``{"success": true,
"data": …}`` (a list adds ``has_more``). Recur does not document what an update may
change; as in Stripe, only ``active`` and ``metadata`` (a code's terms stay as customers
saw them), and a deactivated code is never deleted.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.http import HttpRequest, HttpResponse

from recur_django.client.casing import parse_datetime
from recur_django.client.promotion_codes import CODE_PATTERN
from recur_django.emulator import clock, representations
from recur_django.emulator.api.base import ApiView, ok, paginate
from recur_django.emulator.api.errors import ApiError, invalid, not_found
from recur_django.emulator.api.params import Params
from recur_django.emulator.ids import new_id
from recur_django.emulator.models import Coupon, Customer, PromotionCode
from recur_django.emulator.services import promotions

ELIGIBILITY = set(PromotionCode.Eligibility.values)
UPDATABLE = ("active", "metadata")
FIXED = (
    "code",
    "coupon_id",
    "valid_from",
    "valid_until",
    "max_redemptions",
    "max_redemptions_per_customer",
    "minimum_amount",
    "customer_eligibility",
    "restricted_to_customer_id",
)


def wrapped(data: Any, **extra: Any) -> HttpResponse:
    return ok({"success": True, "data": data, **extra})


def _moment(p: Params, name: str) -> Any:
    text = p.text(name, max_length=40)
    if not text:
        return None
    value = parse_datetime(text)
    if value is None:
        raise invalid(f"{name} must be an ISO 8601 date and time.")
    return value


def _taken(code: str) -> ApiError:
    return ApiError(
        400, "resource_already_exists", f"An active promotion code {code!r} already exists."
    )


def _create(p: Params) -> PromotionCode:
    coupon_id = p.text("coupon_id", required=True, max_length=64)
    code = p.text("code", required=True, max_length=40)
    if not CODE_PATTERN.fullmatch(code):
        raise invalid("code must be 3 to 20 characters: uppercase letters and digits only.")
    coupon = Coupon.objects.filter(id=coupon_id).first()
    if coupon is None:
        raise not_found("coupon", coupon_id)
    valid_from, valid_until = _moment(p, "valid_from"), _moment(p, "valid_until")
    if valid_from and valid_until and valid_until <= valid_from:
        raise invalid("valid_until must be after valid_from.")
    eligibility = p.text("customer_eligibility", max_length=30).upper() or "ALL"
    if eligibility not in ELIGIBILITY:
        raise invalid(f"customer_eligibility must be one of {', '.join(sorted(ELIGIBILITY))}.")
    customer_id = p.text("restricted_to_customer_id", max_length=64) or None
    if customer_id and not Customer.objects.filter(id=customer_id).exists():
        raise not_found("customer", customer_id)
    active = p.boolean("active")
    if active is not False and promotions.code_taken(code):
        raise _taken(code)
    now = clock.now()
    return PromotionCode.objects.create(
        id=new_id("promo", 20),
        code=code,
        coupon=coupon,
        active=active is not False,
        valid_from=valid_from,
        valid_until=valid_until,
        max_redemptions=p.integer("max_redemptions", minimum=1),
        max_redemptions_per_customer=p.integer(
            "max_redemptions_per_customer", default=1, minimum=1
        ),
        minimum_amount=p.integer("minimum_amount", minimum=0),
        customer_eligibility=eligibility,
        restricted_to_customer_id=customer_id,
        metadata=p.mapping("metadata") or {},
        created_at=now,
        updated_at=now,
    )


def _get(promo_id: str) -> PromotionCode:
    promo = PromotionCode.objects.select_related("coupon").filter(id=promo_id).first()
    if promo is None:
        raise not_found("promotion code", promo_id)
    return promo


class PromotionCodesView(ApiView):
    def get(self, request: HttpRequest) -> HttpResponse:
        q = self.query
        codes = PromotionCode.objects.select_related("coupon").annotate(used=Count("redemptions"))
        if (active := q.boolean("active")) is not None:
            codes = codes.filter(active=active)
        if code := q.text("code", max_length=40):
            codes = codes.filter(code=code.upper())
        if coupon_id := q.text("coupon_id", max_length=64):
            codes = codes.filter(coupon_id=coupon_id)
        items, has_more = paginate(codes, q, default=20)
        data = [representations.promotion_code(c, c.used) for c in items]
        return wrapped(data, has_more=has_more, next_cursor=data[-1]["id"] if has_more else None)

    def post(self, request: HttpRequest) -> HttpResponse:
        return wrapped(representations.promotion_code(_create(self.body), 0))


class PromotionCodeDetailView(ApiView):
    def get(self, request: HttpRequest, promo_id: str) -> HttpResponse:
        return wrapped(representations.promotion_code(_get(promo_id)))

    def patch(self, request: HttpRequest, promo_id: str) -> HttpResponse:
        promo, p = _get(promo_id), self.body
        fixed = [name for name in FIXED if p.has(name)]
        if fixed:
            raise invalid(
                f"{', '.join(fixed)} cannot be changed; create a new promotion code instead "
                f"(an update changes {' and '.join(UPDATABLE)})."
            )
        changed = []
        if p.has("active"):
            active = p.boolean("active")
            if active is None:
                raise invalid("active must be a boolean.")
            if active and not promo.active and promotions.code_taken(promo.code, promo.id):
                raise _taken(promo.code)
            promo.active = active
            changed.append("active")
        if p.has("metadata"):
            promo.metadata = p.mapping("metadata") or {}
            changed.append("metadata")
        if changed:
            promo.updated_at = clock.now()
            promo.save(update_fields=[*changed, "updated_at"])
        return wrapped(representations.promotion_code(promo))

    post = patch  # Stripe-style clients update with POST
