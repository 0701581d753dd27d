"""The one-plan-per-family refusal as the browser sees it.

``recur:checkout`` answers a refused checkout with ``303`` to ``recur:already-subscribed``
(``?product=…``), a GET page that names the plan the owner holds and offers the customer
portal (``recur:portal`` is a POST, so the page carries the form). The page says why
itself; no flash message is queued, so a site layout that shows messages does not say it
twice. JSON callers get ``409 {"error": {"code": "already_subscribed"}}`` instead.
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from recur_django.exceptions import BillingForbidden
from recur_django.negotiation import json_error
from recur_django.plans import (
    ALREADY_SUBSCRIBED_MESSAGE,
    AlreadySubscribed,
    CheckoutInProgress,
    held_plan,
)
from recur_django.safe_urls import same_site_url
from recur_django.views.owner import acting_for, forbidden_response


def already_subscribed_response(
    request: HttpRequest, exc: AlreadySubscribed, *, as_json: bool
) -> HttpResponse:
    """409 JSON, or 303 to the page that offers the portal (which says why)."""
    if as_json:
        return json_error(
            exc.code,
            exc.message,
            exc.status,
            subscription_id=exc.subscription_id,
            product=exc.held_product,
        )
    response = HttpResponse(status=303)
    query = urlencode({"product": exc.product[:128]})
    response["Location"] = f"{reverse('recur:already-subscribed')}?{query}"
    return response


def checkout_in_progress_response(
    request: HttpRequest, exc: CheckoutInProgress, *, as_json: bool
) -> HttpResponse:
    """409: JSON carrying the open checkout's ``url`` (and ``transaction_id``) to resume
    it, or a page offering it."""
    if as_json:
        return json_error(
            exc.code,
            exc.message,
            exc.status,
            url=exc.url,
            transaction_id=exc.transaction.public_id,
        )
    back_url = same_site_url(request, request.headers.get("Referer")) or "/"
    context = {
        "message": exc.message,
        "url": exc.url or "",
        "transaction": exc.transaction,
        "back_url": back_url,
    }
    return render(request, "recur_django/checkout_in_progress.html", context, status=exc.status)


# held_plan may load the product list from Recur (cache miss): never under ATOMIC_REQUESTS.
@transaction.non_atomic_requests
@never_cache
@require_GET
def already_subscribed(request: HttpRequest) -> HttpResponse:
    """``recur:already-subscribed``: "you already have this plan" and a portal button."""
    try:
        owner = acting_for(request)
    except BillingForbidden as exc:
        return forbidden_response(request, exc, as_json=False)
    if owner is None:
        return redirect_to_login(request.get_full_path())
    product = (request.GET.get("product") or "").strip()
    if len(product) > 128 or "\x00" in product:
        product = ""
    subscription = held_plan(owner, product) if product else None
    return render(
        request,
        "recur_django/already_subscribed.html",
        {"subscription": subscription, "product": product, "message": ALREADY_SUBSCRIBED_MESSAGE},
    )
