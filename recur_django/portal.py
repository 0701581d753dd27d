"""Customer portal sessions for a billing owner (the logged-in user by default).

The Recur customer always comes from the owner's :class:`~recur_django.models.Customer`
mapping — never from anything the browser sends — so one owner can never open another
owner's portal, and only a user who may manage the owner's billing
(:func:`~recur_django.owners.can_manage_billing`) opens it. Portal sessions last one hour
and are single-use: the URL is returned to the caller and never stored or cached.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest
from django.utils import translation

from recur_django.client import PortalSession
from recur_django.client.errors import (
    APIConnectionError,
    InvalidRequestError,
    NotFoundError,
    RateLimitError,
    RecurError,
)
from recur_django.client_factory import get_client
from recur_django.conf import recur_settings
from recur_django.exceptions import (
    BillingForbidden,
    CustomerNotFoundError,
    MissingReturnURLError,
    NoCustomerError,
    PortalError,
)
from recur_django.http_errors import PORTAL, recur_error_answer
from recur_django.models import Customer
from recur_django.owners import can_manage_billing, is_owner
from recur_django.safe_urls import flag_unsafe_url, is_http_url
from recur_django.transaction_state import warn_if_in_transaction

logger = logging.getLogger("recur_django.portal")

ZH_TW_LANGUAGES = frozenset({"zh-hant", "zh-tw", "zh-hk", "zh-mo"})


def portal_locale(language: str | None = None) -> str:
    """Recur's portal locale for a Django language code: ``zh-TW`` for Traditional
    Chinese, ``en`` otherwise."""
    code = (language or translation.get_language() or "").lower().replace("_", "-")
    return "zh-TW" if code in ZH_TW_LANGUAGES or code.startswith("zh-hant") else "en"


def default_return_url(request: HttpRequest | None = None) -> str | None:
    """``RECUR["PORTAL_RETURN_URL"]`` (made absolute), else the site root of ``request``."""
    configured = recur_settings.get("PORTAL_RETURN_URL")
    if configured:
        configured = str(configured)
        if request is not None and configured.startswith("/"):
            return request.build_absolute_uri(configured)
        return configured
    if request is not None:
        return request.build_absolute_uri("/")
    return None


def customer_for(owner: Any) -> Customer:
    """The owner's Customer mapping; :class:`NoCustomerError` when there is none."""
    if not is_owner(owner):
        raise NoCustomerError()
    customer = Customer.objects.filter(owner_id=owner.pk).first()
    if customer is None or not customer.recur_id:
        raise NoCustomerError()
    return customer


def start_portal_session(
    owner: Any,
    *,
    user: Any = None,
    return_url: str | None = None,
    locale: str | None = None,
    request: HttpRequest | None = None,
) -> PortalSession:
    """Create a Recur portal session for ``owner`` and return it (``.url`` is where to go).

    ``user`` is who asks: when given, :func:`~recur_django.owners.can_manage_billing` must
    allow it, else :class:`~recur_django.exceptions.BillingForbidden` (403
    ``billing_forbidden``) is raised before Recur is called. ``return_url`` defaults to
    :func:`default_return_url`; ``locale`` to the active language (:func:`portal_locale`).
    Raises :class:`PortalError` subclasses with a user-facing message; the Recur error is
    chained as ``__cause__``.
    """
    if user is not None and not can_manage_billing(user, owner):
        raise BillingForbidden()
    customer = customer_for(owner)
    if return_url and request is not None and return_url.startswith("/"):
        return_url = request.build_absolute_uri(return_url)
    return_url = return_url or default_return_url(request)
    if return_url is not None and not is_http_url(return_url):
        flag_unsafe_url(return_url, "portal return URL")
        raise MissingReturnURLError()
    warn_if_in_transaction("start_portal_session")
    try:
        session = get_client().portal_sessions.create(
            customer=customer.recur_id,
            return_url=return_url,
            locale=locale or portal_locale(),
        )
    except RecurError as exc:
        raise _portal_error(exc, customer) from exc
    if not session.url:
        logger.error("Recur returned portal session %s without a URL.", session.id)
        raise PortalError()
    if not is_http_url(session.url):  # never send the browser to javascript: & co.
        flag_unsafe_url(session.url, f"portal session {session.id}")
        raise PortalError()
    return session


def _portal_error(exc: RecurError, customer: Customer) -> PortalError:
    code = (exc.code or "").lower()
    if code == "customer_not_found" or (isinstance(exc, NotFoundError) and "customer" in code):
        logger.error("Recur does not know customer %s (owner mapping is stale).", customer.recur_id)
        return CustomerNotFoundError()
    if code == "missing_return_url":
        logger.error("Portal needs a return URL: set RECUR['PORTAL_RETURN_URL'].")
        return MissingReturnURLError()
    if isinstance(exc, NotFoundError):
        logger.error("Portal session for %s: not found (%s).", customer.recur_id, exc.code)
    elif isinstance(exc, RateLimitError):
        logger.warning("Portal session for %s: rate limited by Recur.", customer.recur_id)
    elif isinstance(exc, APIConnectionError):
        logger.warning("Portal session for %s: Recur unreachable: %s", customer.recur_id, exc)
    elif isinstance(exc, InvalidRequestError):
        logger.error("Portal session for %s refused: %s", customer.recur_id, exc)
    else:
        logger.error("Portal session for %s failed: %s", customer.recur_id, exc)
    answer = recur_error_answer(exc, PORTAL)
    if answer.code == CustomerNotFoundError.code:
        return CustomerNotFoundError()
    return PortalError(answer.message, code=answer.code, status=answer.status)
