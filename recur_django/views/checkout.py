"""Checkout views: start a checkout (``recur:checkout``) and the return page
(``recur:checkout-return``). Both answer HTML or JSON; the work is in
:mod:`recur_django.checkout`.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.csrf import csrf_protect

from recur_django.checkout import confirm_return, start_checkout
from recur_django.client.errors import (
    AuthenticationError,
    InvalidRequestError,
    NotFoundError,
    RecurError,
)
from recur_django.conf import recur_settings
from recur_django.einvoice.preferences import checkout_choice
from recur_django.exceptions import BillingForbidden
from recur_django.http_errors import (
    CHECKOUT,
    CHECKOUT_REJECTED,
    SERVICE_UNAVAILABLE,
    ErrorAnswer,
    recur_error_answer,
)
from recur_django.negotiation import json_error, wants_json
from recur_django.plans import AlreadySubscribed, CheckoutInProgress
from recur_django.safe_urls import same_site_url
from recur_django.views.invoice import invalid_invoice_response
from recur_django.views.owner import acting_for, forbidden_response
from recur_django.views.plans import already_subscribed_response, checkout_in_progress_response

logger = logging.getLogger("recur_django.checkout")

UNAVAILABLE = SERVICE_UNAVAILABLE.message
REJECTED = CHECKOUT_REJECTED.message
RESUME_SESSION_KEY = "recur_resume_checkout"


def _error(
    request: HttpRequest,
    status: int,
    code: str,
    message: Any,
    *,
    as_json: bool,
    template: str = "recur_django/checkout_error.html",
) -> HttpResponse:
    if as_json:
        return json_error(code, message, status)
    back_url = same_site_url(request, request.headers.get("Referer")) or "/"
    return render(
        request,
        template,
        {"code": code, "message": message, "back_url": back_url},
        status=status,
    )


def _log_recur_error(exc: RecurError) -> None:
    if isinstance(exc, InvalidRequestError | NotFoundError):
        logger.warning("Recur refused a checkout: %s", type(exc).__name__)
    elif isinstance(exc, AuthenticationError):  # a configuration problem, not an outage
        logger.error(
            "Checkout failed: Recur refused the secret key (HTTP %s); check "
            "RECUR['SECRET_KEY'] against the keys of %s",
            exc.status,
            recur_settings.get("API_BASE"),
        )
    else:  # unreachable, rate-limited or failing: try later
        logger.error(
            "Checkout could not reach Recur at %s: %s",
            recur_settings.get("API_BASE"),
            type(exc).__name__,
        )


def _message_for(exc: RecurError, answer: ErrorAnswer) -> str:
    """The shopper's message; under DEBUG, the cause a developer can act on instead."""
    notes = getattr(exc, "__notes__", None)
    if settings.DEBUG and notes:
        return str(_("%(message)s (DEBUG: %(cause)s)")) % {
            "message": answer.message_for(exc),
            "cause": notes[-1],
        }
    return answer.message_for(exc)


def _resume_url(request: HttpRequest) -> str | None:
    """``recur:checkout?product=…`` (a GET page that resumes this POST), or ``None``."""
    product = request.POST.get("product") or request.POST.get("product_id") or ""
    if not product.strip() or len(product) > 128 or "\x00" in product:
        return None
    query = {"product": product.strip()}
    mode = request.POST.get("mode") or ""
    if mode and len(mode) <= 32 and "\x00" not in mode:
        query["mode"] = mode
    return f"{reverse('recur:checkout')}?{urlencode(query)}"


def _login_redirect(request: HttpRequest) -> HttpResponse:
    """Send the buyer to log in, then back to a page that continues the checkout."""
    resume = _resume_url(request)
    if resume is not None:
        # The resume page submits itself only for the checkout this browser started.
        if hasattr(request, "session"):
            request.session[RESUME_SESSION_KEY] = resume
        return redirect_to_login(resume)
    back = same_site_url(request, request.headers.get("Referer"))
    return redirect_to_login(back or request.get_full_path())


