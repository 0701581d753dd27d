"""A cached view of Recur's product list, for expected prices and slug lookups.

The list comes from ``client.products.list()`` and is kept in Django's cache for
``RECUR["PRODUCT_CACHE_SECONDS"]``. When Recur cannot be reached the lookup answers
``None`` (the expected amount is then unknown and not checked) and nothing is cached.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache

from recur_django.client.errors import RecurError
from recur_django.client_factory import get_client
from recur_django.conf import recur_settings

logger = logging.getLogger("recur_django.products")

CACHE_KEY = "recur_django:products:v2"


@dataclass(frozen=True)
class ProductInfo:
    """What checkout needs to know about one product."""

    id: str
    slug: str
    name: str
    type: str
    amount: int | None
    currency: str
    trial_days: int = 0
    #: The plan family (``productFamily`` / ``baseSlug``): one plan per family per user.
    family: str = ""


def product_family(product: Any) -> str:
    """A product's family, read tolerantly: ``product_family``/``productFamily``, else
    ``metadata.productFamily``/``metadata.product_family``/``metadata.baseSlug``; ``""``.
    """
    raw = getattr(product, "raw", None) or {}
    metadata = getattr(product, "metadata", None) or raw.get("metadata") or {}
    candidates = [
        getattr(product, "product_family", None),
        raw.get("product_family"),
        raw.get("productFamily"),
    ]
    if isinstance(metadata, dict):
        candidates += [
            metadata.get(key)
            for key in ("productFamily", "product_family", "baseSlug", "base_slug")
        ]
    for value in candidates:
        if isinstance(value, str) and value.strip() and len(value) <= 128:
            return value.strip()
    return ""


def _from_product(product: Any) -> dict[str, Any]:
    price = getattr(product, "price", None)
    return {
        "id": str(getattr(product, "id", "") or ""),
        "slug": str(getattr(product, "slug", "") or ""),
        "name": str(getattr(product, "name", "") or ""),
        "type": str(getattr(product, "type", "") or "").upper(),
        "amount": int(price) if isinstance(price, int | float) else None,
        "currency": str(getattr(product, "currency", "") or "TWD").upper(),
        "trial_days": int(getattr(product, "trial_days", 0) or 0),
        "family": product_family(product),
    }


def list_products() -> list[dict[str, Any]]:
    """Every product as a small dict, cached; raises ``RecurError`` when Recur fails."""
    cached = cache.get(CACHE_KEY)
    if cached is not None:
        return list(cached)
    products = [_from_product(p) for p in get_client().products.list()]
    cache.set(CACHE_KEY, products, int(recur_settings.PRODUCT_CACHE_SECONDS))
    return products


def _load() -> list[dict[str, Any]] | None:
    try:
        return list_products()
    except RecurError as exc:
        logger.warning("Could not list Recur products (%s); prices unknown.", type(exc).__name__)
        return None


def get_product(id_or_slug: str) -> ProductInfo | None:
    """The product whose id or slug is ``id_or_slug``, or ``None`` when unknown."""
    products = _load()
    if not products or not id_or_slug:
        return None
    for item in products:
        if id_or_slug in (item["id"], item["slug"]):
            return ProductInfo(**item)
    return None


def clear_cache() -> None:
    """Forget the cached product list."""
    cache.delete(CACHE_KEY)
