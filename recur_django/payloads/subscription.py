"""Reading what Recur says about a subscription: webhook data, API items, typed objects.

:func:`parse_subscription_data` reads ``subscription.*`` and ``invoice.*`` webhook data
(or an API item) in either key casing; :meth:`SubscriptionData.from_client` reads the
client's typed :class:`~recur_django.client.types.Subscription`. Both keep only the fields
the payload carries (an explicit ``null`` clears a value, an absent key leaves it), so
:mod:`recur_django.subscriptions` can merge them into the mirror last-writer-wins.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from recur_django.client.casing import Reader, parse_datetime
from recur_django.models.subscription import Subscription
from recur_django.payloads.amounts import MAX_AMOUNT

if TYPE_CHECKING:
    from recur_django.client import types as client_types

logger = logging.getLogger("recur_django.subscriptions")

#: Recur ids longer than the ``recur_id`` columns are refused, never truncated.
MAX_RECUR_ID_LENGTH = 64


Status = Subscription.Status

_STATUS_ALIASES: dict[str, str] = {
    "PENDING": Status.PENDING,
    "INCOMPLETE": Status.PENDING,
    "TRIAL": Status.TRIALING,
    "TRIALING": Status.TRIALING,
    "ACTIVE": Status.ACTIVE,
    "PAST_DUE": Status.PAST_DUE,
    "PASTDUE": Status.PAST_DUE,
    "UNPAID": Status.PAST_DUE,
    "CANCELED": Status.CANCELED,
    "CANCELLED": Status.CANCELED,
    "EXPIRED": Status.EXPIRED,
    "ENDED": Status.EXPIRED,
    "REVOKED": Status.EXPIRED,
    "PAUSED": Status.PAUSED,
}

# The status an event implies when its payload carries none.
EVENT_STATUS: dict[str, str] = {
    "subscription.created": Status.PENDING,
    "subscription.activated": Status.ACTIVE,
    "subscription.renewed": Status.ACTIVE,
    "subscription.resumed": Status.ACTIVE,
    "subscription.cancelled": Status.CANCELED,
    "subscription.canceled": Status.CANCELED,
    "subscription.expired": Status.EXPIRED,
    "subscription.revoked": Status.EXPIRED,
    "subscription.past_due": Status.PAST_DUE,
    "subscription.payment_failed": Status.PAST_DUE,
    "subscription.paused": Status.PAUSED,
    "invoice.paid": Status.ACTIVE,
    "invoice.payment_failed": Status.PAST_DUE,
}

# Events after which a subscription grants nothing, whatever their payload's status says.
ENDING_EVENTS = frozenset({"subscription.expired", "subscription.revoked"})

# Timestamp fields and the names (snake_case; camelCase is also read) they come under.
_TIMESTAMPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("current_period_start", ("current_period_start",)),
    ("current_period_end", ("current_period_end",)),
    ("canceled_at", ("canceled_at", "cancelled_at")),
    ("ended_at", ("ended_at",)),
    ("trial_end", ("trial_end", "trial_ends_at")),
)
_PRODUCT_LIMITS = {"product_id": 128, "product_slug": 128, "product_name": 255}


def normalize_status(value: Any) -> str | None:
    """Map any spelling Recur uses (``trial``, ``CANCELLED``, ``past-due``…) to a Status."""
    if not isinstance(value, str) or not value.strip():
        return None
    key = value.strip().upper().replace("-", "_").replace(" ", "_")
    return _STATUS_ALIASES.get(key)


def parse_timestamp(value: Any) -> datetime | None:
    """An aware datetime from ISO 8601 text or Unix seconds/milliseconds; ``None`` if unusable."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return parse_datetime(value)


def _text(value: Any) -> str | None:
    if value is None:
        return ""
    if isinstance(value, str | int) and not isinstance(value, bool):
        return str(value)
    return None


