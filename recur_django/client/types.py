"""Frozen dataclasses for Recur objects, and the tolerant reader that builds them.

Recur's documentation disagrees with itself on key casing (``expires_at`` vs
``expiresAt``, ``customer_id`` vs ``customerId``…). The reader accepts either,
keeps the untouched dict on ``.raw`` (so unknown fields are never lost), turns
ISO-8601 strings and epoch numbers into aware datetimes, and maps a value of the
wrong type to None instead of failing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from recur_django.client.errors import APIError

logger = logging.getLogger("recur_django.client")
T = TypeVar("T")

_CAMEL_CACHE: dict[str, str] = {}
_INT_RE = re.compile(r"^-?\d+$")


def camel(name: str) -> str:
    """``expires_at`` -> ``expiresAt``."""
    cached = _CAMEL_CACHE.get(name)
    if cached is None:
        head, *rest = name.split("_")
        cached = head + "".join(part[:1].upper() + part[1:] for part in rest)
        _CAMEL_CACHE[name] = cached
    return cached


def parse_datetime(value: Any) -> datetime | None:
    """An aware datetime from ISO-8601 text or epoch seconds/milliseconds, else None."""
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, int | float):
            seconds = value / 1000 if abs(value) > 1e11 else value
            return datetime.fromtimestamp(seconds, tz=UTC)
        if isinstance(value, str) and value:
            text = value.strip()
            if _INT_RE.match(text):
                return parse_datetime(int(text))
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None


class Reader:
    """Typed, casing-tolerant access to one JSON object (a non-dict reads as empty)."""

    __slots__ = ("raw",)

    def __init__(self, raw: Any) -> None:
        self.raw: dict[str, Any] = raw if isinstance(raw, dict) else {}

    def get(self, *names: str) -> Any:
        """The first present value among ``names``, each tried as snake_case then camelCase."""
        raw = self.raw
        for name in names:
            if name in raw:
                value = raw[name]
                if value is not None:
                    return value
            alias = camel(name)
            if alias != name and alias in raw and raw[alias] is not None:
                return raw[alias]
        return None

    def text(self, *names: str) -> str | None:
        value = self.get(*names)
        if isinstance(value, str):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return None

    def integer(self, *names: str) -> int | None:
        value = self.get(*names)
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and _INT_RE.match(value.strip()):
            return int(value.strip())
        return None

    def boolean(self, *names: str) -> bool | None:
        value = self.get(*names)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        return None

    def dt(self, *names: str) -> datetime | None:
        return parse_datetime(self.get(*names))

    def obj(self, *names: str) -> dict[str, Any] | None:
        value = self.get(*names)
        return value if isinstance(value, dict) else None

    def array(self, *names: str) -> list[Any] | None:
        value = self.get(*names)
        return value if isinstance(value, list) else None


def _require_object(data: Any, what: str) -> Reader:
    """A Reader over ``data``; raises APIError when it is not an object with an id."""
    reader = Reader(data)
    if not isinstance(data, dict) or reader.text("id") is None:
        raise APIError(
            f"Recur returned a {what} without an id; the response could not be read.",
            code="invalid_response",
        )
    return reader


def _objects(items: Iterable[Any] | None) -> Iterator[dict[str, Any]]:
    for item in items or ():
        if isinstance(item, dict):
            yield item


# -- objects ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list endpoint."""

    data: list[T]
    has_more: bool
    next_cursor: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __iter__(self) -> Iterator[T]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class Deleted:
    id: str
    deleted: bool
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str | None
    status: str | None
    mode: str | None
    expires_at: datetime | None
    product_id: str | None
    customer_id: str | None
    customer_email: str | None
    amount: int | None
    currency: str | None
    metadata: dict[str, Any] | None
    order_id: str | None
    subscription_id: str | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    payment_intent_id: str | None = None  # PAYMENT and SUBSCRIPTION sessions
    setup_intent_id: str | None = None  # SETUP sessions


@dataclass(frozen=True)
class PortalSession:
    id: str
    url: str | None
    customer_id: str | None
    return_url: str | None
    status: str | None
    expires_at: datetime | None
    accessed_at: datetime | None
    created_at: datetime | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class ProductSummary:
    id: str | None
    name: str | None
    slug: str | None
    price: int | None
    currency: str | None
    type: str | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class PaymentLink:
    id: str
    url: str | None
    url_id: str | None
    active: bool | None
    product_id: str | None
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


