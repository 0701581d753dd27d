"""``POST /_recur/_control/``: test hooks (faults, clock, failing cards, delivery).

Bodies (secret key required)::

    {"fault": "500", "count": 2}            (optional "status": 502/503/504…)
    {"fault": "429", "retry_after": 1}
    {"fault": "hang", "seconds": 3}
    {"fault": "duplicate" | "out_of_order" | "bad_signature", "count": 1}
    {"fault": "delay", "seconds": 5}
    {"fault": "einvoice_lost_answer", "operation": "Issue"}   (optional "status", "seconds")
    {"fault": "einvoice_down"}              (optional "operation", "status")
    {"fault": "einvoice_check_unavailable"} (optional "operation": "CheckBarcode"…)
    {"fault": "einvoice_refusal", "code": 1500001, "message": "…", "operation": "Issue"}
    {"action": "clear_faults"}
    {"action": "advance", "days": 30}
    {"action": "card", "customer": "cus_…" | "<email>" | "<external id>", "fails": true}
    {"action": "deliver"}
    {"action": "refund", "order": "ord_…" | "in_…", "amount": 100, "reason": "…"}
                                            (amount optional: all that is left)
    {"action": "cancel", "subscription": "sub_…", "at_period_end": false}
    {"action": "resume", "subscription": "sub_…"}
    {"action": "switch", "subscription": "sub_…", "product": "prod_…" | "<slug>"}
    {"action": "coupon", "discount_type": "PERCENTAGE", "percent_off": 20,
     "duration": "ONCE" | "REPEATING" | "FOREVER", "duration_periods": 3, "id": "cpn_…"}
    {"action": "product", "id": "prod_…", "price": 349, …}   (emits product.updated)

The subscription actions answer ``{"subscription": {…}, "outcome": …}`` with the
subscription as its events carry it.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.db.models import Q
from django.http import HttpRequest, HttpResponse

from recur_django.client.casing import snake
from recur_django.emulator import faults, representations, sender
from recur_django.emulator.api.base import ApiView, ok
from recur_django.emulator.api.errors import ApiError, invalid
from recur_django.emulator.api.params import Params
from recur_django.emulator.models import Customer, Product
from recur_django.emulator.services import catalog, clock, lifecycle, promotions, refunds


class ControlView(ApiView):
    faultable = False

    def post(self, request: HttpRequest) -> HttpResponse:
        p = self.body
        kind = p.text("fault", max_length=30)
        if kind:
            if kind not in faults.KINDS:
                raise invalid(f"fault must be one of {', '.join(sorted(faults.KINDS))}.")
            count = p.integer("count", default=1, minimum=1, maximum=1000) or 1
            options = {k: v for k, v in p.data.items() if k not in ("fault", "count")}
            for name, value in options.items():
                if name in faults.TEXT_OPTIONS:
                    if not isinstance(value, str) or not 0 < len(value) <= 200:
                        raise invalid(f"{name} must be a text of at most 200 characters.")
                elif not isinstance(value, int | float) or isinstance(value, bool):
                    raise invalid(f"{name} must be a number.")
            fault = faults.add(kind, count, **options)
            return ok({"fault": fault.kind, "count": fault.remaining, "options": fault.options})
        action = p.text("action", max_length=30)
        if action == "clear_faults":
            return ok({"cleared": faults.clear()})
        if action == "advance":
            days = p.integer("days", default=0, minimum=0, maximum=3650) or 0
            seconds = p.integer("seconds", default=0, minimum=0) or 0
            return ok(asdict(clock.advance(days=days, seconds=seconds)))
        if action == "card":
            return ok(
                set_card(p.text("customer", required=True, max_length=254), p.boolean("fails"))
            )
        if action == "deliver":
            sent = sender.deliver_pending()
            return ok({"delivered": [d.event.event_id for d in sent]})
        if action == "refund":
            identifier = p.text("order", max_length=64) or p.text("invoice", max_length=64)
            amount = p.integer("amount", default=None, minimum=1)
            try:
                refund = refunds.refund(identifier, amount, p.text("reason", max_length=100))
            except refunds.RefundError as exc:
                raise ApiError(exc.status, exc.code, exc.message) from exc
            return ok(representations.refund(refund))
        if action in ("cancel", "resume", "switch"):
            return ok(change_subscription(action, p))
        if action == "coupon":
            fields = {snake(k): v for k, v in p.data.items() if k != "action"}
            try:
                coupon = promotions.create_coupon(**fields)
            except TypeError as exc:
                raise invalid(f"Unknown coupon field: {exc}") from exc
            except promotions.PromotionError as exc:
                raise ApiError(400, exc.code, exc.message) from exc
            return ok(representations.coupon(coupon))
        if action == "product":
            return ok(change_product(p))
        raise invalid(
            "Send a 'fault' or an 'action' (clear_faults, advance, card, deliver, refund, "
            "cancel, resume, switch, coupon, product)."
        )


def change_subscription(action: str, p: Params) -> dict[str, Any]:
    """Cancel, resume or switch the subscription named in ``p``."""
    sub_id = p.text("subscription", required=True, max_length=64)
    try:
        if action == "cancel":
            sub, outcome = lifecycle.cancel(sub_id, bool(p.boolean("at_period_end"))), "cancelled"
        elif action == "resume":
            sub, outcome = lifecycle.resume(sub_id), "resumed"
        else:
            product = p.text("product", required=True, max_length=100)
            sub, outcome = lifecycle.switch(sub_id, product)
    except lifecycle.SubscriptionChangeError as exc:
        raise ApiError(exc.status, exc.code, exc.message) from exc
    return {"subscription": representations.subscription(sub), "outcome": outcome}


def change_product(p: Params) -> dict[str, Any]:
    """Change a product's fields (``catalog.EDITABLE``); emits ``product.updated``."""
    product_id = p.text("id", required=True, max_length=64)
    product = Product.objects.filter(id=product_id).first()
    if product is None:
        raise ApiError(404, "resource_not_found", f"No such product: {product_id!r}.")
    unknown = set(p.data) - {"action", "id", *catalog.EDITABLE}
    if unknown:
        raise invalid(f"A product change cannot set {', '.join(sorted(unknown))}.")
    values: dict[str, Any] = {}
    for name in ("price", "trial_days", "credits"):
        if p.has(name):
            values[name] = p.integer(name, minimum=0)
    for name in ("name", "description", "currency", "billing_period", "product_family"):
        if p.has(name):
            values[name] = p.text(name, max_length=200)
    if p.has("active"):
        values["active"] = bool(p.boolean("active"))
    if p.has("metadata"):
        values["metadata"] = p.mapping("metadata") or {}
    if values.get("price") is None:
        values.pop("price", None)
    changed = catalog.change_product(product, **values)
    return {"product": representations.product(product), "changed": changed}


def set_card(identifier: str, fails: bool | None) -> dict[str, Any]:
    """Make renewal charges of the customer fail (or succeed again)."""
    customer = Customer.objects.filter(
        Q(id=identifier) | Q(external_id=identifier) | Q(email__iexact=identifier)
    ).first()
    if customer is None:
        raise ApiError(404, "customer_not_found", f"No customer matches {identifier!r}.")
    customer.card_fails = True if fails is None else fails
    customer.save(update_fields=["card_fails"])
    return {"customer": customer.id, "card_fails": customer.card_fails}