def _recur_id(value: Any) -> str | None:
    recur_id = value if isinstance(value, str) and value.strip() else None
    if recur_id is not None and len(recur_id) > MAX_RECUR_ID_LENGTH:
        # Truncating could merge two subscriptions; an id this long is not Recur's.
        logger.warning("Ignoring a subscription id of %d characters.", len(recur_id))
        return None
    return recur_id


def _amount(value: Any) -> tuple[bool, int | None]:
    """``(usable, amount)``: ``None`` (clear) or a whole amount the column holds."""
    try:
        amount = None if value is None else max(int(value), 0)
    except (TypeError, ValueError, OverflowError):
        amount = -1
    if amount is not None and not 0 <= amount <= MAX_AMOUNT:
        logger.warning("Unusable subscription amount %.40r ignored.", value)
        return False, None
    return True, amount


@dataclass
class CustomerInfo:
    recur_id: str
    email: str = ""
    external_id: str = ""
    name: str = ""


def _customer_info(data: Reader, recur_id: Any = None) -> CustomerInfo | None:
    found, customer = data.find("customer")
    nested = Reader(customer)
    if not recur_id:
        recur_id = data.get("customer_id")
    if not recur_id:
        recur_id = nested.get("id") or (customer if found and isinstance(customer, str) else None)
    if not recur_id or not isinstance(recur_id, str) or len(recur_id) > MAX_RECUR_ID_LENGTH:
        return None
    email = data.get("customer_email") or nested.get("email")
    external_id = data.get("external_customer_id", "customer_external_id") or nested.get(
        "external_id"
    )
    name = data.get("customer_name") or nested.get("name")
    return CustomerInfo(
        recur_id=recur_id,
        email=str(email or "")[:254],
        external_id=str(external_id or "")[:128],
        name=str(name or "")[:255],
    )


@dataclass
class SubscriptionData:
    """What one payload says about one subscription: only the fields it carries."""

    recur_id: str | None
    fields: dict[str, Any] = field(default_factory=dict)
    customer: CustomerInfo | None = None

    @classmethod
    def from_client(cls, sub: client_types.Subscription) -> SubscriptionData:
        """From the client's typed ``Subscription`` (an API listing item).

        Its typed attributes win. Its ``raw`` object supplies what the type does not carry
        (the customer's email, name and external id, ``access_until``,
        ``next_billing_date``) and explicit nulls (a cleared cancellation date).
        """
        raw = Reader(getattr(sub, "raw", None))
        parsed = parse_subscription_data(raw.raw)
        fields = parsed.fields
        recur_id = _recur_id(getattr(sub, "id", None)) or parsed.recur_id
        for name, limit in _PRODUCT_LIMITS.items():
            value = getattr(sub, name, None)
            if isinstance(value, str):
                fields[name] = value[:limit]
        if status := normalize_status(getattr(sub, "status", None)):
            fields["status"] = status
        if isinstance(amount := getattr(sub, "amount", None), int):
            usable, value = _amount(amount)
            if usable:
                fields["amount"] = value
        if isinstance(currency := getattr(sub, "currency", None), str) and currency:
            fields["currency"] = currency.upper()[:3]
        for name, _names in _TIMESTAMPS:
            if isinstance(at := getattr(sub, name, None), datetime):
                fields[name] = parse_timestamp(at)
        # A cancellation with access until a date stays a cancel-at-period-end.
        cancel_at_period_end = getattr(sub, "cancel_at_period_end", None)
        if isinstance(cancel_at_period_end, bool) and raw.dt("access_until") is None:
            fields["cancel_at_period_end"] = cancel_at_period_end
        customer = parsed.customer
        customer_id = getattr(sub, "customer_id", None)
        if customer_id and (customer is None or customer.recur_id != customer_id):
            customer = _customer_info(raw, recur_id=customer_id)
        if customer is not None:
            fields["customer"] = customer.recur_id
        return cls(recur_id=recur_id, fields=fields, customer=customer)


