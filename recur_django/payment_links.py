"""Payment links: written through the Recur API, mirrored locally.

Every write goes to Recur first, outside any database transaction; the local
:class:`~recur_django.models.PaymentLink` row is then upserted from Recur's response, so
the database never holds a link Recur does not have. When that local write fails after
Recur accepted, :class:`PaymentLinkNotStored` says so (:func:`refresh_payment_link` or the
next sync repairs it). :func:`sync_payment_links` pages through every link Recur
returns and upserts them in batches.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from django.db import DatabaseError
from django.utils import timezone

from recur_django import mirror
from recur_django.client.errors import NotFoundError, RecurError
from recur_django.client.resources import LINK_UPDATE_FIELDS
from recur_django.client_factory import get_client
from recur_django.exceptions import PaymentLinkNotStored
from recur_django.mirror import ProgressCallback, SyncResult
from recur_django.models import PaymentLink
from recur_django.safe_urls import flag_unsafe_url, is_http_url
from recur_django.transaction_state import warn_if_in_transaction

logger = logging.getLogger(__name__)

#: Page size used by :func:`sync_payment_links` (the API maximum).
SYNC_PAGE_SIZE = 100

#: Local fields that mirror Recur's payment link object.
MIRRORED_FIELDS: tuple[str, ...] = (
    "url",
    "url_id",
    "active",
    "product_id",
    "product_name",
    "product_slug",
    "product_price",
    "product_currency",
    "product_type",
    "promotion_code",
    "collect_payment_method",
    "success_url",
    "max_completions",
    "metadata",
    "environment",
    "view_count",
    "session_count",
    "completed_count",
    "created_at",
)

#: Fields Recur accepts on update (PATCH), by their Python client keyword.
UPDATABLE_FIELDS: frozenset[str] = frozenset(LINK_UPDATE_FIELDS)


def _store(remote: RemotePaymentLink, action: str) -> PaymentLink:
    try:
        return upsert_payment_link(remote)
    except DatabaseError as exc:
        logger.error("Recur %s payment link %s, but storing it failed: %s", action, remote.id, exc)
        raise PaymentLinkNotStored(remote.id, exc) from exc


class RemotePaymentLink(Protocol):
    """The attributes read from the client's ``PaymentLink`` dataclass."""

    id: str
    url: str | None
    url_id: str | None
    active: bool | None
    product_id: str | None
    product: Any
    promotion_code: str | None
    collect_payment_method: str | None
    success_url: str | None
    max_completions: int | None
    metadata: Mapping[str, Any] | None
    environment: str | None
    view_count: int | None
    session_count: int | None
    completed_count: int | None
    created_at: datetime | None


def _client(client: Any) -> Any:
    warn_if_in_transaction("A payment-link write or sync")
    if client is not None:
        return client
    return get_client()


def fields_from_api(remote: RemotePaymentLink) -> dict[str, Any]:
    """Local model values for a payment link object received from Recur."""
    product = remote.product
    product_id = remote.product_id or (getattr(product, "id", None) if product else None)
    metadata = remote.metadata
    if remote.url and not is_http_url(remote.url):  # stored as sent; the admin shows text
        flag_unsafe_url(remote.url, f"payment link {remote.id}")
    return {
        "url": remote.url or "",
        "url_id": remote.url_id or "",
        "active": bool(remote.active) if remote.active is not None else True,
        "product_id": product_id or "",
        "product_name": (getattr(product, "name", None) or "") if product else "",
        "product_slug": (getattr(product, "slug", None) or "") if product else "",
        "product_price": getattr(product, "price", None) if product else None,
        "product_currency": ((getattr(product, "currency", None) or "TWD") if product else "TWD")
        .upper()
        .strip()[:3],
        "product_type": (getattr(product, "type", None) or "") if product else "",
        "promotion_code": remote.promotion_code or "",
        "collect_payment_method": remote.collect_payment_method
        or PaymentLink.CollectPaymentMethod.ALWAYS,
        "success_url": remote.success_url or "",
        "max_completions": remote.max_completions,
        "metadata": dict(metadata) if isinstance(metadata, Mapping) else {},
        "environment": remote.environment or "",
        "view_count": remote.view_count or 0,
        "session_count": remote.session_count or 0,
        "completed_count": remote.completed_count or 0,
        "created_at": remote.created_at,
    }


def upsert_payment_link(
    remote: RemotePaymentLink, *, synced_at: datetime | None = None
) -> PaymentLink:
    """Create or update the local row for ``remote`` (matched on ``recur_id``)."""
    values = fields_from_api(remote)
    values["synced_at"] = synced_at or timezone.now()
    values["missing_from_recur"] = False
    link, _created = PaymentLink.objects.update_or_create(recur_id=remote.id, defaults=values)
    return link


