"""URLconf of recur_django: ``path("billing/", include("recur_django.urls"))``."""

from __future__ import annotations

from django.urls import path

from recur_django.views.checkout import CheckoutReturnView, CheckoutView
from recur_django.views.invoice import InvoicePreferenceView
from recur_django.views.plans import already_subscribed
from recur_django.views.portal import PortalView
from recur_django.webhooks.views import WebhookView

app_name = "recur"

urlpatterns = [
    path("checkout/", CheckoutView.as_view(), name="checkout"),
    path("checkout/already-subscribed/", already_subscribed, name="already-subscribed"),
    path("checkout/return/", CheckoutReturnView.as_view(), name="checkout-return"),
    path("portal/", PortalView.as_view(), name="portal"),
    path("invoice-preference/", InvoicePreferenceView.as_view(), name="invoice-preference"),
    path("webhook/", WebhookView.as_view(), name="webhook"),
]
