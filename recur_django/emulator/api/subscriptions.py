"""``/v1/subscriptions``: all of the account's, or one customer's, with filters."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from recur_django.emulator import representations
from recur_django.emulator.api.base import ApiView, ok, paginate
from recur_django.emulator.api.errors import not_found
from recur_django.emulator.models import Subscription
from recur_django.emulator.services import customers


class SubscriptionsView(ApiView):
    """Both documented list shapes at once: ``subscriptions`` (variant A) and ``data`` (B)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        q = self.query
        subs = Subscription.objects.select_related("customer", "product")
        ident = {
            "customer_id": q.text("customer_id", max_length=100),
            "external_id": q.text("external_id", max_length=200),
            "email": q.text("email", max_length=254),
        }
        if any(ident.values()):
            customer = customers.lookup(**ident)
            subs = subs.filter(customer=customer) if customer else subs.none()
        if product_id := q.text("product_id", max_length=100):
            subs = subs.filter(product_id=product_id)
        if slug := q.text("product_slug", max_length=100):
            subs = subs.filter(product__slug=slug)
        if q.boolean("active"):
            subs = subs.filter(status__in=Subscription.LIVE_STATUSES)
        if status := q.text("status", max_length=20).upper():
            subs = subs.filter(
                status__in={"CANCELED", "CANCELLED"} if "CANCEL" in status else {status}
            )
        has_active = subs.filter(status__in=Subscription.LIVE_STATUSES).exists()
        items, has_more = paginate(subs, q, default=10)
        data = [representations.subscription(s) for s in items]
        return ok(
            {
                "object": "list",
                "has_active_subscription": has_active,
                "subscriptions": data,
                "data": data,
                "has_more": has_more,
                "next_cursor": data[-1]["id"] if has_more else None,
            }
        )


class SubscriptionDetailView(ApiView):
    def get(self, request: HttpRequest, subscription_id: str) -> HttpResponse:
        sub = (
            Subscription.objects.select_related("customer", "product")
            .filter(id=subscription_id)
            .first()
        )
        if sub is None:
            raise not_found("subscription", subscription_id)
        return ok(representations.subscription(sub))
