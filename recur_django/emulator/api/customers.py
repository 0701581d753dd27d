"""``/v1/customers`` (list, retrieve) and ``/v1/customers/entitlements``."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.http import HttpRequest, HttpResponse

from recur_django.emulator import representations
from recur_django.emulator.api.base import ApiView, ok, paginate
from recur_django.emulator.api.errors import invalid, not_found
from recur_django.emulator.clock import iso
from recur_django.emulator.models import Customer, Order, Subscription
from recur_django.emulator.services import customers


class CustomersView(ApiView):
    def get(self, request: HttpRequest) -> HttpResponse:
        query = Customer.objects.annotate(
            subscriptions_count=Count("subscriptions", distinct=True),
            orders_count=Count("orders", distinct=True),
        )
        email = self.query.text("email", max_length=254)
        if email:
            query = query.filter(email__iexact=email)
        status = self.query.text("status", max_length=20).upper()
        if status:
            query = query.filter(status=status)
        items, has_more = paginate(query, self.query, default=10)
        data = []
        for c in items:
            row = representations.customer(c)
            row["subscriptions_count"] = c.subscriptions_count
            row["orders_count"] = c.orders_count
            data.append(row)
        return ok(
            {
                "object": "list",
                "data": data,
                "has_more": has_more,
                "next_cursor": data[-1]["id"] if has_more else None,
                "livemode": False,
            }
        )


class CustomerDetailView(ApiView):
    def get(self, request: HttpRequest, customer_id: str) -> HttpResponse:
        customer = Customer.objects.filter(id=customer_id).first()
        if customer is None:
            raise not_found("customer", customer_id)
        return ok(representations.customer(customer))


_ENTITLEMENT_STATUS = {"ACTIVE": "active", "TRIAL": "trialing", "PAST_DUE": "past_due"}


class EntitlementsView(ApiView):
    """What a customer may access: live subscriptions and paid one-time products.

    An unknown customer is not an error (not documented; the SDK reports
    ``no_customer``): the answer has ``customer: null`` and no entitlements.
    """

    publishable_methods = frozenset({"GET"})

    def get(self, request: HttpRequest) -> HttpResponse:
        q = self.query
        ident = {
            "customer_id": q.text("customer_id", max_length=100),
            "external_id": q.text("external_id", max_length=200),
            "email": q.text("email", max_length=254),
        }
        if not any(ident.values()):
            raise invalid("One of customer_id, external_id or email is required.")
        customer = customers.lookup(**ident)
        if customer is None:
            return ok({"customer": None, "subscription": None, "entitlements": []})
        return ok(entitlements_of(customer))


def entitlements_of(customer: Customer) -> dict[str, Any]:
    subs = list(
        customer.subscriptions.filter(status__in=Subscription.LIVE_STATUSES)
        .select_related("product")
        .order_by("-created_at")
    )
    rows: list[dict[str, Any]] = [
        {
            "product": s.product.slug,
            "product_id": s.product_id,
            "status": _ENTITLEMENT_STATUS.get(s.status, s.status.lower()),
            "subscription_id": s.id,
            "source": "subscription",
            "source_id": s.id,
            "granted_at": iso(s.started_at),
            "expires_at": iso(s.current_period_end),
        }
        for s in subs
    ]
    orders = customer.orders.filter(
        status__in=Order.REFUNDABLE, kind=Order.Kind.CHECKOUT, product__type="ONE_TIME"
    ).select_related("product")
    rows += [
        {
            "product": o.product.slug,
            "product_id": o.product_id,
            "status": "purchased",
            "subscription_id": None,
            "source": "order",
            "source_id": o.id,
            "granted_at": iso(o.created_at),
            "expires_at": None,
        }
        for o in orders
    ]
    current = subs[0] if subs else None
    return {
        "customer": {
            "id": customer.id,
            "email": customer.email,
            "name": customer.name or None,
            "external_id": customer.external_id,
        },
        "subscription": (
            {
                "id": current.id,
                "status": current.status,
                "product": {
                    "id": current.product_id,
                    "slug": current.product.slug,
                    "name": current.product.name,
                },
                "current_period_end": iso(current.current_period_end),
            }
            if current
            else None
        ),
        "entitlements": rows,
    }
