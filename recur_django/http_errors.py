"""One table from Recur's errors to the HTTP answers of our three surfaces.

The checkout view (``recur:checkout``), the customer portal (``recur:portal`` and the
REST API's portal sessions) and the REST API's checkout sessions each keep the codes
their pages document (docs/checkout.md, docs/portal.md, docs/rest-api.md); the table
below puts them side by side, so a new Recur error class is answered in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from recur_django.client.errors import (
    APIConnectionError,
    InvalidRequestError,
    NotFoundError,
    RateLimitError,
    RecurError,
)
from recur_django.exceptions import CustomerNotFoundError, PortalError

Surface = Literal["checkout", "portal", "api"]
CHECKOUT: Surface = "checkout"  # recur:checkout (HTML or JSON)
PORTAL: Surface = "portal"  # recur:portal and POST /api/billing/portal-sessions/
API: Surface = "api"  # POST /api/billing/checkout-sessions/


@dataclass(frozen=True)
class ErrorAnswer:
    """What to answer: HTTP status, error code and a message safe to show the user.

    With ``quotes_recur`` the message holds ``%(message)s``, filled with Recur's words.
    """

    status: int
    code: str
    message: str | Promise
    quotes_recur: bool = False

    def message_for(self, exc: RecurError) -> str:
        if self.quotes_recur:
            return str(self.message) % {"message": exc.message}
        return str(self.message)


SERVICE_UNAVAILABLE = ErrorAnswer(
    502,
    "service_unavailable",
    _("The payment service is unavailable right now. Please try again in a moment."),
)
CHECKOUT_REJECTED = ErrorAnswer(
    400, "checkout_rejected", _("This product cannot be purchased right now.")
)
PORTAL_UNAVAILABLE = ErrorAnswer(PortalError.status, PortalError.code, PortalError.default_message)
PORTAL_RATE_LIMITED = ErrorAnswer(
    503,
    "rate_limited",
    _("Too many requests to the billing portal. Please wait a moment and try again."),
)
CUSTOMER_NOT_FOUND = ErrorAnswer(
    CustomerNotFoundError.status,
    CustomerNotFoundError.code,
    CustomerNotFoundError.default_message,
)
RECUR_UNAVAILABLE = ErrorAnswer(
    503, "recur_unavailable", _("Recur could not be reached. Please try again in a moment.")
)
RECUR_RATE_LIMITED = ErrorAnswer(
    503, "recur_rate_limited", _("Recur is busy. Please try again in a moment.")
)
RECUR_REFUSED = ErrorAnswer(
    502, "recur_error", _("Recur refused the request: %(message)s"), quotes_recur=True
)

#: Most specific class first; a surface without an entry in a row falls through to the
#: next matching row, and ``RecurError`` answers everything else.
RECUR_ERROR_ANSWERS: tuple[tuple[type[RecurError], Mapping[Surface, ErrorAnswer]], ...] = (
    (APIConnectionError, {API: RECUR_UNAVAILABLE}),
    (RateLimitError, {PORTAL: PORTAL_RATE_LIMITED, API: RECUR_RATE_LIMITED}),
    (NotFoundError, {CHECKOUT: CHECKOUT_REJECTED, PORTAL: CUSTOMER_NOT_FOUND}),
    (InvalidRequestError, {CHECKOUT: CHECKOUT_REJECTED}),
    (
        RecurError,
        {CHECKOUT: SERVICE_UNAVAILABLE, PORTAL: PORTAL_UNAVAILABLE, API: RECUR_REFUSED},
    ),
)


def recur_error_answer(exc: RecurError, surface: Surface) -> ErrorAnswer:
    """The answer ``surface`` gives for ``exc`` (see :data:`RECUR_ERROR_ANSWERS`)."""
    for error_class, answers in RECUR_ERROR_ANSWERS:
        if isinstance(exc, error_class) and surface in answers:
            return answers[surface]
    raise LookupError(f"No answer for {type(exc).__name__} on {surface!r}.")  # pragma: no cover
