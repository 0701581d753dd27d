"""Promotion codes: written through the Recur API, mirrored locally.

The same rule as payment links (:mod:`recur_django.payment_links`): every write goes to
Recur first, outside any database transaction, and the local
:class:`~recur_django.models.PromotionCode` row is then upserted from Recur's answer, so
the database never holds a code Recur does not have. When that local write fails after
Recur accepted, :class:`PromotionCodeNotStored` says so (:func:`refresh_promotion_code` or
the next sync repairs it). :func:`sync_promotion_codes` mirrors every code Recur returns.

Recur documents the create fields; where it is silent this follows Stripe: an update
changes only ``active`` and ``metadata`` (a code's terms stay as customers saw them), and
deactivating is an update to ``active = false`` (a code is never deleted).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import DatabaseError
from django.utils import timezone

from recur_django import mirror
from recur_django.client.errors import NotFoundError, RecurError
from recur_django.client.promotion_codes import PROMOTION_CODE_UPDATE_FIELDS
from recur_django.client.types import PromotionCode as RemotePromotionCode
from recur_django.client_factory import get_client
from recur_django.exceptions import PromotionCodeNotStored
from recur_django.mirror import ProgressCallback, SyncResult
from recur_django.models import PromotionCode
from recur_django.transaction_state import warn_if_in_transaction

logger = logging.getLogger(__name__)

__all__ = [
    "UPDATABLE_FIELDS",
    "PromotionCodeNotStored",
    "RecurError",
    "SyncResult",
    "activate_promotion_code",
    "choices",
    "create_promotion_code",
    "deactivate_promotion_code",
    "fields_from_api",
    "refresh_promotion_code",
    "sync_promotion_codes",
    "update_promotion_code",
    "upsert_promotion_code",
]

#: Page size used by :func:`sync_promotion_codes` (the API maximum).
SYNC_PAGE_SIZE = 100

#: Fields Recur accepts on update, by their Python client keyword.
UPDATABLE_FIELDS: frozenset[str] = frozenset(PROMOTION_CODE_UPDATE_FIELDS)

_ELIGIBILITY = frozenset(PromotionCode.Eligibility.values)


def _client(client: Any) -> Any:
    warn_if_in_transaction("A promotion-code write or sync")
    return client if client is not None else get_client()


def fields_from_api(remote: RemotePromotionCode) -> dict[str, Any]:
    """Local model values for a promotion code object received from Recur."""
    eligibility = (remote.customer_eligibility or "ALL").upper()
    return {
        "code": (remote.code or "")[:20],
        "coupon_id": (remote.coupon_id or "")[:64],
        "coupon": dict(remote.coupon) if isinstance(remote.coupon, Mapping) else {},
        "active": True if remote.active is None else bool(remote.active),
        "valid_from": remote.valid_from,
        "valid_until": remote.valid_until,
        "max_redemptions": _count(remote.max_redemptions),
        "max_redemptions_per_customer": _count(remote.max_redemptions_per_customer),
        "minimum_amount": _count(remote.minimum_amount),
        "customer_eligibility": eligibility if eligibility in _ELIGIBILITY else "ALL",
        "restricted_to_customer_id": (remote.restricted_to_customer_id or "")[:64],
        "current_redemptions": _count(remote.current_redemptions) or 0,
        "metadata": dict(remote.metadata) if isinstance(remote.metadata, Mapping) else {},
        "created_at": remote.created_at,
        "updated_at": remote.updated_at,
    }


def _count(value: int | None) -> int | None:
    """A count the unsigned columns hold (a negative one from Recur is dropped)."""
    return value if value is not None and 0 <= value < 2**31 else None


def upsert_promotion_code(
    remote: RemotePromotionCode, *, synced_at: datetime | None = None
) -> PromotionCode:
    """Create or update the local row for ``remote`` (matched on ``recur_id``)."""
    values = fields_from_api(remote)
    values["synced_at"] = synced_at or timezone.now()
    values["missing_from_recur"] = False
    code, _created = PromotionCode.objects.update_or_create(recur_id=remote.id, defaults=values)
    return code


def _store(remote: RemotePromotionCode, action: str) -> PromotionCode:
    try:
        return upsert_promotion_code(remote)
    except DatabaseError as exc:
        logger.error(
            "Recur %s promotion code %s, but storing it failed: %s", action, remote.id, exc
        )
        raise PromotionCodeNotStored(remote.id, exc) from exc


def create_promotion_code(
    *,
    coupon_id: str,
    code: str,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    max_redemptions: int | None = None,
    max_redemptions_per_customer: int | None = None,
    minimum_amount: int | None = None,
    customer_eligibility: str | None = None,
    restricted_to_customer_id: str | None = None,
    active: bool | None = None,
    metadata: Mapping[str, Any] | None = None,
    client: Any = None,
) -> PromotionCode:
    """Create a code on Recur, then store Recur's answer locally.

    Raises :class:`~recur_django.client.errors.RecurError` (nothing is stored) when Recur
    refuses or cannot be reached — the client refuses a ``code`` that is not 3 to 20
    uppercase letters and digits before sending — and :class:`PromotionCodeNotStored`
    when Recur created the code but storing it failed.
    """
    remote = _client(client).promotion_codes.create(
        coupon_id=coupon_id,
        code=code,
        valid_from=valid_from,
        valid_until=valid_until,
        max_redemptions=max_redemptions,
        max_redemptions_per_customer=max_redemptions_per_customer,
        minimum_amount=minimum_amount,
        customer_eligibility=customer_eligibility or None,
        restricted_to_customer_id=restricted_to_customer_id or None,
        active=active,
        metadata=dict(metadata) if metadata else None,
    )
    logger.info("Created promotion code %s (%s) on Recur", remote.id, remote.code)
    return _store(remote, "created")


def update_promotion_code(
    promo: PromotionCode | str, *, client: Any = None, **changes: Any
) -> PromotionCode:
    """Send only ``changes`` (``active``, ``metadata``) to Recur, then store the answer.

    Empty metadata is sent as ``null``, which removes it. Nothing is sent when ``changes``
    is empty.
    """
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise TypeError(f"Promotion codes cannot update: {', '.join(sorted(unknown))}")
    recur_id = promo.recur_id if isinstance(promo, PromotionCode) else promo
    if not changes:
        if isinstance(promo, PromotionCode):
            return promo
        return PromotionCode.objects.get(recur_id=recur_id)
    payload = {key: (None if value in ("", {}) else value) for key, value in changes.items()}
    remote = _client(client).promotion_codes.update(recur_id, **payload)
    logger.info("Updated promotion code %s on Recur (%s)", recur_id, ", ".join(sorted(payload)))
    return _store(remote, "updated")


def activate_promotion_code(promo: PromotionCode, *, client: Any = None) -> PromotionCode:
    """Let customers redeem ``promo`` again."""
    return update_promotion_code(promo, client=client, active=True)


def deactivate_promotion_code(promo: PromotionCode, *, client: Any = None) -> PromotionCode:
    """Stop ``promo`` being redeemed on Recur and mirror it.

    A code Recur no longer knows (404) is marked inactive and missing locally, and the
    ``NotFoundError`` propagates.
    """
    try:
        return update_promotion_code(promo, client=client, active=False)
    except NotFoundError:
        logger.warning("Promotion code %s is unknown to Recur; marking it missing", promo.recur_id)
        promo.missing_from_recur = True
        promo.active = False
        promo.save(update_fields=["missing_from_recur", "active"])
        raise


def refresh_promotion_code(promo: PromotionCode | str, *, client: Any = None) -> PromotionCode:
    """Re-read one code (a row or its Recur id) from Recur and store it."""
    recur_id = promo.recur_id if isinstance(promo, PromotionCode) else promo
    return upsert_promotion_code(_client(client).promotion_codes.retrieve(recur_id))


def sync_promotion_codes(
    client: Any = None, *, progress: ProgressCallback | None = None
) -> SyncResult:
    """Mirror every promotion code Recur returns; mark local ones it no longer returns.

    Pages through ``GET /v1/promotion-codes`` (100 at a time) and stores each page with a
    fixed number of queries (:func:`recur_django.mirror.sync`). Only a complete pass marks
    codes ``missing_from_recur``; when Recur fails part-way the error propagates and what
    was stored stays.
    """
    api = _client(client)
    result = mirror.sync(
        PromotionCode,
        lambda cursor: api.promotion_codes.list(limit=SYNC_PAGE_SIZE, starting_after=cursor),
        fields_from_api,
        noun="codes",
        progress=progress,
    )
    logger.info("Synced promotion codes from Recur: %s", result)
    return result


def choices() -> list[tuple[str, str]]:
    """``(code, label)`` of the active local codes, for a payment link's promotion code."""
    rows = PromotionCode.objects.filter(active=True, missing_from_recur=False).order_by("code")
    return [(promo.code, f"{promo.code} — {promo.discount_display}") for promo in rows]
