"""The one table from Recur's errors to HTTP answers (recur_django.http_errors)."""

from __future__ import annotations

import pytest

from recur_django.client.errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    InvalidRequestError,
    NotFoundError,
    RateLimitError,
)
from recur_django.http_errors import API, CHECKOUT, PORTAL, recur_error_answer

CONNECTION = APIConnectionError("down")
RATE_LIMITED = RateLimitError("slow", status=429, code="rate_limited")
REFUSED = InvalidRequestError("bad product", status=400, code="invalid")
NOT_FOUND = NotFoundError("gone", status=404, code="resource_not_found")
KEY = AuthenticationError("key", status=401, code="unauthorized")
SERVER = APIError("boom", status=500, code="internal_error")


@pytest.mark.parametrize(
    ("exc", "surface", "status", "code"),
    [
        # recur:checkout — docs/checkout.md
        (REFUSED, CHECKOUT, 400, "checkout_rejected"),
        (NOT_FOUND, CHECKOUT, 400, "checkout_rejected"),
        (KEY, CHECKOUT, 502, "service_unavailable"),
        (CONNECTION, CHECKOUT, 502, "service_unavailable"),
        (RATE_LIMITED, CHECKOUT, 502, "service_unavailable"),
        (SERVER, CHECKOUT, 502, "service_unavailable"),
        # recur:portal and the API's portal sessions — docs/portal.md
        (NOT_FOUND, PORTAL, 404, "customer_not_found"),
        (RATE_LIMITED, PORTAL, 503, "rate_limited"),
        (CONNECTION, PORTAL, 503, "portal_unavailable"),
        (REFUSED, PORTAL, 503, "portal_unavailable"),
        (SERVER, PORTAL, 503, "portal_unavailable"),
        # the API's checkout sessions — docs/rest-api.md
        (CONNECTION, API, 503, "recur_unavailable"),
        (RATE_LIMITED, API, 503, "recur_rate_limited"),
        (REFUSED, API, 502, "recur_error"),
        (SERVER, API, 502, "recur_error"),
    ],
)
def test_each_surface_keeps_its_documented_answer(exc, surface, status, code):
    answer = recur_error_answer(exc, surface)
    assert (answer.status, answer.code) == (status, code)
    assert answer.message_for(exc)


def test_the_api_quotes_recurs_words_and_the_pages_do_not():
    assert "bad product" in recur_error_answer(REFUSED, API).message_for(REFUSED)
    assert "bad product" not in recur_error_answer(REFUSED, CHECKOUT).message_for(REFUSED)
    assert "bad product" not in recur_error_answer(REFUSED, PORTAL).message_for(REFUSED)
