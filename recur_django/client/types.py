"""Frozen dataclasses for Recur objects, and their parsers.

Each field is declared once: :func:`~recur_django.client.parsing.parse` reads it by
its own name in either casing and coerces it by its annotation, unless its
``source(...)`` metadata names other keys, a fallback inside a nested object or a
rule of its own (see :mod:`recur_django.client.parsing`). The untouched dict stays on
``.raw`` (so unknown fields are never lost) and a value of the wrong type becomes
None instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from recur_django.client.casing import Reader, camel, parse_datetime
from recur_django.client.envelopes import unwrap
from recur_django.client.errors import APIError
from recur_django.client.parsing import parse, recur_object, source

__all__ = ["Reader", "camel", "parse", "parse_datetime", "source"]  # and the classes below

# -- irregular fields ---------------------------------------------------------------------

_DENIED_STATUSES = frozenset({"expired", "revoked", "inactive", "refunded"})
_PERIOD_TO_INTERVAL = {"weekly": "week", "monthly": "month", "yearly": "year", "daily": "day"}


def _interval(r: Reader) -> str | None:
    """``interval``, else derived from ``billing_period`` (``MONTHLY`` -> ``month``)."""
    interval = r.text("interval")
    if interval is None:
        period = r.text("billing_period")
        interval = _PERIOD_TO_INTERVAL.get(period.lower(), period) if period else None
    return interval


def _entitlement_product(r: Reader) -> str | None:
    """Recur's entitlements give ``product`` as the slug, or as an object with one."""
    product = r.get("product")
    return product if isinstance(product, str) else Reader(product).text("slug")


def _entitlement_product_id(r: Reader) -> str | None:
    product_id = r.text("product_id")
    product = r.get("product")
    if product_id is None and isinstance(product, dict):
        product_id = Reader(product).text("id")
    return product_id


def _subscription_product_slug(r: Reader) -> str | None:
    product = r.get("product")
    slug = product if isinstance(product, str) else Reader(product).text("slug")
    return slug or r.text("product_slug")


# -- objects ----------------------------------------------------------------------------


@recur_object
@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str | None
    status: str | None
    mode: str | None
    expires_at: datetime | None
    product_id: str | None = field(metadata=source(also_in="product.id"))
    customer_id: str | None = field(metadata=source(also_in="customer.id"))
    customer_email: str | None = field(metadata=source(also_in="customer.email"))
    amount: int | None
    currency: str | None
    metadata: dict[str, Any] | None
    order_id: str | None
    subscription_id: str | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    payment_intent_id: str | None = None  # PAYMENT and SUBSCRIPTION sessions
    setup_intent_id: str | None = None  # SETUP sessions


@recur_object
@dataclass(frozen=True)
class PortalSession:
    id: str
    url: str | None
    customer_id: str | None = field(metadata=source("customer_id", "customer"))
    return_url: str | None
    status: str | None
    expires_at: datetime | None
    accessed_at: datetime | None
    created_at: datetime | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@recur_object
@dataclass(frozen=True)
class ProductSummary:
    id: str | None
    name: str | None
    slug: str | None
    price: int | None
    currency: str | None
    type: str | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@recur_object
@dataclass(frozen=True)
class PaymentLink:
    id: str
    url: str | None
    url_id: str | None
    active: bool | None
    product_id: str | None = field(metadata=source(also_in="product.id"))
    product: ProductSummary | None
    promotion_code: str | None
    collect_payment_method: str | None
    success_url: str | None
    max_completions: int | None
    metadata: dict[str, Any] | None
    environment: str | None
    view_count: int | None
    session_count: int | None
    completed_count: int | None
    created_at: datetime | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@recur_object
@dataclass(frozen=True)
class Product:
    id: str
    name: str | None
    slug: str | None
    description: str | None
    type: str | None
    billing_period: str | None
    price: int | None
    currency: str | None
    trial_days: int | None
    metadata: dict[str, Any] | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    credits: int | None = None  # CREDITS products: what one purchase grants


@recur_object
@dataclass(frozen=True)
class Customer:
    id: str
    email: str | None
    name: str | None
    external_id: str | None
    email_verified: bool | None
    status: str | None
    livemode: bool | None
    created_at: datetime | None
    updated_at: datetime | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@recur_object
@dataclass(frozen=True)
class PromotionCode:
    """A promotion code (``promo_…``): a customer-facing code for one coupon (``cpn_…``)."""

    id: str
    code: str | None
    coupon_id: str | None = field(metadata=source(also_in="coupon.id"))
    coupon: dict[str, Any] | None
    active: bool | None
    valid_from: datetime | None
    valid_until: datetime | None
    max_redemptions: int | None
    max_redemptions_per_customer: int | None
    minimum_amount: int | None
    customer_eligibility: str | None
    restricted_to_customer_id: str | None
    current_redemptions: int | None
    metadata: dict[str, Any] | None
    created_at: datetime | None
    updated_at: datetime | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@recur_object
@dataclass(frozen=True)
class CreditBalance:
    """A customer's prepaid credits (``GET /v1/customers/{id}/credits``)."""

    customer_id: str | None
    balance: int | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@recur_object
@dataclass(frozen=True)
class CreditTransaction:
    """One movement of a customer's credits: a purchase (``credits.purchased``) or a
    deduction (``POST /v1/customers/{id}/credits/deduct``, ``credits.deducted``)."""

    id: str
    type: str | None
    customer_id: str | None = field(metadata=source(also_in="customer.id"))
    amount: int | None
    balance: int | None = field(metadata=source("balance", "balance_after"))
    description: str | None
    order_id: str | None
    product_id: str | None
    created_at: datetime | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@recur_object
