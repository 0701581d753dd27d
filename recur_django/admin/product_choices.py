"""Recur's live product list for admin pickers, cached briefly in Django's cache."""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from recur_django.client.errors import RecurError
from recur_django.models.payment_link import format_price

logger = logging.getLogger(__name__)

CACHE_KEY = "recur_django:admin:products:v1"
#: Seconds the product list is reused; short, so new products show up quickly.
CACHE_SECONDS = 60


class ProductsUnavailable(Exception):
    """Recur's product list could not be loaded; ``message`` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _summary(product: Any) -> dict[str, Any]:
    return {
        "id": product.id,
        "name": product.name or product.slug or product.id,
        "slug": product.slug or "",
        "type": product.type or "",
        "price": product.price,
        "currency": (product.currency or "TWD").upper(),
    }


def load_products(client: Any = None, *, use_cache: bool = True) -> list[dict[str, Any]]:
    """Products from ``client.products.list()`` as small dicts, cached for a minute.

    Raises :class:`ProductsUnavailable` carrying Recur's message when the API fails.
    """
    if use_cache:
        cached = cache.get(CACHE_KEY)
        if cached is not None:
            return list(cached)
    if client is None:
        from recur_django.client_factory import get_client

        client = get_client()
    try:
        products = [_summary(p) for p in client.products.list()]
    except RecurError as exc:
        logger.warning("Could not load products from Recur: %s", exc.message or exc)
        raise ProductsUnavailable(
            str(_("Could not load products from Recur: %(message)s"))
            % {"message": exc.message or str(exc) or exc.__class__.__name__}
        ) from exc
    cache.set(CACHE_KEY, products, CACHE_SECONDS)
    return products


def product_choices(client: Any = None) -> list[tuple[str, str]]:
    """``(product id, label)`` pairs for a form's choice field, e.g. ``Pro — NT$299``."""
    choices = []
    for product in load_products(client):
        price = format_price(product["price"], product["currency"])
        parts = [product["name"]]
        if price:
            parts.append(price)
        if product["type"]:
            parts.append(product["type"].replace("_", " ").lower())
        choices.append((product["id"], " — ".join(parts)))
    return choices


def clear_cache() -> None:
    """Forget the cached product list (after products change on Recur, and in tests)."""
    cache.delete(CACHE_KEY)
