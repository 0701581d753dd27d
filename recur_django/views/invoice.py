"""The buyer's invoice choice on our pages: the preference page
(``recur:invoice-preference``) and the 400 ``invalid_invoice`` answer of ``recur:checkout``.

The rules are :mod:`recur_django.einvoice.preferences`'s (THE validation is
:func:`~recur_django.einvoice.choice.validate_invoice_choice`); these views only show
them. Not wrapped in ``ATOMIC_REQUESTS``: saving a choice may ask the provider whether a
mobile barcode or love code exists, never inside a database transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from recur_django.einvoice import factory, preferences
from recur_django.einvoice.forms import InvoiceChoiceForm
from recur_django.exceptions import BillingForbidden
from recur_django.negotiation import json_error
from recur_django.safe_urls import same_site_url
from recur_django.views.owner import acting_for, forbidden_response

logger = logging.getLogger("recur_django.einvoice")

CHECKOUT_TEMPLATE = "recur_django/checkout_invoice.html"


def invalid_invoice_response(
    request: HttpRequest,
    exc: ValidationError,
    *,
    owner: Any,
    data: Mapping[str, Any],
    as_json: bool,
) -> HttpResponse:
    """400 ``invalid_invoice``: ``{"error": {"code", "message", "fields"}}``, or the
    checkout's invoice form again with its errors (it posts the same product and mode)."""
    error = preferences.invalid_invoice_error(exc)
    fields, message = error["fields"], error["message"]
    if as_json:
        return json_error(preferences.INVALID_INVOICE, message, 400, fields=fields)
    form = InvoiceChoiceForm.with_errors(data, owner=owner, errors=fields)
    product = data.get("product") or data.get("product_id") or ""
    mode = data.get("mode") or ""
    context = {
        "code": preferences.INVALID_INVOICE,
        "message": message,
        "form": form,
        "product": product if isinstance(product, str) else "",
        "mode": mode if isinstance(mode, str) and len(mode) <= 32 else "",
        "back_url": same_site_url(request, request.headers.get("Referer")) or "/",
    }
    return render(request, CHECKOUT_TEMPLATE, context, status=400)


@method_decorator([never_cache, csrf_protect, transaction.non_atomic_requests], name="dispatch")
class InvoicePreferenceView(View):
    """GET: the owner's remembered invoice choice in a form; POST: validate and save it
    (303 back here with ``?saved=1``; 400 with the form's errors).

    Login required; the user must manage the owner's billing (403 ``billing_forbidden``,
    like the portal). 404 with a message when e-invoicing is off.
    """

    http_method_names = ["get", "head", "post", "options"]
    template_name = "recur_django/invoice_preference.html"
    owner: Any = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            owner = acting_for(request)
        except BillingForbidden as exc:
            return forbidden_response(request, exc, as_json=False)
        if owner is None:
            return redirect_to_login(request.get_full_path())
        if not factory.is_enabled():
            message = _("This shop does not issue e-invoices.")
            context = {"enabled": False, "message": message, "form": None}
            return render(request, self.template_name, context, status=404)
        self.owner = owner
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        form = InvoiceChoiceForm(initial=preferences.initial_fields(self.owner), owner=self.owner)
        return self.render_form(request, form, saved=request.GET.get("saved") == "1")

    def post(self, request: HttpRequest) -> HttpResponse:
        form = InvoiceChoiceForm(request.POST, owner=self.owner)
        if not form.is_valid() or form.choice is None:
            return self.render_form(request, form, status=400)
        preferences.remember(self.owner, form.choice)
        response = HttpResponse(status=303)
        response["Location"] = reverse("recur:invoice-preference") + "?saved=1"
        return response

    def render_form(
        self,
        request: HttpRequest,
        form: InvoiceChoiceForm,
        *,
        saved: bool = False,
        status: int = 200,
    ) -> HttpResponse:
        context = {"enabled": True, "form": form, "saved": saved}
        return render(request, self.template_name, context, status=status)
