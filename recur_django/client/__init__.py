"""Recur REST client: pure Python + requests, usable with or without Django.

>>> from recur_django.client import RecurClient
>>> with RecurClient("sk_test_...") as recur:
...     session = recur.checkout_sessions.create(
...         product_id="prod_pro_monthly",
...         success_url="https://shop.example/ok?session_id={CHECKOUT_SESSION_ID}",
...         cancel_url="https://shop.example/pricing",
...     )
"""

from __future__ import annotations

from types import TracebackType

import requests

from recur_django.client.charges import Charge, Invoices, Orders
from recur_django.client.credits import Credits
from recur_django.client.envelopes import Deleted, Page
from recur_django.client.errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RecurError,
)
from recur_django.client.promotion_codes import PromotionCodes
from recur_django.client.resources import (
    CheckoutSessions,
    Customers,
    Entitlements,
    PaymentLinks,
    PortalSessions,
    Products,
    Subscriptions,
)
from recur_django.client.transport import USER_AGENT, Transport, redact_key
from recur_django.client.types import (
    CheckoutSession,
    CreditBalance,
    CreditTransaction,
    Customer,
    CustomerEntitlements,
    Entitlement,
    EntitlementCheck,
    EntitlementSubscription,
    PaymentLink,
    PortalSession,
    Product,
    ProductSummary,
    PromotionCode,
    Subscription,
)

__all__ = [
    "USER_AGENT",
    "APIConnectionError",
    "APIError",
    "AuthenticationError",
    "Charge",
    "CheckoutSession",
    "CreditBalance",
    "CreditTransaction",
    "Customer",
    "CustomerEntitlements",
    "Deleted",
    "Entitlement",
    "EntitlementCheck",
    "EntitlementSubscription",
    "InvalidRequestError",
    "NotFoundError",
    "Page",
    "PaymentLink",
    "PermissionDeniedError",
    "PortalSession",
    "Product",
    "ProductSummary",
    "PromotionCode",
    "RateLimitError",
    "RecurClient",
    "RecurError",
    "Subscription",
    "redact_key",
]

DEFAULT_BASE_URL = "https://api.recur.tw"


def _check_keys(secret_key: object, publishable_key: object) -> None:
    if not isinstance(secret_key, str) or not secret_key.strip():
        raise ValueError(
            "RecurClient needs your Recur secret key (sk_test_… or sk_live_…), "
            "e.g. RECUR['SECRET_KEY']."
        )
    if secret_key.startswith("pk_"):
        raise ValueError(
            "RecurClient was given a publishable key (pk_…). The secret key (sk_…) goes in "
            "RECUR['SECRET_KEY'] and is used server-side; the pk_ key belongs in "
            "RECUR['PUBLISHABLE_KEY']."
        )
    if not secret_key.startswith("sk_"):
        raise ValueError(
            "RecurClient needs a secret key starting with 'sk_' (sk_test_… for the sandbox, "
            "sk_live_… for production); put it in RECUR['SECRET_KEY']."
        )
    if publishable_key is not None and not (
        isinstance(publishable_key, str) and publishable_key.startswith("pk_")
    ):
        hint = (
            " It looks like a secret key: keep sk_ keys out of PUBLISHABLE_KEY, which is "
            "shown to browsers."
            if isinstance(publishable_key, str) and publishable_key.startswith("sk_")
            else ""
        )
        raise ValueError("publishable_key must start with 'pk_' (RECUR['PUBLISHABLE_KEY'])." + hint)


class RecurClient:
    """A client for Recur's REST API (``https://api.recur.tw/v1``).

    Args:
        secret_key: the ``sk_test_…``/``sk_live_…`` key; a ``pk_`` key is rejected.
        base_url: API origin; ``/v1/…`` is appended (a trailing slash is fine).
        timeout: ``(connect, read)`` seconds applied to every HTTP call.
        max_retries: extra attempts after the first for retryable failures.
        max_retry_wait: upper bound in seconds for any single backoff or Retry-After wait.
        publishable_key: optional ``pk_…`` key, kept for callers that render browser
            checkout; never sent by this client.
        session: optional ``requests.Session`` to use (mounted with a pooled adapter).

    The client is thread-safe for concurrent calls and keeps connections alive;
    create one per process and call :meth:`close` (or use ``with``) when done.
    """

    def __init__(
        self,
        secret_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: tuple[float, float] | float = (5.0, 30.0),
        max_retries: int = 2,
        max_retry_wait: float = 10.0,
        publishable_key: str | None = None,
        session: requests.Session | None = None,
    ) -> None:
        _check_keys(secret_key, publishable_key)
        if isinstance(timeout, int | float):
            timeout = (float(timeout), float(timeout))
        connect, read = timeout
        self.publishable_key = publishable_key
        self._transport = Transport(
            secret_key.strip(),
            base_url=base_url or DEFAULT_BASE_URL,
            timeout=(float(connect), float(read)),
            max_retries=max_retries,
            max_retry_wait=max_retry_wait,
            session=session,
        )
        self.checkout_sessions = CheckoutSessions(self._transport)
        self.portal_sessions = PortalSessions(self._transport)
        self.payment_links = PaymentLinks(self._transport)
        self.products = Products(self._transport)
        self.customers = Customers(self._transport)
        self.subscriptions = Subscriptions(self._transport)
        self.entitlements = Entitlements(self._transport)
        self.orders = Orders(self._transport)
        self.invoices = Invoices(self._transport)
        self.promotion_codes = PromotionCodes(self._transport)
        self.credits = Credits(self._transport)

    @property
    def session(self) -> requests.Session:
        """The pooled ``requests.Session`` every call goes through (add ``hooks`` here)."""
        return self._transport.session

    @property
    def base_url(self) -> str:
        return self._transport.base_url

    @property
    def timeout(self) -> tuple[float, float]:
        return self._transport.timeout

    @property
    def max_retries(self) -> int:
        return self._transport.max_retries

    @property
    def max_retry_wait(self) -> float:
        return self._transport.max_retry_wait

    @property
    def is_live(self) -> bool:
        """True for a production (``sk_live_``) key."""
        return self._transport.redacted_key.startswith("sk_live_")

    def close(self) -> None:
        """Close pooled connections. The client must not be used afterwards."""
        self._transport.close()

    def __enter__(self) -> RecurClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"RecurClient(base_url={self.base_url!r}, key={self._transport.redacted_key!r})"