@dataclass(frozen=True)
class Subscription:
    id: str
    status: str | None
    customer_id: str | None = field(metadata=source(also_in="customer.id"))
    product_id: str | None = field(metadata=source("product_id", "plan_id", also_in="product.id"))
    product_slug: str | None = field(metadata=source(also_in="product.slug"))
    product_name: str | None = field(metadata=source(also_in="product.name"))
    amount: int | None
    currency: str | None
    interval: str | None = field(metadata=source(read=_interval))
    interval_count: int | None
    current_period_start: datetime | None
    current_period_end: datetime | None
    canceled_at: datetime | None = field(metadata=source("canceled_at", "cancelled_at"))
    cancel_at_period_end: bool | None
    trial_end: datetime | None = field(metadata=source("trial_end", "trial_ends_at"))
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@recur_object
@dataclass(frozen=True)
class Entitlement:
    """One product a customer may use. ``product`` is the product slug."""

    product: str | None = field(metadata=source(read=_entitlement_product))
    product_id: str | None = field(metadata=source(read=_entitlement_product_id))
    status: str | None
    subscription_id: str | None
    source: str | None
    source_id: str | None
    granted_at: datetime | None
    expires_at: datetime | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@recur_object
@dataclass(frozen=True)
class EntitlementSubscription:
    """The customer's most recent active subscription, as the entitlements call reports it."""

    id: str | None
    status: str | None
    product_id: str | None = field(metadata=source(also_in="product.id"))
    product_slug: str | None = field(metadata=source(read=_subscription_product_slug))
    product_name: str | None = field(metadata=source(also_in="product.name"))
    current_period_end: datetime | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@recur_object
@dataclass(frozen=True)
class CustomerEntitlements:
    """The whole ``GET /v1/customers/entitlements`` answer."""

    customer_id: str | None = field(metadata=source("customer.id"))
    customer_email: str | None = field(metadata=source("customer.email"))
    customer_external_id: str | None = field(metadata=source("customer.external_id"))
    subscription: EntitlementSubscription | None
    entitlements: list[Entitlement]
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def check(self, product: str, *, now: datetime | None = None) -> EntitlementCheck:
        """Whether this answer grants ``product`` (a product slug or id).

        An entitlement matches when its ``product`` (slug) or ``product_id`` equals
        ``product``. A matching entitlement grants access unless its status is
        expired/revoked/inactive/refunded or its ``expires_at`` has passed.
        """
        subscription = self.subscription
        if subscription is not None and product not in (
            subscription.product_id,
            subscription.product_slug,
        ):
            subscription = None
        matches = [e for e in self.entitlements if product in (e.product, e.product_id)]
        if not matches:
            return EntitlementCheck(
                allowed=False, subscription=subscription, reason="no_entitlement"
            )
        now = now or datetime.now(UTC)
        for entitlement in matches:
            status = (entitlement.status or "").lower()
            expired = entitlement.expires_at is not None and entitlement.expires_at <= now
            if status not in _DENIED_STATUSES and not expired:
                return EntitlementCheck(
                    allowed=True, entitlement=entitlement, subscription=subscription
                )
        return EntitlementCheck(
            allowed=False, entitlement=matches[0], subscription=subscription, reason="expired"
        )


@dataclass(frozen=True)
class EntitlementCheck:
    """Result of ``entitlements.check``; ``reason`` says why access was denied."""

    allowed: bool
    entitlement: Entitlement | None = None
    subscription: EntitlementSubscription | None = None
    reason: str | None = None

    def __bool__(self) -> bool:
        return self.allowed


# -- parsers ----------------------------------------------------------------------------


def parse_checkout_session(data: Any) -> CheckoutSession:
    return parse(CheckoutSession, data, what="checkout session")


def parse_portal_session(data: Any) -> PortalSession:
    return parse(PortalSession, data, what="portal session")


def parse_product_summary(data: Any) -> ProductSummary | None:
    return parse(ProductSummary, data) if isinstance(data, dict) else None


def parse_payment_link(data: Any) -> PaymentLink:
    return parse(PaymentLink, data, what="payment link")


def parse_product(data: Any) -> Product:
    return parse(Product, data, what="product")


def parse_customer(data: Any) -> Customer:
    return parse(Customer, data, what="customer")


def parse_promotion_code(data: Any) -> PromotionCode:
    return parse(PromotionCode, unwrap(data), what="promotion code")


def parse_credit_balance(data: Any) -> CreditBalance:
    return parse(CreditBalance, unwrap(data))


def parse_credit_transaction(data: Any) -> CreditTransaction:
    return parse(CreditTransaction, unwrap(data), what="credit transaction")


def parse_subscription(data: Any) -> Subscription:
    return parse(Subscription, data, what="subscription")


def parse_entitlement(data: Any) -> Entitlement:
    return parse(Entitlement, data)


def parse_entitlement_subscription(data: Any) -> EntitlementSubscription | None:
    return parse(EntitlementSubscription, data) if isinstance(data, dict) else None


def parse_customer_entitlements(data: Any) -> CustomerEntitlements:
    if not isinstance(data, dict):
        raise APIError(
            "Recur returned entitlements that are not a JSON object.", code="invalid_response"
        )
    return parse(CustomerEntitlements, data)
