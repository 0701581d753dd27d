"""The owner a billing view acts for, and the answer when its user may not manage it.

Every view that starts a checkout, opens the portal or shows an owner's billing asks
:func:`acting_for`: the owner :func:`~recur_django.owners.owner_for_request` names, once
:func:`~recur_django.owners.can_manage_billing` allows the logged-in user to manage it.
``None`` (no owner) is answered as an anonymous request; a refusal is
:func:`forbidden_response`: 403 ``billing_forbidden``, as JSON or as a page.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from recur_django.exceptions import BillingForbidden
from recur_django.negotiation import json_error
from recur_django.owners import can_manage_billing, owner_for_request
from recur_django.safe_urls import same_site_url

logger = logging.getLogger("recur_django.owners")

FORBIDDEN_TEMPLATE = "recur_django/billing_forbidden.html"


def acting_for(request: Any) -> Any:
    """The owner ``request`` acts for, or ``None`` (answer as for an anonymous request).

    Raises :class:`~recur_django.exceptions.BillingForbidden` when the request's user may
    not manage that owner's billing.
    """
    owner = owner_for_request(request)
    if owner is not None and not can_manage_billing(getattr(request, "user", None), owner):
        logger.info(
            "Billing refused: user %s may not manage %s %s.",
            getattr(request.user, "pk", None),
            owner._meta.label,
            owner.pk,
        )
        raise BillingForbidden()
    return owner


def forbidden_response(
    request: HttpRequest, exc: BillingForbidden, *, as_json: bool
) -> HttpResponse:
    """``403 {"error": {"code": "billing_forbidden", …}}``, or the page that says so."""
    if as_json:
        return json_error(exc.code, exc.message, exc.status)
    back_url = same_site_url(request, request.headers.get("Referer")) or "/"
    context = {"code": exc.code, "message": exc.message, "back_url": back_url}
    return render(request, FORBIDDEN_TEMPLATE, context, status=exc.status)
