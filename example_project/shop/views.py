"""The shop's pages. Buying is a plain form POST to ``recur:checkout``; see the templates."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from example_project.shop.models import CreditEntry
from recur_django.client_factory import get_client
from recur_django.conf import recur_settings
from recur_django.models import Subscription, Transaction

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


@login_required
def account(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "shop/account.html",
        {
            "transactions": Transaction.objects.filter(user=request.user)[:20],
            "subscriptions": Subscription.objects.filter(customer__user=request.user),
            "balance": CreditEntry.balance(request.user),
        },
    )