# CSRF is checked here, not left to CsrfViewMiddleware: without the middleware a
# cross-site form could otherwise start checkouts in the visitor's name.
@method_decorator(csrf_protect, name="dispatch")
@method_decorator(transaction.non_atomic_requests, name="dispatch")
class CheckoutView(View):
    """POST ``product`` (id or slug) and optional ``mode``: 303 to Recur's hosted page, or
    ``{"url", "transaction_id"}`` for JSON requests. Login required; CSRF protected.

    When e-invoicing is on, the six ``invoice_*`` fields too (else ignored): invalid or
    contradictory -> 400 ``invalid_invoice`` (the invoice form again in HTML) before
    anything is written or asked of Recur.

    The checkout is for the owner the request acts for (``RECUR["OWNER_FOR_REQUEST"]``);
    a user who may not manage that owner's billing gets 403 ``billing_forbidden`` before
    anything is written or asked of Recur.

    Not wrapped in ``ATOMIC_REQUESTS``: the pending transaction must be committed before
    Recur is called, so its webhook always finds it.
    """

    http_method_names = ["get", "head", "post", "options"]
    resume_template_name = "recur_django/checkout_resume.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """``?product=…[&mode=…]``: where the login page sends the buyer back to. Renders a
        form that POSTs the same fields (submitted by itself), so the checkout continues.
        """
        product = (request.GET.get("product") or "").strip()
        if not product:
            return self.http_method_not_allowed(request, *args, **kwargs)
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if len(product) > 128 or "\x00" in product:
            return _error(
                request, 400, "invalid_request", _("Choose a product to buy."), as_json=False
            )
        mode = request.GET.get("mode") or ""
        session = getattr(request, "session", None)
        started_here = (
            session is not None and session.pop(RESUME_SESSION_KEY, None) == request.get_full_path()
        )
        return render(
            request,
            self.resume_template_name,
            {"product": product, "mode": mode if len(mode) <= 32 else "", "auto": started_here},
        )

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        as_json = wants_json(request)
        try:
            owner = acting_for(request)
        except BillingForbidden as exc:
            return forbidden_response(request, exc, as_json=as_json)
        if owner is None:
            if as_json:
                return _error(
                    request, 401, "not_authenticated", _("Please log in first."), as_json=True
                )
            return _login_redirect(request)

        fields: Any = request.POST
        if request.content_type == "application/json":
            try:
                fields = json.loads(request.body or b"{}")
            except (ValueError, RecursionError):
                fields = None
            if not isinstance(fields, dict):
                return _error(
                    request,
                    400,
                    "invalid_request",
                    _("The body is not a JSON object."),
                    as_json=True,
                )
        product = fields.get("product") or fields.get("product_id") or ""
        mode = fields.get("mode") or None
        if not isinstance(product, str) or not product.strip() or len(product) > 128:
            return _error(
                request, 400, "invalid_request", _("Choose a product to buy."), as_json=as_json
            )
        if mode is not None and not isinstance(mode, str):
            return _error(request, 400, "invalid_request", _("Unknown mode."), as_json=as_json)
        # The invoice choice (when e-invoicing is on) before anything is written or asked
        # of Recur; its existence checks are bounded and never inside a transaction.
        try:
            invoice = checkout_choice(owner, fields)
        except ValidationError as exc:
            return invalid_invoice_response(request, exc, owner=owner, data=fields, as_json=as_json)

        try:
            txn = start_checkout(
                owner,
                product.strip(),
                user=request.user,
                mode=mode,
                request=request,
                invoice=invoice,
            )
        except BillingForbidden as exc:
            return forbidden_response(request, exc, as_json=as_json)
        except AlreadySubscribed as exc:  # one plan per product family
            logger.info("Checkout refused: %s", exc)
            return already_subscribed_response(request, exc, as_json=as_json)
        except CheckoutInProgress as exc:  # one open checkout per product family
            logger.info("Checkout refused: %s", exc)
            return checkout_in_progress_response(request, exc, as_json=as_json)
        except ValueError as exc:
            logger.info("Checkout refused: %s", exc)
            return _error(request, 400, "invalid_request", _("Unknown mode."), as_json=as_json)
        except RecurError as exc:
            _log_recur_error(exc)
            answer = recur_error_answer(exc, CHECKOUT)
            return _error(
                request, answer.status, answer.code, _message_for(exc, answer), as_json=as_json
            )

        if as_json:
            return JsonResponse({"url": txn.checkout_url, "transaction_id": txn.public_id})
        response = HttpResponse(status=303)
        response["Location"] = txn.checkout_url
        return response


@method_decorator(transaction.non_atomic_requests, name="dispatch")
class CheckoutReturnView(View):
    """Where Recur sends the buyer back (``?session_id=cs_…``).

    Not wrapped in ``ATOMIC_REQUESTS``: it retrieves the session from Recur, and
    fulfilment takes its own short transaction.

    Shows success, "payment processing" or failed. When Recur says the session is complete
    the transaction is fulfilled here with the same idempotent function the webhook uses,
    so whichever arrives first wins and the other changes nothing.
    """

    http_method_names = ["get", "head", "options"]
    template_name = "recur_django/checkout_return.html"
    error_template_name = "recur_django/checkout_return_error.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        as_json = wants_json(request)
        try:
            owner = acting_for(request)
        except BillingForbidden as exc:
            return forbidden_response(request, exc, as_json=as_json)
        if owner is None:
            if as_json:
                return _error(
                    request, 401, "not_authenticated", _("Please log in first."), as_json=True
                )
            return redirect_to_login(request.get_full_path())
        session_id = (request.GET.get("session_id") or "").strip()
        if not session_id or len(session_id) > 128 or "\x00" in session_id:
            return _error(
                request,
                400,
                "invalid_request",
                _("The checkout link is incomplete."),
                as_json=as_json,
                template=self.error_template_name,
            )
        result = confirm_return(owner, session_id)
        if result is None:
            return _error(
                request,
                404,
                "not_found",
                _("We could not find this checkout."),
                as_json=as_json,
                template=self.error_template_name,
            )
        txn = result.transaction
        if as_json:
            return JsonResponse(
                {"transaction_id": txn.public_id, "state": result.state, "status": txn.status}
            )
        return render(
            request,
            self.template_name,
            {"state": result.state, "transaction": txn},
        )