def parse_subscription_data(data: Mapping[str, Any], event_type: str = "") -> SubscriptionData:
    """Read a subscription (``subscription.*`` data or an API item) or an invoice payload.

    Keys are read in snake_case or camelCase. Values that cannot be understood are
    dropped (and logged) rather than stored.
    """
    reader = Reader(data)
    is_invoice = event_type.startswith("invoice.")
    fields: dict[str, Any] = {}

    if is_invoice:
        _, sub_ref = reader.find("subscription_id", "subscription")
        if isinstance(sub_ref, Mapping):
            sub_ref = sub_ref.get("id")
    else:
        _, sub_ref = reader.find("id", "subscription_id")
    recur_id = _recur_id(sub_ref)

    found, product = reader.find("product")
    nested = product if isinstance(product, Mapping) else {}
    product_keys: tuple[tuple[str, tuple[str, ...], str], ...] = (
        ("product_id", ("product_id", "plan_id"), "id"),
        ("product_slug", ("product_slug",), "slug"),
        ("product_name", ("product_name",), "name"),
    )
    for name, keys, nested_key in product_keys:
        present, value = reader.find(*keys)
        if not present and nested_key in nested:
            present, value = True, nested[nested_key]
        if not present and name == "product_slug" and found and isinstance(product, str):
            present, value = True, product  # Recur's entitlements use "product" for the slug
        text = _text(value) if present else None
        if text is not None:
            fields[name] = text[: _PRODUCT_LIMITS[name]]

    if not is_invoice:
        present, value = reader.find("status")
        status = normalize_status(value) if present else None
        if status:
            fields["status"] = status
        elif present:
            logger.warning("Unknown subscription status %.40r; status left unchanged.", value)

        present, value = reader.find("amount")
        if present:
            usable, amount = _amount(value)
            if usable:
                fields["amount"] = amount
        present, value = reader.find("currency")
        if present and isinstance(value, str) and value:
            fields["currency"] = value.upper()[:3]

        for name, keys in _TIMESTAMPS:
            present, value = reader.find(*keys)
            if not present:
                continue
            parsed = parse_timestamp(value)
            if parsed is not None or value is None:
                fields[name] = parsed
            else:
                logger.warning("Unusable %s %.40r ignored.", name, value)

        next_billing = parse_timestamp(reader.get("next_billing_date"))
        if "current_period_end" not in fields and next_billing is not None:
            fields["current_period_end"] = next_billing

        present, value = reader.find("cancel_at_period_end")
        if present and isinstance(value, bool):
            fields["cancel_at_period_end"] = value
        # A cancellation with access until a date: until the period end, a
        # cancel-at-period-end; before it, access ended then (canceled at once).
        if (until := parse_timestamp(reader.find("access_until")[1])) is not None:
            period_end = fields.get("current_period_end")
            if period_end is not None and until < period_end:
                fields.setdefault("ended_at", until)
            else:
                fields["cancel_at_period_end"] = True
                fields.setdefault("current_period_end", until)

    if event_type == "invoice.paid":
        # A paid renewal invoice covers the subscription's new period.
        for name, key in (
            ("current_period_start", "period_start"),
            ("current_period_end", "period_end"),
        ):
            if (parsed := parse_timestamp(reader.find(key)[1])) is not None:
                fields[name] = parsed

    if event_type in ENDING_EVENTS:
        # The subscription has ended: it grants nothing, whatever status (CANCELED with a
        # future period end, say) its payload still shows.
        fields["status"] = Status.EXPIRED
    if "status" not in fields and event_type in EVENT_STATUS:
        fields["status"] = EVENT_STATUS[event_type]

    customer = _customer_info(reader)
    if customer is not None:
        fields["customer"] = customer.recur_id
    return SubscriptionData(recur_id=recur_id, fields=fields, customer=customer)
