"""The shop's pages. Buying is a plain form POST to ``recur:checkout``; see the templates."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from example_project.shop.models import CreditEntry
from recur_django.client_factory import get_client
from recur_django.conf import recur_settings
from recur_django.models import Payment, Subscription, Transaction

logger = logging.getLogger(__name__)


def recur_products() -> list[Any] | None:
    """Recur's products, cached for a minute; ``None`` when Recur cannot be reached."""
    products = cache.get("shop:products")
    if products is None:
        try:
            products = get_client().products.list()
        except Exception:  # any failure only hides the catalogue; the page still renders
            logger.warning(
                "Could not list Recur products from %s",
                recur_settings.get("API_BASE"),
                exc_info=True,
            )
            return None
        cache.set("shop:products", products, 60)
    return products


def pricing(request: HttpRequest) -> HttpResponse:
    products = recur_products()
    return render(
        request,
        "shop/pricing.html",
        {
            "unavailable": products is None,
            "api_base": recur_settings.get("API_BASE"),
            "subscriptions": [p for p in products or [] if p.type == "SUBSCRIPTION"],
            "one_time": [p for p in products or [] if p.type == "ONE_TIME"],
        },
    )


@login_required
def credits(request: HttpRequest) -> HttpResponse:
    products = recur_products()
    return render(
        request,
        "shop/credits.html",
        {
            "unavailable": products is None,
            "api_base": recur_settings.get("API_BASE"),
            "packs": [p for p in products or [] if p.type == "CREDITS"],
            "balance": CreditEntry.balance(request.user),
            "entries": CreditEntry.objects.filter(user=request.user)[:20],
        },
    )


def _day(value: Any) -> str:
    return date_format(timezone.localtime(value), "DATE_FORMAT")


def plan_state(sub: Subscription, now: Any = None) -> dict[str, Any]:
    """How the account page words a subscription: ``label`` (the status), ``when`` (what
    happens on the date and the date) and ``css`` (the colour). A plan canceled at period
    end reads "Active — cancels on <date>", never "Canceled (cancels at period end)"; a
    plan canceled at once shows the day it really ended.
    """
    now = now or timezone.now()
    end = sub.current_period_end
    Status = Subscription.Status
    if sub.grants_access(now=now):
        if sub.cancel_at_period_end or sub.status == Status.CANCELED:
            label = (
                _("Active — cancels on %(date)s") % {"date": _day(end)}
                if end
                else _("Active — cancels at period end")
            )
            when = _("Ends on %(date)s") % {"date": _day(end)} if end else ""
            return {"label": label, "when": when, "css": "active"}
        if sub.status == Status.PAST_DUE:
            when = _("Payment due since %(date)s") % {"date": _day(end)} if end else ""
            return {"label": sub.get_status_display(), "when": when, "css": "failed"}
        when = _("Renews on %(date)s") % {"date": _day(end)} if end else ""
        return {"label": sub.get_status_display(), "when": when, "css": "active"}
    if sub.status in (Status.CANCELED, Status.EXPIRED):
        # Canceled at once: it ended when it was canceled, not when the unused period ends.
        ended = end if sub.cancel_at_period_end else (sub.canceled_at or end)
        if ended is not None and ended > now:
            ended = sub.canceled_at or now
        when = _("Ended on %(date)s") % {"date": _day(ended)} if ended else ""
        return {"label": sub.get_status_display(), "when": when, "css": "canceled"}
    return {"label": sub.get_status_display(), "when": "", "css": sub.status.lower()}


def payment_history(user: Any, limit: int = 50) -> list[Payment]:
    """The user's payments, newest first, each with ``product_label`` and its refunds."""
    payments = list(
        Payment.objects.filter(Q(owner=user) | Q(customer__owner=user))
        .select_related("subscription", "transaction", "payment_link")
        .prefetch_related("refunds")[:limit]
    )
    for payment in payments:
        owners = (payment.subscription, payment.transaction, payment.payment_link)
        names = [getattr(o, "product_name", "") for o in owners if o is not None]
        payment.product_label = next((n for n in names if n), payment.product_id or "—")  # type: ignore[attr-defined]
    return payments


@login_required
def account(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "shop/account.html",
        {
            "transactions": Transaction.objects.filter(user=request.user)[:20],
            "payments": payment_history(request.user),
            "plans": [
                (sub, plan_state(sub))
                for sub in Subscription.objects.filter(customer__owner=request.user)
            ],
            "balance": CreditEntry.balance(request.user),
        },
    )