@dataclass(frozen=True)
class Subscription:
    id: str
    status: str | None
    customer_id: str | None
    product_id: str | None
    product_slug: str | None
    product_name: str | None
    amount: int | None
    currency: str | None
    interval: str | None
    interval_count: int | None
    current_period_start: datetime | None
    current_period_end: datetime | None
    canceled_at: datetime | None
    cancel_at_period_end: bool | None
    trial_end: datetime | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Entitlement:
    """One product a customer may use. ``product`` is the product slug."""

    product: str | None
    product_id: str | None
    status: str | None
    subscription_id: str | None
    source: str | None
    source_id: str | None
    granted_at: datetime | None
    expires_at: datetime | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class EntitlementSubscription:
    """The customer's most recent active subscription, as the entitlements call reports it."""

    id: str | None
    status: str | None
    product_id: str | None
    product_slug: str | None
    product_name: str | None
    current_period_end: datetime | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class CustomerEntitlements:
    """The whole ``GET /v1/customers/entitlements`` answer."""

    customer_id: str | None
    customer_email: str | None
    customer_external_id: str | None
    subscription: EntitlementSubscription | None
    entitlements: list[Entitlement]
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


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
    r = _require_object(data, "checkout session")
    product = Reader(r.obj("product"))
    customer = Reader(r.obj("customer"))
    return CheckoutSession(
        id=r.text("id") or "",
        url=r.text("url"),
        status=r.text("status"),
        mode=r.text("mode"),
        expires_at=r.dt("expires_at"),
        product_id=r.text("product_id") or product.text("id"),
        customer_id=r.text("customer_id") or customer.text("id"),
        customer_email=r.text("customer_email") or customer.text("email"),
        amount=r.integer("amount"),
        currency=r.text("currency"),
        metadata=r.obj("metadata"),
        order_id=r.text("order_id"),
        subscription_id=r.text("subscription_id"),
        raw=r.raw,
        payment_intent_id=r.text("payment_intent_id"),
        setup_intent_id=r.text("setup_intent_id"),
    )


def parse_portal_session(data: Any) -> PortalSession:
    r = _require_object(data, "portal session")
    return PortalSession(
        id=r.text("id") or "",
        url=r.text("url"),
        customer_id=r.text("customer_id", "customer"),
        return_url=r.text("return_url"),
        status=r.text("status"),
        expires_at=r.dt("expires_at"),
        accessed_at=r.dt("accessed_at"),
        created_at=r.dt("created_at"),
        raw=r.raw,
    )


def parse_product_summary(data: Any) -> ProductSummary | None:
    if not isinstance(data, dict):
        return None
    r = Reader(data)
    return ProductSummary(
        id=r.text("id"),
        name=r.text("name"),
        slug=r.text("slug"),
        price=r.integer("price"),
        currency=r.text("currency"),
        type=r.text("type"),
        raw=r.raw,
    )


def parse_payment_link(data: Any) -> PaymentLink:
    r = _require_object(data, "payment link")
    product = parse_product_summary(r.get("product"))
    return PaymentLink(
        id=r.text("id") or "",
        url=r.text("url"),
        url_id=r.text("url_id"),
        active=r.boolean("active"),
        product_id=r.text("product_id") or (product.id if product else None),
        product=product,
        promotion_code=r.text("promotion_code"),
        collect_payment_method=r.text("collect_payment_method"),
        success_url=r.text("success_url"),
        max_completions=r.integer("max_completions"),
        metadata=r.obj("metadata"),
        environment=r.text("environment"),
        view_count=r.integer("view_count"),
        session_count=r.integer("session_count"),
        completed_count=r.integer("completed_count"),
        created_at=r.dt("created_at"),
        raw=r.raw,
    )


def parse_product(data: Any) -> Product:
    r = _require_object(data, "product")
    return Product(
        id=r.text("id") or "",
        name=r.text("name"),
        slug=r.text("slug"),
        description=r.text("description"),
        type=r.text("type"),
        billing_period=r.text("billing_period"),
        price=r.integer("price"),
        currency=r.text("currency"),
        trial_days=r.integer("trial_days"),
        metadata=r.obj("metadata"),
        raw=r.raw,
    )


def parse_customer(data: Any) -> Customer:
    r = _require_object(data, "customer")
    return Customer(
        id=r.text("id") or "",
        email=r.text("email"),
        name=r.text("name"),
        external_id=r.text("external_id"),
        email_verified=r.boolean("email_verified"),
        status=r.text("status"),
        livemode=r.boolean("livemode"),
        created_at=r.dt("created_at"),
        updated_at=r.dt("updated_at"),
        raw=r.raw,
    )