def create_payment_link(
    *,
    product_id: str | None = None,
    product_slug: str | None = None,
    promotion_code: str | None = None,
    collect_payment_method: str | None = None,
    success_url: str | None = None,
    max_completions: int | None = None,
    metadata: Mapping[str, Any] | None = None,
    client: Any = None,
) -> PaymentLink:
    """Create a link on Recur, then store Recur's response locally.

    Raises :class:`~recur_django.client.errors.RecurError` (nothing is stored) when
    Recur refuses or cannot be reached, and :class:`PaymentLinkNotStored` when Recur
    created the link but storing it failed.
    """
    remote = _client(client).payment_links.create(
        product_id=product_id or None,
        product_slug=product_slug or None,
        promotion_code=promotion_code or None,
        collect_payment_method=collect_payment_method or None,
        success_url=success_url or None,
        max_completions=max_completions,
        metadata=dict(metadata) if metadata else None,
    )
    logger.info("Created payment link %s on Recur", remote.id)
    return _store(remote, "created")


def update_payment_link(
    link: PaymentLink | str, *, client: Any = None, **changes: Any
) -> PaymentLink:
    """PATCH only ``changes`` on Recur, then store the response.

    ``None`` (or an empty string) clears a value on Recur. Allowed keys:
    ``active``, ``promotion_code``, ``collect_payment_method``, ``success_url``,
    ``max_completions``, ``metadata``.
    """
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise TypeError(f"Payment links cannot update: {', '.join(sorted(unknown))}")
    recur_id = link.recur_id if isinstance(link, PaymentLink) else link
    payload = {key: (None if value in ("", {}) else value) for key, value in changes.items()}
    if not payload:
        return link if isinstance(link, PaymentLink) else PaymentLink.objects.get(recur_id=link)
    remote = _client(client).payment_links.update(recur_id, **payload)
    logger.info("Updated payment link %s on Recur (%s)", recur_id, ", ".join(sorted(payload)))
    return _store(remote, "updated")


def activate_payment_link(link: PaymentLink, *, client: Any = None) -> PaymentLink:
    """Re-activate a deactivated link on Recur."""
    return update_payment_link(link, client=client, active=True)


def deactivate_payment_link(link: PaymentLink, *, client: Any = None) -> PaymentLink:
    """Deactivate ``link`` on Recur (its ``DELETE`` is a soft delete) and mirror it.

    A link Recur no longer knows (404) is marked inactive and missing locally.
    """
    try:
        _client(client).payment_links.delete(link.recur_id)
    except NotFoundError:
        logger.warning("Payment link %s is unknown to Recur; marking it missing", link.recur_id)
        link.missing_from_recur = True
        link.active = False
        link.save(update_fields=["missing_from_recur", "active"])
        raise
    link.active = False
    link.synced_at = timezone.now()
    try:
        link.save(update_fields=["active", "synced_at"])
    except DatabaseError as exc:
        logger.error(
            "Recur deactivated payment link %s, but storing it failed: %s", link.recur_id, exc
        )
        raise PaymentLinkNotStored(link.recur_id, exc) from exc
    logger.info("Deactivated payment link %s on Recur", link.recur_id)
    return link


def refresh_payment_link(link: PaymentLink | str, *, client: Any = None) -> PaymentLink:
    """Re-read one link (a row or its Recur id) from Recur and store it."""
    recur_id = link.recur_id if isinstance(link, PaymentLink) else link
    return upsert_payment_link(_client(client).payment_links.retrieve(recur_id))


def sync_payment_links(
    client: Any = None, *, progress: ProgressCallback | None = None
) -> SyncResult:
    """Mirror every payment link Recur returns; mark local ones it no longer returns.

    Pages through ``GET /v1/payment-links`` (``limit=100`` + ``starting_after``) and
    upserts each page with a fixed number of queries (:func:`recur_django.mirror.sync`),
    so database work grows with pages, not links. Only a complete pass marks links
    ``missing_from_recur``: when an API error stops the sync, the pages already stored
    stay stored and the error propagates.
    """
    api = _client(client)
    result = mirror.sync(
        PaymentLink,
        lambda cursor: api.payment_links.list(limit=SYNC_PAGE_SIZE, starting_after=cursor),
        fields_from_api,
        noun="links",
        progress=progress,
    )
    logger.info("Synced payment links from Recur: %s", result)
    return result


__all__ = [
    "MIRRORED_FIELDS",
    "UPDATABLE_FIELDS",
    "PaymentLinkNotStored",
    "RecurError",
    "SyncResult",
    "activate_payment_link",
    "create_payment_link",
    "deactivate_payment_link",
    "fields_from_api",
    "refresh_payment_link",
    "sync_payment_links",
    "update_payment_link",
    "upsert_payment_link",
]
