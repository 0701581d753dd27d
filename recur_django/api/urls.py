"""URLconf of the REST API: ``path("api/billing/", include("recur_django.api.urls"))``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext as _

from recur_django.api import views
from recur_django.api.invoice_preference import InvoicePreferenceView
from recur_django.api.payments import PaymentListView
from recur_django.api.schema import schema_view, spectacular_available

app_name = "recur-api"


def schema_unavailable(request: HttpRequest) -> JsonResponse:
    """Stand-in for the schema when drf-spectacular is not installed."""
    message = _("The OpenAPI schema needs drf-spectacular: pip install 'recur-django[openapi]'.")
    return JsonResponse({"error": {"code": "schema_unavailable", "message": message}}, status=501)


def _schema_view() -> Any:
    if spectacular_available():
        return schema_view(views.RecurAPIView)
    return schema_unavailable


urlpatterns: list[URLPattern] = [
    path(
        "checkout-sessions/",
        views.CheckoutSessionCreateView.as_view(),
        name="checkout-sessions",
    ),
    path("portal-sessions/", views.PortalSessionCreateView.as_view(), name="portal-sessions"),
    path("transactions/", views.TransactionListView.as_view(), name="transactions"),
    path("payments/", PaymentListView.as_view(), name="payments"),
    path("subscriptions/", views.SubscriptionListView.as_view(), name="subscriptions"),
    path("entitlements/", views.EntitlementListView.as_view(), name="entitlements"),
    path(
        "entitlements/<str:product>/",
        views.EntitlementCheckView.as_view(),
        name="entitlement-check",
    ),
    path("invoice-preference/", InvoicePreferenceView.as_view(), name="invoice-preference"),
    path("schema/", _schema_view(), name="schema"),
]
