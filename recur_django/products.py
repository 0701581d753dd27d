"""A cached view of Recur's product list, for expected prices and slug lookups.

The list comes from ``client.products.list()`` and is kept in Django's cache for
``RECUR["PRODUCT_CACHE_SECONDS"]``. When Recur cannot be reached the lookup answers
``None`` (the expected amount is then unknown and not checked) and nothing is cached.

Every product type is known: ``SUBSCRIPTION``, ``ONE_TIME``, ``CREDITS`` (``credits``: what
one purchase grants) and ``DONATION`` (the buyer chooses the amount, so none is expected).
``product.created`` / ``product.updated`` / ``product.deleted`` events drop the cached list
(:func:`forget`), so an edit in Recur's dashboard is seen at the next read, not after the
cache expires; a list fetched while such an event arrived is not cached.
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

CACHE_KEY = "recur_django:products:v3"
#: Bumped by every :func:`forget`, so a list fetched before a product event is not cached.
GENERATION_KEY = "recur_django:products:generation"


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
    #: What one purchase of a ``CREDITS`` product grants (None for other types).
    credits: int | None = None
    #: ``MONTHLY``, ``YEARLY``… for subscriptions (``""`` when Recur gives none).
    billing_period: str = ""
    description: str = ""

    @property
    def amount_is_chosen_by_buyer(self) -> bool:
        """A ``DONATION``: the buyer sets the amount on Recur's page."""
        return self.type == "DONATION"


def product_family(product: Any) -> str:
    """A product's family, read tolerantly: ``product_family``/``productFamily``, else
    ``metadata.productFamily``/``metadata.product_family``/``metadata.baseSlug``; ``""``.
    A :class:`ProductInfo` (what :func:`get_products` lists) carries it as ``family``.
    """
    if isinstance(product, ProductInfo):
        return product.family
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
    credits = getattr(product, "credits", None)
    return {
        "id": str(getattr(product, "id", "") or ""),
        "slug": str(getattr(product, "slug", "") or ""),
        "name": str(getattr(product, "name", "") or ""),
        "type": str(getattr(product, "type", "") or "").upper(),
        "amount": int(price) if isinstance(price, int | float) else None,
        "currency": str(getattr(product, "currency", "") or "TWD").upper(),
        "trial_days": int(getattr(product, "trial_days", 0) or 0),
        "family": product_family(product),
        "credits": credits if isinstance(credits, int) and credits >= 0 else None,
        "billing_period": str(getattr(product, "billing_period", "") or "").upper(),
        "description": str(getattr(product, "description", "") or ""),
    }


def list_products() -> list[dict[str, Any]]:
    """Every product as a small dict, cached; raises ``RecurError`` when Recur fails."""
    cached = cache.get(CACHE_KEY)
    if cached is not None:
        return list(cached)
    generation = cache.get(GENERATION_KEY)
    products = [_from_product(p) for p in get_client().products.list()]
    if cache.get(GENERATION_KEY) == generation:  # no product event while Recur answered
        cache.set(CACHE_KEY, products, int(recur_settings.PRODUCT_CACHE_SECONDS))
    return products


def get_products() -> list[ProductInfo]:
    """Every product, cached (a pricing page's list); raises ``RecurError`` when Recur fails."""
    return [ProductInfo(**item) for item in list_products()]


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


def forget() -> None:
    """A product changed on Recur: drop the cached list, and keep a list fetched meanwhile
    from being cached."""
    cache.set(GENERATION_KEY, (cache.get(GENERATION_KEY) or 0) + 1, None)
    cache.delete(CACHE_KEY)