_PERIOD_TO_INTERVAL = {"weekly": "week", "monthly": "month", "yearly": "year", "daily": "day"}


def parse_subscription(data: Any) -> Subscription:
    r = _require_object(data, "subscription")
    product = Reader(r.obj("product"))
    customer = Reader(r.obj("customer"))
    interval = r.text("interval")
    if interval is None:
        period = r.text("billing_period")
        interval = _PERIOD_TO_INTERVAL.get(period.lower(), period) if period else None
    return Subscription(
        id=r.text("id") or "",
        status=r.text("status"),
        customer_id=r.text("customer_id") or customer.text("id"),
        product_id=r.text("product_id", "plan_id") or product.text("id"),
        product_slug=r.text("product_slug") or product.text("slug"),
        product_name=r.text("product_name") or product.text("name"),
        amount=r.integer("amount"),
        currency=r.text("currency"),
        interval=interval,
        interval_count=r.integer("interval_count"),
        current_period_start=r.dt("current_period_start"),
        current_period_end=r.dt("current_period_end"),
        canceled_at=r.dt("canceled_at", "cancelled_at"),
        cancel_at_period_end=r.boolean("cancel_at_period_end"),
        trial_end=r.dt("trial_end", "trial_ends_at"),
        raw=r.raw,
    )


def parse_entitlement(data: Any) -> Entitlement:
    r = Reader(data)
    product = r.get("product")
    slug = product if isinstance(product, str) else Reader(product).text("slug")
    product_id = r.text("product_id")
    if product_id is None and isinstance(product, dict):
        product_id = Reader(product).text("id")
    return Entitlement(
        product=slug,
        product_id=product_id,
        status=r.text("status"),
        subscription_id=r.text("subscription_id"),
        source=r.text("source"),
        source_id=r.text("source_id"),
        granted_at=r.dt("granted_at"),
        expires_at=r.dt("expires_at"),
        raw=r.raw,
    )


def parse_entitlement_subscription(data: Any) -> EntitlementSubscription | None:
    if not isinstance(data, dict):
        return None
    r = Reader(data)
    product = r.get("product")
    p = Reader(product)
    return EntitlementSubscription(
        id=r.text("id"),
        status=r.text("status"),
        product_id=r.text("product_id") or p.text("id"),
        product_slug=(product if isinstance(product, str) else p.text("slug"))
        or r.text("product_slug"),
        product_name=r.text("product_name") or p.text("name"),
        current_period_end=r.dt("current_period_end"),
        raw=r.raw,
    )


def parse_customer_entitlements(data: Any) -> CustomerEntitlements:
    if not isinstance(data, dict):
        raise APIError(
            "Recur returned entitlements that are not a JSON object.", code="invalid_response"
        )
    r = Reader(data)
    customer = Reader(r.obj("customer"))
    return CustomerEntitlements(
        customer_id=customer.text("id"),
        customer_email=customer.text("email"),
        customer_external_id=customer.text("external_id"),
        subscription=parse_entitlement_subscription(r.get("subscription")),
        entitlements=[parse_entitlement(item) for item in _objects(r.array("entitlements"))],
        raw=r.raw,
    )


def parse_deleted(data: Any, fallback_id: str) -> Deleted:
    r = Reader(data)
    deleted = r.boolean("deleted")
    return Deleted(
        id=r.text("id") or fallback_id,
        deleted=True if deleted is None else deleted,
        raw=r.raw,
    )


def parse_list(data: Any, item_parser: Any, *keys: str) -> Page[Any]:
    """A Page from any list envelope: the first of ``keys`` holding a list, or a bare list."""
    if isinstance(data, list):
        items: list[Any] | None = data
        r = Reader({})
    elif isinstance(data, dict):
        r = Reader(data)
        items = None
        for key in keys:
            value = data.get(key)
            if isinstance(value, list):
                items = value
                break
        if items is None:
            raise APIError(
                f"Recur returned a list without any of {', '.join(keys)}.",
                code="invalid_response",
            )
    else:
        raise APIError("Recur returned a list that is not a JSON object.", code="invalid_response")
    parsed = []
    for item in _objects(items):
        try:
            parsed.append(item_parser(item))
        except APIError:
            logger.warning("Skipped a list item without an id: %.200r", item)
    return Page(
        data=parsed,
        has_more=bool(r.boolean("has_more")),
        next_cursor=r.text("next_cursor"),
        raw=r.raw,
    )
