"""The test URLconf plus one tiny shop page with a checkout form, for the browser tests."""

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path

from tests.urls import urlpatterns as base_urlpatterns

BUY_PAGE = engines["django"].from_string(
    """<!doctype html><html><head><title>Buy</title></head><body>
    <form method="post" action="{% url 'recur:checkout' %}">{% csrf_token %}
      <input type="hidden" name="product" value="{{ product }}">
      <button type="submit" id="buy">Buy</button>
    </form></body></html>"""
)


def buy_page(request: HttpRequest, product: str) -> HttpResponse:
    return HttpResponse(BUY_PAGE.render({"product": product}, request))


urlpatterns = [
    *base_urlpatterns,
    path("e2e/buy/<str:product>/", buy_page, name="e2e-buy"),
]
