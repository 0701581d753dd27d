"""Applying Recur subscription data (webhooks, API listings) to the local mirror.

Recur documents no ordering guarantee for webhook deliveries, so the mirror is a
last-writer-wins map: every field remembers the version (event time, then event id as a
tie-break) of the event that last set it, and an event only sets the fields it carries
that no newer event has set. The result is the same whatever order the events arrive
in, and an event older than the last applied one never overrides anything newer.

The customer is the exception: once known it changes only through our own evidence — the
completion of a checkout session we created (:func:`claim_for_checkout`). An event or a
listing naming another customer for a subscription whose customer is known raises
:class:`~recur_django.exceptions.CustomerConflict` and applies nothing (the webhook stores
it failed with the reason; the sync skips the item and logs it).

Webhooks are processed from their payload alone. The only Recur call is
:func:`sync_from_recur` (``recur_sync_subscriptions``), which lists subscriptions outside
any database transaction. Reading the payloads is :mod:`recur_django.payloads.subscription`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from recur_django.client.errors import RecurError
from recur_django.client_factory import get_client
from recur_django.customers import upsert_customer
from recur_django.event_time import event_time
from recur_django.exceptions import CustomerConflict
from recur_django.models import Customer, Subscription
from recur_django.owners import owner_is_user_model
from recur_django.payloads.subscription import (
    ENDING_EVENTS,
    EVENT_STATUS,
    MAX_AMOUNT,
    MAX_RECUR_ID_LENGTH,
    CustomerInfo,
    SubscriptionData,
    normalize_status,
    parse_subscription_data,
    parse_timestamp,
)
from recur_django.signals import send_after_commit, subscription_changed
from recur_django.transaction_state import warn_if_in_transaction

if TYPE_CHECKING:
    from recur_django.client import types as client_types
    from recur_django.models import WebhookEvent

logger = logging.getLogger("recur_django.subscriptions")

Status = Subscription.Status

__all__ = [
    "ENDING_EVENTS",
    "EVENT_STATUS",
    "MAX_AMOUNT",
    "MAX_RECUR_ID_LENGTH",
    "SYNC_EVENT_ID",
    "TRACKED_FIELDS",
    "ApplyResult",
    "CustomerInfo",
    "SubscriptionData",
    "SyncInterrupted",
    "SyncResult",
    "apply_event",
    "apply_subscription_data",
    "claim_for_checkout",
    "normalize_status",
    "parse_subscription_data",
    "parse_timestamp",
    "sync_from_recur",
    "sync_subscription",
]

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
    "ended_at",
    "trial_end",
)

SYNC_EVENT_ID = "sync"


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
    return _apply(
        parse_subscription_data(data, event_type),
        data,
        occurred_at=occurred_at,
        event_id=event_id,
        event_type=event_type,
        event=event,
    )


def _apply(
    parsed: SubscriptionData,
    data: Mapping[str, Any],
    *,
    occurred_at: datetime,
    event_id: str,
    event_type: str,
    event: WebhookEvent | None,
) -> ApplyResult | None:
    if parsed.recur_id is None:
        return None
    version = _version(occurred_at, event_id)
    # Inside the webhook's transaction already: no extra savepoint on the hot path.
    block = transaction.atomic() if transaction.get_autocommit() else nullcontext()
    with block:
        subscription, created = _locked_rows().get_or_create(recur_id=parsed.recur_id)
        previous_status = None if created else subscription.status
        named = parsed.fields.get("customer")
        if named and subscription.customer is not None and subscription.customer.recur_id != named:
            raise CustomerConflict(
                f"Subscription {subscription.recur_id} belongs to customer "
                f"{subscription.customer.recur_id}; {event_type or 'the data'} names {named}. "
                "Nothing was applied."
            )
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
                if subscription.customer is None:  # first known: never moved by an event
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
                **subscription_parties(subscription),
                previous_status=previous_status,
                event=event,
            )
    return ApplyResult(subscription, created, changed, stale, previous_status)


def _locked_rows() -> Any:
    """Subscriptions locked FOR UPDATE (the row only), read with their customer and owner:
    the merge, the conflict check and the signal's parties need no query of their own."""
    rows = Subscription.objects.select_related("customer__owner")
    if connection.features.has_select_for_update_of:
        return rows.select_for_update(of=("self",))
    return rows.select_for_update()


