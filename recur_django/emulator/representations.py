"""Wire representations (snake_case dicts) of the emulator's objects.

The same dicts are API responses and webhook ``data``; ``request`` (when given) makes
the ``url`` fields absolute.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from recur_django.emulator.clock import iso
from recur_django.emulator.models import (
    CheckoutSession,
    Coupon,
    CreditTransaction,
    Customer,
    Invoice,
    Order,
    PaymentLink,
    PortalSession,
    Product,
    PromotionCode,
    Refund,
    Subscription,
)


def absolute(request: HttpRequest | None, name: str, *args: str) -> str | None:
    """Absolute URL of the emulator page ``name`` (None without a request)."""
    path = reverse(f"recur_emulator:{name}", args=args)
    return request.build_absolute_uri(path) if request is not None else path


def product(p: Product) -> dict[str, Any]:
    return {
        "object": "product",
        "id": p.id,
        "name": p.name,
        "slug": p.slug,
        "description": p.description or None,
        "type": p.type,
        "billing_period": p.billing_period or ("ONE_TIME" if p.type == "ONE_TIME" else None),
        "price": p.price,
        "currency": p.currency,
        "trial_days": p.trial_days,
        "credits": p.credits if p.credits is not None or p.type != "CREDITS" else p.price,
        "product_family": p.product_family or None,
        "metadata": p.metadata or {},
        "active": p.active,
    }


def product_summary(p: Product) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "slug": p.slug,
        "price": p.price,
        "currency": p.currency,
        "type": p.type,
    }


def customer(c: Customer) -> dict[str, Any]:
    return {
        "object": "customer",
        "id": c.id,
        "email": c.email,
        "name": c.name or None,
        "external_id": c.external_id,
        "email_verified": True,
        "status": c.status,
        "created_at": iso(c.created_at),
        "updated_at": iso(c.updated_at),
        "livemode": False,
    }


def subscription(s: Subscription) -> dict[str, Any]:
    c = s.customer
    return {
        "object": "subscription",
        "id": s.id,
        "status": s.status,
        "customer_id": c.id,
        "customer_email": c.email,
        "external_customer_id": c.external_id,
        "customer": {
            "id": c.id,
            "email": c.email,
            "name": c.name or None,
            "external_id": c.external_id,
        },
        "product_id": s.product_id,
        "product_slug": s.product.slug,
        "product_name": s.product.name,
        "amount": s.amount,
        "currency": s.currency,
        "interval": s.interval,
        "interval_count": s.interval_count,
        "billing_period": s.product.billing_period or None,
        "current_period_start": iso(s.current_period_start),
        "current_period_end": iso(s.current_period_end),
        "next_billing_date": (
            None
            if s.cancel_at_period_end or s.status not in Subscription.LIVE_STATUSES
            else iso(s.current_period_end)
        ),
        "cancel_at_period_end": s.cancel_at_period_end,
        "canceled_at": iso(s.canceled_at),
        "ended_at": iso(s.ended_at),
        "trial_end": iso(s.trial_end),
        "coupon": coupon(s.coupon) if s.coupon else None,
        "coupon_remaining_cycles": s.coupon_remaining_cycles,
        "discount_amount": s.coupon.discount_on(s.amount) if s.coupon else 0,
        "product_family": s.product.product_family or None,
        "scheduled_change": (
            {
                "product_id": s.scheduled_product_id,
                "effective_at": iso(s.current_period_end),
            }
            if s.scheduled_product_id
            else None
        ),
        "started_at": iso(s.started_at),
        "created_at": iso(s.created_at),
        "updated_at": iso(s.updated_at),
    }


def _customer_fields(c: Customer) -> dict[str, Any]:
    return {
        "customer_id": c.id,
        "customer_email": c.email,
        "external_customer_id": c.external_id,
        "customer": {"id": c.id, "email": c.email, "name": c.name or None},
    }


def order(o: Order) -> dict[str, Any]:
    """An order: one charge attempt (see docs/emulator.md, "Billing events")."""
    session = o.checkout_session
    data: dict[str, Any] = {
        "object": "order",
        "id": o.id,
        "status": o.status,
        "amount": o.amount,
        "discount_amount": o.discount_amount,
        "promotion_code": (session.promotion_code or None) if session else None,
        "amount_refunded": o.refunded_amount,
        "currency": o.currency,
        "product_id": o.product_id,
        **_customer_fields(o.customer),
        "items": [{"product_id": o.product_id, "product_name": o.product.name}],
        "billing_reason": o.billing_reason or None,
        "subscription_id": o.subscription_id,
        "invoice_id": o.invoice_id,
        "checkout_session_id": session.id if session else None,
        "checkout_id": session.id if session else None,
        "payment_link_id": session.payment_link_id if session else None,
        # Only the first purchase echoes the checkout's metadata (transaction_id…).
        "metadata": dict(session.metadata or {}) if session else {},
        "card_last4": o.card_last4 or None,
        "failure_code": o.failure_code or None,
        "failure_reason": o.failure_reason or None,
        "paid_at": iso(o.paid_at),
        "created_at": iso(o.created_at),
    }
    if o.invoice_id:
        data["period_start"] = iso(o.period_start)
        data["period_end"] = iso(o.period_end)
    return data


def invoice(i: Invoice, last_order: Order | None = None) -> dict[str, Any]:
    """An invoice; ``order_id`` is its latest charge attempt (``last_order`` if given)."""
    if last_order is None:
        last_order = i.orders.order_by("-created_at", "-id").first()
    paid = i.paid_at is not None
    return {
        "object": "invoice",
        "id": i.id,
        "status": i.status,
        "amount": i.amount,
        "discount_amount": i.discount_amount,
        "amount_paid": i.amount if paid else 0,
        "amount_refunded": last_order.refunded_amount if last_order and paid else 0,
        "currency": i.currency,
        "product_id": i.product_id,
        **_customer_fields(i.customer),
        "items": [{"product_id": i.product_id, "product_name": i.product.name}],
        "billing_reason": i.billing_reason,
        "subscription_id": i.subscription_id,
        "order_id": last_order.id if last_order else None,
        "metadata": {},
        "attempt_count": i.attempt_count,
        "next_payment_attempt": iso(i.next_payment_attempt),
        "failure_code": (last_order.failure_code or None) if last_order else None,
        "failure_reason": (last_order.failure_reason or None) if last_order else None,
        "period_start": iso(i.period_start),
        "period_end": iso(i.period_end),
        "paid_at": iso(i.paid_at),
        "created_at": iso(i.created_at),
    }


def refund(r: Refund) -> dict[str, Any]:
    o = r.order
    return {
        "object": "refund",
        "id": r.id,
        "status": r.status,
        "amount": r.amount,
        "currency": r.currency,
        "reason": r.reason or None,
        "refunded_total": r.refunded_total,
        "order_amount": o.amount,
        "billing_reason": o.billing_reason or None,
        "order_id": o.id,
        "invoice_id": o.invoice_id,
        "subscription_id": o.subscription_id,
        "product_id": o.product_id,
        "checkout_session_id": o.checkout_session_id,
        **_customer_fields(o.customer),
        "metadata": {},
        "created_at": iso(r.created_at),
        "succeeded_at": iso(r.succeeded_at),
    }


def checkout_session(s: CheckoutSession, request: HttpRequest | None = None) -> dict[str, Any]:
    return {
        "object": "checkout.session",
        "id": s.id,
        "url": absolute(request, "checkout-page", s.id),
        "status": s.status,
        "mode": s.mode,
        "amount": s.amount,
        "amount_subtotal": s.amount + s.discount_amount,
        "discount_amount": s.discount_amount,
        "promotion_code": s.promotion_code or None,
        "currency": s.currency,
        "product_id": s.product_id,
        "customer_id": s.customer_id,
        "customer_email": (s.customer.email if s.customer else s.customer_email) or None,
        "customer_name": s.customer_name or None,
        "external_customer_id": s.external_customer_id or None,
        "metadata": s.metadata,
        "success_url": s.success_url,
        "cancel_url": s.cancel_url or None,
        "order_id": s.order_id,
        "subscription_id": s.subscription_id,
        "payment_link_id": s.payment_link_id,
        "expires_at": iso(s.expires_at),
        "created_at": iso(s.created_at),
        "completed_at": iso(s.completed_at),
        # Recur: SETUP sessions return setup_intent_id "instead of" payment_intent_id.
        **_intent(s),
    }


def _intent(s: CheckoutSession) -> dict[str, str | None]:
    """``{"setup_intent_id": …}`` for SETUP, ``{"payment_intent_id": …}`` otherwise (null
    until the session is paid; derived from the session id, so stable across reads)."""
    paid = s.status == CheckoutSession.Status.COMPLETE
    suffix = s.id.removeprefix("cs_")
    if s.mode == CheckoutSession.Mode.SETUP:
        return {"setup_intent_id": f"seti_{suffix}" if paid else None}
    return {"payment_intent_id": f"pi_{suffix}" if paid else None}


def payment_link(link: PaymentLink, request: HttpRequest | None = None) -> dict[str, Any]:
    return {
        "object": "payment_link",
        "id": link.id,
        "url": absolute(request, "buy", link.url_id),
        "url_id": link.url_id,
        "active": link.active,
        "product_id": link.product_id,
        "product": product_summary(link.product),
        "promotion_code": link.promotion_code,
        "collect_payment_method": link.collect_payment_method,
        "success_url": link.success_url,
        "max_completions": link.max_completions,
        "metadata": link.metadata,
        "environment": "SANDBOX",
        "view_count": link.view_count,
        "session_count": link.session_count,
        "completed_count": link.completed_count,
        "created_at": iso(link.created_at),
    }


def portal_session(
    p: PortalSession, status: str, request: HttpRequest | None = None
) -> dict[str, Any]:
    return {
        "object": "portal.session",
        "id": p.id,
        "url": absolute(request, "portal-page", p.id),
        "customer_id": p.customer_id,
        "customer": p.customer_id,  # the documented SDK field (the id)
        "return_url": p.return_url,
        "status": status,
        "locale": p.locale or None,
        "expires_at": iso(p.expires_at),
        "accessed_at": iso(p.accessed_at),
        "created_at": iso(p.created_at),
    }


def coupon(c: Coupon) -> dict[str, Any]:
    return {
        "object": "coupon",
        "id": c.id,
        "name": c.name or None,
        "discount_type": c.discount_type,
        "amount_off": c.amount_off,
        "percent_off": c.percent_off,
        "first_period_price": c.first_period_price,
        "duration": c.duration,
        "duration_periods": c.duration_periods,
        "active": c.active,
        "created_at": iso(c.created_at),
    }


def promotion_code(p: PromotionCode, redemptions: int | None = None) -> dict[str, Any]:
    """A promotion code; ``redemptions`` saves a count query when the caller has it."""
    return {
        "object": "promotion_code",
        "id": p.id,
        "code": p.code,
        "coupon_id": p.coupon_id,
        "coupon": coupon(p.coupon),
        "active": p.active,
        "valid_from": iso(p.valid_from),
        "valid_until": iso(p.valid_until),
        "max_redemptions": p.max_redemptions,
        "max_redemptions_per_customer": p.max_redemptions_per_customer,
        "minimum_amount": p.minimum_amount,
        "customer_eligibility": p.customer_eligibility,
        "restricted_to_customer_id": p.restricted_to_customer_id,
        "current_redemptions": p.redemptions.count() if redemptions is None else redemptions,
        "metadata": p.metadata or {},
        "created_at": iso(p.created_at),
        "updated_at": iso(p.updated_at),
    }


def credit_transaction(t: CreditTransaction) -> dict[str, Any]:
    """A movement of credits: the ``credits.*`` event data and the deduct answer."""
    order = t.order
    session = order.checkout_session if order is not None else None
    return {
        "object": "credit_transaction",
        "id": t.id,
        "type": t.type,
        "amount": t.amount,
        "balance": t.balance_after,
        "description": t.description or None,
        **_customer_fields(t.customer),
        "order_id": t.order_id,
        "product_id": t.product_id,
        "checkout_session_id": session.id if session else None,
        # A purchase echoes its checkout's metadata (transaction_id…), as order.paid does.
        "metadata": dict(session.metadata or {}) if session else {},
        "created_at": iso(t.created_at),
    }
