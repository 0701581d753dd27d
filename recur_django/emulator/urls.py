"""URLconf of the emulator: ``path("_recur/", include("recur_django.emulator.urls"))``.

Every view goes through :func:`~recur_django.emulator.gate.emulator_view`: 404 unless
``DEBUG`` or ``RECUR_EMULATOR["ENABLED"]`` is True, and no login required.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http.response import HttpResponseBase
from django.urls import URLPattern, path, re_path

from recur_django.emulator.api.charges import InvoiceDetailView, OrderDetailView
from recur_django.emulator.api.checkout import CheckoutSessionDetailView, CheckoutSessionsView
from recur_django.emulator.api.control import ControlView
from recur_django.emulator.api.credits import CreditBalanceView, CreditDeductView
from recur_django.emulator.api.customers import CustomerDetailView, CustomersView, EntitlementsView
from recur_django.emulator.api.fallback import unknown_endpoint
from recur_django.emulator.api.payment_links import PaymentLinkDetailView, PaymentLinksView
from recur_django.emulator.api.portal import PortalSessionsView
from recur_django.emulator.api.products import ProductDetailView, ProductsView
from recur_django.emulator.api.promotion_codes import PromotionCodeDetailView, PromotionCodesView
from recur_django.emulator.api.subscriptions import SubscriptionDetailView, SubscriptionsView
from recur_django.emulator.einvoice.views import b2c_invoice
from recur_django.emulator.gate import emulator_view
from recur_django.emulator.pages.buy import buy
from recur_django.emulator.pages.checkout import (
    checkout_code,
    checkout_done,
    checkout_page,
    checkout_pay,
)
from recur_django.emulator.pages.portal import (
    portal_cancel,
    portal_customer,
    portal_page,
    portal_switch,
)

app_name = "recur_emulator"

# (route under v1/, view, name)
API_ROUTES: list[tuple[str, Callable[..., HttpResponseBase], str]] = [
    ("checkout/sessions", CheckoutSessionsView.as_view(), "checkout-sessions"),
    ("checkout/sessions/<str:session_id>", CheckoutSessionDetailView.as_view(), "checkout-session"),
    ("portal/sessions", PortalSessionsView.as_view(), "portal-sessions"),
    ("payment-links", PaymentLinksView.as_view(), "payment-links"),
    ("payment-links/<str:link_id>", PaymentLinkDetailView.as_view(), "payment-link"),
    ("products", ProductsView.as_view(), "products"),
    ("products/<str:product_id>", ProductDetailView.as_view(), "product"),
    ("customers", CustomersView.as_view(), "customers"),
    ("customers/entitlements", EntitlementsView.as_view(), "entitlements"),
    ("customers/<str:customer_id>", CustomerDetailView.as_view(), "customer"),
    ("customers/<str:customer_id>/credits", CreditBalanceView.as_view(), "credits"),
    ("customers/<str:customer_id>/credits/deduct", CreditDeductView.as_view(), "credits-deduct"),
    ("promotion-codes", PromotionCodesView.as_view(), "promotion-codes"),
    ("promotion-codes/<str:promo_id>", PromotionCodeDetailView.as_view(), "promotion-code"),
    ("subscriptions", SubscriptionsView.as_view(), "subscriptions"),
    ("subscriptions/<str:subscription_id>", SubscriptionDetailView.as_view(), "subscription"),
    ("orders/<str:order_id>", OrderDetailView.as_view(), "order"),
    ("invoices/<str:invoice_id>", InvoiceDetailView.as_view(), "invoice"),
]

_patterns: list[URLPattern] = [
    *[path(f"v1/{route}", view, name=name) for route, view, name in API_ROUTES],
    # A trailing slash is tolerated too, so APPEND_SLASH never turns a POST into an error.
    *[path(f"v1/{route}/", view) for route, view, _ in API_ROUTES],
    re_path(r"^v1/.*$", unknown_endpoint, name="api-unknown"),
    path("_control/", ControlView.as_view(), name="control"),
    path("checkout/<str:session_id>", checkout_page, name="checkout-page"),
    path("checkout/<str:session_id>/pay", checkout_pay, name="checkout-pay"),
    path("checkout/<str:session_id>/code", checkout_code, name="checkout-code"),
    path("checkout/<str:session_id>/done", checkout_done, name="checkout-done"),
    path("portal/<str:session_id>", portal_page, name="portal-page"),
    path("portal/<str:session_id>/cancel", portal_cancel, name="portal-cancel"),
    path("portal/<str:session_id>/switch", portal_switch, name="portal-switch"),
    path("portal/<str:session_id>/customer", portal_customer, name="portal-customer"),
    path("buy/<str:url_id>", buy, name="buy"),
    # ECPay-compatible e-invoices: API_BASE = <mount>/einvoice
    path("einvoice/B2CInvoice/<str:operation>", b2c_invoice, name="einvoice-b2c"),
]

# The one place the gate is applied: every route above, none forgotten.
for _pattern in _patterns:
    _pattern.callback = emulator_view(_pattern.callback)

urlpatterns: list[URLPattern] = _patterns
