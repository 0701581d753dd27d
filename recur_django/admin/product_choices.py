"""Recur's live product list for admin pickers, read through :mod:`recur_django.products`
(one cache, ``RECUR["PRODUCT_CACHE_SECONDS"]``)."""

from __future__ import annotations

import logging
from typing import Any

from django.utils.translation import gettext_lazy as _

from recur_django.client.errors import RecurError
from recur_django.models.payment_link import format_price
from recur_django.products import CACHE_KEY, clear_cache, list_products

__all__ = ["CACHE_KEY", "ProductsUnavailable", "clear_cache", "load_products", "product_choices"]

logger = logging.getLogger(__name__)


class ProductsUnavailable(Exception):
    """Recur's product list could not be loaded; ``message`` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def load_products() -> list[dict[str, Any]]:
    """Recur's products as small dicts (``id``, ``slug``, ``name``, ``type``, ``amount``,
    ``currency``); raises :class:`ProductsUnavailable` carrying Recur's message."""
    try:
        return list_products()
    except RecurError as exc:
        logger.warning("Could not load products from Recur: %s", exc.message or exc)
        raise ProductsUnavailable(
            str(_("Could not load products from Recur: %(message)s"))
            % {"message": exc.message or str(exc) or exc.__class__.__name__}
        ) from exc


def product_choices() -> list[tuple[str, str]]:
    """``(product id, label)`` pairs for a form's choice field, e.g. ``Pro — NT$299``."""
    choices = []
    for product in load_products():
        price = format_price(product["amount"], product["currency"])
        parts = [product["name"] or product["slug"] or product["id"]]
        if price:
            parts.append(price)
        if product["type"]:
            parts.append(product["type"].replace("_", " ").lower())
        choices.append((product["id"], " — ".join(parts)))
    return choices
