"""The test URLconf plus tiny shop pages with a checkout form, for the browser tests: one
with the product only, one with the e-invoice fields as well."""

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path

from recur_django.einvoice.forms import InvoiceChoiceForm
from tests.urls import urlpatterns as base_urlpatterns

BUY_PAGE = engines["django"].from_string(
    """<!doctype html><html><head><title>Buy</title></head><body>
    <form method="post" action="{% url 'recur:checkout' %}">{% csrf_token %}
      <input type="hidden" name="product" value="{{ product }}">
      <button type="submit" id="buy">Buy</button>
    </form></body></html>"""
)


BUY_WITH_INVOICE_PAGE = engines["django"].from_string(
    """<!doctype html><html><head><title>Buy</title></head><body>
    <form method="post" action="{% url 'recur:checkout' %}">{% csrf_token %}
      <input type="hidden" name="product" value="{{ product }}">
      {% include "recur_django/includes/invoice_fields.html" %}
      <button type="submit" id="buy">Buy</button>
    </form></body></html>"""
)


def buy_page(request: HttpRequest, product: str) -> HttpResponse:
    return HttpResponse(BUY_PAGE.render({"product": product}, request))


def buy_with_invoice_page(request: HttpRequest, product: str) -> HttpResponse:
    """The buy form with the six e-invoice fields (recur_django/includes/invoice_fields.html)."""
    form = InvoiceChoiceForm(owner=request.user)
    context = {"product": product, "form": form}
    return HttpResponse(BUY_WITH_INVOICE_PAGE.render(context, request))


urlpatterns = [
    *base_urlpatterns,
    path("e2e/buy/<str:product>/", buy_page, name="e2e-buy"),
    path("e2e/buy-invoiced/<str:product>/", buy_with_invoice_page, name="e2e-buy-invoiced"),
]
