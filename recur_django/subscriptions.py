"""Applying Recur subscription data (webhooks, API listings) to the local mirror.

Recur documents no ordering guarantee for webhook deliveries, so the mirror is a
last-writer-wins map: every field remembers the version (event time, then event id as a
tie-break) of the event that last set it, and an event only sets the fields it carries
that no newer event has set. The result is the same whatever order the events arrive
in, and an event older than the last applied one never overrides anything newer.

No outbound API call happens here: webhooks are processed from their payload alone.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from recur_django.client.types import parse_datetime
from recur_django.customers import upsert_customer
from recur_django.models import Customer, Subscription
from recur_django.signals import send_after_commit, subscription_changed

if TYPE_CHECKING:
    from recur_django.models import WebhookEvent

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

# Fields kept last-writer-wins, in the order they are applied.
TRACKED_FIELDS: tuple[str, ...] = (
    "customer",
    "product_id",
    "product_slug",
    "product_name",
    "status",
    "amount",
    "currency",
    "current_period_start",
    "current_period_end",
    "cancel_at_period_end",
    "canceled_at",
    "trial_end",
)

SYNC_EVENT_ID = "sync"

# The largest amount the ``amount`` column (a signed 64-bit integer) holds.
MAX_AMOUNT = 2**63 - 1


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


def _pick(data: Mapping[str, Any], *keys: str) -> tuple[bool, Any]:
    """The first of ``keys`` present in ``data`` (snake or camel), as (found, value)."""
    for key in keys:
        if key in data:
            return True, data[key]
    return False, None


def _text(value: Any) -> str | None:
    if value is None:
        return ""
    if isinstance(value, str | int) and not isinstance(value, bool):
        return str(value)
    return None


@dataclass
class CustomerInfo:
    recur_id: str
    email: str = ""
    external_id: str = ""
    name: str = ""


@dataclass
class SubscriptionData:
    """What one payload says about one subscription: only the fields it carries."""

    recur_id: str | None
    fields: dict[str, Any] = field(default_factory=dict)
    customer: CustomerInfo | None = None


def _customer_info(data: Mapping[str, Any]) -> CustomerInfo | None:
    found, customer = _pick(data, "customer")
    nested: Mapping[str, Any] = customer if isinstance(customer, Mapping) else {}
    _, recur_id = _pick(data, "customer_id", "customerId")
    if not recur_id:
        recur_id = nested.get("id") or (customer if found and isinstance(customer, str) else None)
    if not recur_id or not isinstance(recur_id, str) or len(recur_id) > MAX_RECUR_ID_LENGTH:
        return None
    _, email = _pick(data, "customer_email", "customerEmail")
    _, external_id = _pick(
        data, "external_customer_id", "externalCustomerId", "customer_external_id"
    )
    _, name = _pick(data, "customer_name", "customerName")
    return CustomerInfo(
        recur_id=recur_id,
        email=str(email or nested.get("email") or "")[:254],
        external_id=str(external_id or nested.get("external_id") or nested.get("externalId") or "")[
            :128
        ],
        name=str(name or nested.get("name") or "")[:255],
    )


def parse_subscription_data(data: Mapping[str, Any], event_type: str = "") -> SubscriptionData:
    """Read a subscription (``subscription.*`` data or an API item) or an invoice payload.

    Keys are read in snake_case or camelCase. Values that cannot be understood are
    dropped (and logged) rather than stored.
    """
    is_invoice = event_type.startswith("invoice.")
    fields: dict[str, Any] = {}

    if is_invoice:
        _, sub_ref = _pick(data, "subscription_id", "subscriptionId", "subscription")
        if isinstance(sub_ref, Mapping):
            sub_ref = sub_ref.get("id")
    else:
        _, sub_ref = _pick(data, "id", "subscription_id", "subscriptionId")
    recur_id = sub_ref if isinstance(sub_ref, str) and sub_ref.strip() else None
    if recur_id is not None and len(recur_id) > MAX_RECUR_ID_LENGTH:
        # Truncating could merge two subscriptions; an id this long is not Recur's.
        logger.warning("Ignoring a subscription id of %d characters.", len(recur_id))
        recur_id = None

    found, product = _pick(data, "product")
    nested = product if isinstance(product, Mapping) else {}
    for name, keys, nested_key in (
        ("product_id", ("product_id", "productId", "plan_id", "planId"), "id"),
        ("product_slug", ("product_slug", "productSlug"), "slug"),
        ("product_name", ("product_name", "productName"), "name"),
    ):
        present, value = _pick(data, *keys)
        if not present and nested_key in nested:
            present, value = True, nested[nested_key]
        if not present and name == "product_slug" and found and isinstance(product, str):
            present, value = True, product  # Recur's entitlements use "product" for the slug
        text = _text(value) if present else None
        if text is not None:
            fields[name] = text[: 255 if name == "product_name" else 128]

    if not is_invoice:
        present, value = _pick(data, "status")
        status = normalize_status(value) if present else None
        if status:
            fields["status"] = status
        elif present:
            logger.warning("Unknown subscription status %.40r; status left unchanged.", value)

        present, value = _pick(data, "amount")
        if present:
            try:
                amount = None if value is None else max(int(value), 0)
            except (TypeError, ValueError, OverflowError):
                amount = -1
            if amount is not None and not 0 <= amount <= MAX_AMOUNT:
                logger.warning("Unusable subscription amount %.40r ignored.", value)
            else:
                fields["amount"] = amount
        present, value = _pick(data, "currency")
        if present and isinstance(value, str) and value:
            fields["currency"] = value.upper()[:3]

        for name, keys in (
            ("current_period_start", ("current_period_start", "currentPeriodStart")),
            ("current_period_end", ("current_period_end", "currentPeriodEnd")),
            ("canceled_at", ("canceled_at", "cancelled_at", "canceledAt", "cancelledAt")),
            ("trial_end", ("trial_end", "trialEnd", "trial_ends_at", "trialEndsAt")),
        ):
            present, value = _pick(data, *keys)
            if not present:
                continue
            parsed = parse_timestamp(value)
            if parsed is not None or value is None:
                fields[name] = parsed
            else:
                logger.warning("Unusable %s %.40r ignored.", name, value)

        if "current_period_end" not in fields:
            _, value = _pick(data, "next_billing_date", "nextBillingDate")
            if (parsed := parse_timestamp(value)) is not None:
                fields["current_period_end"] = parsed

        present, value = _pick(data, "cancel_at_period_end", "cancelAtPeriodEnd")
        if present and isinstance(value, bool):
            fields["cancel_at_period_end"] = value
        # A cancellation with access until a date is a cancel-at-period-end.
        _, access_until = _pick(data, "access_until", "accessUntil")
        if (until := parse_timestamp(access_until)) is not None:
            fields["cancel_at_period_end"] = True
            fields.setdefault("current_period_end", until)

    if event_type == "invoice.paid":
        # A paid renewal invoice covers the subscription's new period.
        for name, keys in (
            ("current_period_start", ("period_start", "periodStart")),
            ("current_period_end", ("period_end", "periodEnd")),
        ):
            _, value = _pick(data, *keys)
            if (parsed := parse_timestamp(value)) is not None:
                fields[name] = parsed

    if event_type in ENDING_EVENTS:
        # The subscription has ended: it grants nothing, whatever status (CANCELED with a
        # future period end, say) its payload still shows.
        fields["status"] = Status.EXPIRED
    if "status" not in fields and event_type in EVENT_STATUS:
        fields["status"] = EVENT_STATUS[event_type]

    customer = _customer_info(data)
    if customer is not None:
        fields["customer"] = customer.recur_id
    return SubscriptionData(recur_id=recur_id, fields=fields, customer=customer)


def _json_safe(data: Mapping[str, Any]) -> dict[str, Any]:
    value = json.loads(json.dumps(dict(data), cls=DjangoJSONEncoder))
    return value if isinstance(value, dict) else {}


def _version(at: datetime, event_id: str) -> str:
    """A sortable version string: zero-padded epoch microseconds, then the event id."""
    micros = (at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    return f"{max(micros, 0):020d}|{event_id}"


def _resolve_customer(info: CustomerInfo | None, recur_id: str) -> Customer:
    if info is None or info.recur_id != recur_id:
        info = CustomerInfo(recur_id=recur_id)
    return upsert_customer(
        info.recur_id, email=info.email, external_id=info.external_id, name=info.name
    )


@dataclass
class ApplyResult:
    subscription: Subscription
    created: bool
    changed: list[str]
    stale: bool
    previous_status: str | None


def apply_subscription_data(
    data: Mapping[str, Any],
    *,
    occurred_at: datetime,
    event_id: str = "",
    event_type: str = "",
    event: WebhookEvent | None = None,
) -> ApplyResult | None:
    """Merge one payload into the mirror; ``None`` when it names no subscription.

    Runs in the caller's transaction (it opens one if there is none) and locks the row.
    ``subscription_changed`` is sent after commit when a tracked field changed.
    """
    parsed = parse_subscription_data(data, event_type)
    if parsed.recur_id is None:
        return None
    version = _version(occurred_at, event_id)
    # Inside the webhook's transaction already: no extra savepoint on the hot path.
    block = transaction.atomic() if transaction.get_autocommit() else nullcontext()
    with block:
        subscription, created = Subscription.objects.select_for_update().get_or_create(
            recur_id=parsed.recur_id
        )
        previous_status = None if created else subscription.status
        last_version = (
            _version(subscription.last_event_at, subscription.last_event_id)
            if subscription.last_event_at is not None
            else ""
        )
        stale = version < last_version
        versions = dict(subscription.field_versions or {})
        changed: list[str] = []
        for name in TRACKED_FIELDS:
            if name not in parsed.fields or versions.get(name, "") >= version:
                continue
            versions[name] = version
            value = parsed.fields[name]
            if name == "customer":
                if subscription.customer is None or subscription.customer.recur_id != value:
                    subscription.customer = _resolve_customer(parsed.customer, value)
                    changed.append("customer")
                continue
            if getattr(subscription, name) != value:
                setattr(subscription, name, value)
                changed.append(name)
        update = {"field_versions"} if versions != subscription.field_versions else set()
        subscription.field_versions = versions
        if version > last_version:
            subscription.last_event_at = occurred_at
            subscription.last_event_id = event_id[:128]
            if event_type.startswith("subscription.") or not subscription.raw:
                subscription.raw = _json_safe(data)
            update |= {"last_event_at", "last_event_id", "raw"}
        if created or changed or update:
            subscription.save()
        if stale:
            logger.info(
                "Event %s for %s is older than the last applied one; it filled %s.",
                event_id or "(sync)",
                subscription.recur_id,
                ", ".join(changed) or "nothing",
            )
        if created or changed:
            send_after_commit(
                subscription_changed,
                sender=Subscription,
                subscription=subscription,
                previous_status=previous_status,
                event=event,
            )
    return ApplyResult(subscription, created, changed, stale, previous_status)


def event_time(event: WebhookEvent, data: Mapping[str, Any]) -> datetime:
    """When an event happened: envelope ``timestamp``, else the ``X-Recur-Timestamp`` header,
    else the payload's ``updated_at``, else when we received it."""
    payload = event.payload if isinstance(event.payload, Mapping) else {}
    candidates: list[Any] = [payload.get("timestamp"), payload.get("created_at")]
    headers = event.headers if isinstance(event.headers, Mapping) else {}
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() in ("x-recur-timestamp", "http_x_recur_timestamp"):
            candidates.append(value)
    candidates += [data.get("updated_at"), data.get("updatedAt")]
    for candidate in candidates:
        if (parsed := parse_timestamp(candidate)) is not None:
            return parsed
    return event.received_at or timezone.now()


def apply_event(event: WebhookEvent, data: Mapping[str, Any]) -> ApplyResult | None:
    """Apply a stored ``subscription.*`` or ``invoice.*`` webhook event to the mirror."""
    return apply_subscription_data(
        data,
        occurred_at=event_time(event, data),
        event_id=event.event_id,
        event_type=event.type,
        event=event,
    )


def sync_subscription(raw: Mapping[str, Any], *, at: datetime | None = None) -> ApplyResult | None:
    """Apply a subscription listed by the API; it counts as an event at ``at`` (now).

    Webhook events that happened before the listing then fill only what it lacked.
    """
    return apply_subscription_data(
        raw,
        occurred_at=at or timezone.now(),
        event_id=SYNC_EVENT_ID,
        event_type="subscription.sync",
    )
