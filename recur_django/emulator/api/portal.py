"""``POST /v1/portal/sessions``: customer by id > external id > email."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from recur_django.emulator import representations
from recur_django.emulator.api.base import ApiView, ok
from recur_django.emulator.api.errors import ApiError, invalid
from recur_django.emulator.redirects import check_url
from recur_django.emulator.services import customers, portal

LOCALES = {"zh-TW", "en"}


class PortalSessionsView(ApiView):
    def post(self, request: HttpRequest) -> HttpResponse:
        p = self.body
        # The SDK sends customerId; its own parameter is called "customer".
        customer_id = p.text("customer_id", max_length=100) or p.text("customer", max_length=100)
        external_id = p.text("external_id", max_length=200)
        email = p.text("email", max_length=254)
        if not (customer_id or external_id or email):
            raise invalid("One of customer_id, external_id or email is required.")
        return_url = check_url("return_url", p.url("return_url"), request)
        locale = p.text("locale", max_length=10)
        if locale and locale not in LOCALES:
            raise invalid("locale must be 'zh-TW' or 'en'.")
        customer = customers.lookup(customer_id, external_id, email)
        if customer is None:
            raise ApiError(404, "customer_not_found", "No customer matches the given identifier.")
        if not return_url:
            raise ApiError(
                400, "missing_return_url", "return_url is required (no portal default is set)."
            )
        session = portal.create(
            customer, return_url, locale, p.text("configuration_id", max_length=100)
        )
        return ok(representations.portal_session(session, portal.status_of(session), request))
