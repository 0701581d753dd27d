"""``recur:portal``: send the logged-in user to the Recur customer portal of the owner the
request acts for (``RECUR["OWNER_FOR_REQUEST"]``), when they may manage its billing."""

from __future__ import annotations

import json
import logging

from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from recur_django.conf import recur_settings
from recur_django.exceptions import BillingForbidden
from recur_django.negotiation import json_error, wants_json
from recur_django.portal import NoCustomerError, PortalError, start_portal_session
from recur_django.safe_urls import linkable_url, same_site_url
from recur_django.views.owner import acting_for, forbidden_response

logger = logging.getLogger("recur_django.portal")


def _requested_return_url(request: HttpRequest) -> str | None:
    """A same-site ``return_url`` (or ``next``) from the form or JSON body, if any.

    Only where to come back to is read from the request; the customer never is.
    """
    if (request.content_type or "").startswith("application/json"):
        try:
            body = json.loads(request.body or b"{}")
        except (ValueError, RecursionError):
            body = {}
        data = body if isinstance(body, dict) else {}
    else:
        data = request.POST
    return same_site_url(request, data.get("return_url") or data.get("next"))


@method_decorator([never_cache, csrf_protect, transaction.non_atomic_requests], name="dispatch")
class PortalView(View):
    """POST (login required, CSRF): 303 to a fresh portal session, or ``{"url"}`` for JSON.
    403 ``billing_forbidden`` for a user who may not manage the owner's billing.

    Not wrapped in ``ATOMIC_REQUESTS``: Recur is never called inside a transaction.
    """

    http_method_names = ["post", "options"]
    no_customer_template = "recur_django/portal/no_customer.html"
    error_template = "recur_django/portal/error.html"

    def post(self, request: HttpRequest) -> HttpResponse:
        as_json = wants_json(request)
        try:
            owner = acting_for(request)
        except BillingForbidden as exc:
            return forbidden_response(request, exc, as_json=as_json)
        if owner is None:
            if as_json:
                return json_error("not_authenticated", _("Please log in first."), 401)
            back = same_site_url(request, request.headers.get("referer")) or "/"
            return redirect_to_login(back)
        try:
            session = start_portal_session(
                owner,
                user=request.user,
                return_url=_requested_return_url(request),
                request=request,
            )
        except BillingForbidden as exc:
            return forbidden_response(request, exc, as_json=as_json)
        except PortalError as exc:
            return self.error_response(request, exc, as_json)
        url = str(session.url)
        if as_json:
            return JsonResponse({"url": url})
        response = HttpResponseRedirect(url)
        response.status_code = 303
        return response

    def error_response(self, request: HttpRequest, exc: PortalError, as_json: bool) -> HttpResponse:
        if as_json:
            return json_error(exc.code, exc.message, exc.status)
        template = (
            self.no_customer_template if isinstance(exc, NoCustomerError) else self.error_template
        )
        context = {
            "code": exc.code,
            "message": exc.message,
            "pricing_url": linkable_url(recur_settings.get("PRICING_URL")) or "/",
        }
        return render(request, template, context, status=exc.status)
