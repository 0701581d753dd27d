"""HTTP guards over entitlements: ``@subscription_required``, ``SubscriptionRequiredMixin``
and the answer they give (:func:`denied_response`).

The rules live in :mod:`recur_django.entitlements`; these only turn them into HTTP. They
ask for the owner the request acts for (:func:`recur_django.owners.owner_for_request`), so
every member acting for a paying team passes. The old path
``recur_django.entitlements.subscription_required`` still works.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.translation import gettext_lazy as _

from recur_django.conf import recur_settings
from recur_django.entitlements import has_entitlement
from recur_django.negotiation import json_error, wants_json
from recur_django.owners import owner_for_request

__all__ = [
    "DENIED_MESSAGE",
    "SubscriptionRequiredMixin",
    "denied_response",
    "subscription_required",
]

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponse])

DENIED_MESSAGE = _("This page needs an active subscription.")


def denied_response(request: HttpRequest, redirect_url: str | None = None) -> HttpResponse:
    """403 JSON for API-style requests, else a redirect to the pricing page."""
    if wants_json(request):
        return json_error("subscription_required", DENIED_MESSAGE, 403)
    target = redirect_url or recur_settings.get("PRICING_URL") or "/"
    return HttpResponseRedirect(resolve_url(target))


def subscription_required(
    *products: str, redirect_url: str | None = None
) -> Callable[[ViewFunc], ViewFunc]:
    """View decorator: let through only requests whose owner is entitled to one of
    ``products``.

    Without products, any entitlement will do. Others are redirected to ``redirect_url``
    (default ``RECUR["PRICING_URL"]``; a path, URL or URL name) or get a 403 JSON error.
    """
    if len(products) == 1 and callable(products[0]) and not isinstance(products[0], str):
        raise TypeError("Use @subscription_required(...) with parentheses.")

    def decorator(view: ViewFunc) -> ViewFunc:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not has_entitlement(owner_for_request(request), list(products) or None):
                return denied_response(request, redirect_url)
            return view(request, *args, **kwargs)

        return cast(ViewFunc, wrapped)

    return decorator


class SubscriptionRequiredMixin:
    """Class-based view mixin; put it first in the bases.

    Set ``required_product`` (a slug or id, or a list: any of them; ``None`` = any
    product) and optionally ``pricing_url``.
    """

    required_product: str | list[str] | tuple[str, ...] | None = None
    pricing_url: str | None = None

    def get_required_product(self) -> str | list[str] | tuple[str, ...] | None:
        return self.required_product

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not has_entitlement(owner_for_request(request), self.get_required_product()):
            return denied_response(request, self.pricing_url)
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