def claim_for_checkout(subscription_id: str, customer: Customer) -> None:
    """Make ``customer`` the customer of subscription ``subscription_id``: our evidence.

    Called by fulfilment when a checkout session we created completes (inside its
    transaction); the only way a known subscription customer changes. A mirror row that
    does not exist yet is created for it. Whose subscription it is follows from the
    customer's owner link, which is made only through our evidence too (the same session:
    :func:`~recur_django.checkout.checks.map_customer`, or a signed external id:
    :func:`~recur_django.customers.upsert_customer`), never by an event naming a customer.
    """
    if not subscription_id or len(subscription_id) > MAX_RECUR_ID_LENGTH:
        return
    subscription, created = Subscription.objects.select_for_update().get_or_create(
        recur_id=subscription_id, defaults={"customer": customer}
    )
    if created or subscription.customer_id == customer.pk:
        return
    if subscription.customer_id is not None:
        logger.warning(
            "Subscription %s moves to customer %s: our checkout session completed for it.",
            subscription_id,
            customer.recur_id,
        )
    subscription.customer = customer
    subscription.save(update_fields=["customer", "updated_at"])


def subscription_parties(subscription: Subscription) -> dict[str, Any]:
    """The ``owner`` and ``user`` arguments of a subscription's signals: its customer's
    owner (``None`` while unlinked), and as ``user`` that owner when owners are users
    (nobody else acts on a subscription)."""
    customer = subscription.customer
    owner = customer.owner if customer is not None else None
    user = owner if owner is not None and owner_is_user_model() else None
    return {"owner": owner, "user": user}


def apply_event(event: WebhookEvent, data: Mapping[str, Any]) -> ApplyResult | None:
    """Apply a stored ``subscription.*`` or ``invoice.*`` webhook event to the mirror."""
    return apply_subscription_data(
        data,
        occurred_at=event_time(event, data),
        event_id=event.event_id,
        event_type=event.type,
        event=event,
    )


def sync_subscription(
    raw: Mapping[str, Any] | client_types.Subscription, *, at: datetime | None = None
) -> ApplyResult | None:
    """Apply a subscription listed by the API; it counts as an event at ``at`` (now).

    ``raw`` is the API item (a mapping) or the client's typed ``Subscription``. Webhook
    events that happened before the listing then fill only what it lacked.
    """
    if isinstance(raw, Mapping):
        parsed, data = parse_subscription_data(raw, "subscription.sync"), raw
    else:
        parsed, data = SubscriptionData.from_client(raw), raw.raw
    return _apply(
        parsed,
        data,
        occurred_at=at or timezone.now(),
        event_id=SYNC_EVENT_ID,
        event_type="subscription.sync",
        event=None,
    )


@dataclass
class SyncResult:
    """What :func:`sync_from_recur` did: counts of the subscriptions listed."""

    seen: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # items without a usable subscription id, or naming another customer


class SyncInterrupted(Exception):
    """Recur failed during :func:`sync_from_recur`; ``result`` counts what was synced
    before (it is kept) and ``__cause__`` is the client's ``RecurError``."""

    def __init__(self, result: SyncResult, error: Exception) -> None:
        super().__init__(str(error))
        self.result = result
        self.error = error


def sync_from_recur(
    *,
    customer_id: str | None = None,
    email: str | None = None,
    external_id: str | None = None,
    product: str | None = None,
    active: bool = False,
    page_size: int = 100,
    progress: Callable[[int], None] | None = None,
    progress_every: int = 100,
) -> SyncResult:
    """Refresh the mirror from Recur's subscription listing (every page).

    Filters are those of the API; ``product`` is a product id (``prod_…``) or a slug.
    Each item is applied as of the start of the sync (:func:`sync_subscription`), in its
    own database transaction, between page requests: no Recur call runs inside one.
    ``progress(seen)`` is called every ``progress_every`` subscriptions. Raises
    :class:`SyncInterrupted` when Recur fails part-way (what was synced is kept), and
    ``ImproperlyConfigured`` when the client is not configured.
    """
    if not 1 <= page_size <= 100:
        raise ValueError("page_size must be between 1 and 100.")
    filters: dict[str, Any] = {
        "customer_id": customer_id,
        "email": email,
        "external_id": external_id,
        "active": True if active else None,
    }
    if product:
        filters["product_id" if product.startswith("prod_") else "product_slug"] = product
    filters = {key: value for key, value in filters.items() if value is not None}
    warn_if_in_transaction("sync_from_recur")
    client = get_client()
    started = timezone.now()
    result = SyncResult()
    try:
        items: Iterable[client_types.Subscription] = client.subscriptions.iter(
            limit=page_size, **filters
        )
        for item in items:
            result.seen += 1
            try:
                applied = sync_subscription(item, at=started)
            except CustomerConflict as exc:
                logger.warning("Subscription sync skipped an item: %s", exc)
                applied = None
            if applied is None:
                result.skipped += 1
            elif applied.created:
                result.created += 1
            elif applied.changed:
                result.updated += 1
            else:
                result.unchanged += 1
            if progress is not None and result.seen % progress_every == 0:
                progress(result.seen)
    except RecurError as exc:
        raise SyncInterrupted(result, exc) from exc
    return result
