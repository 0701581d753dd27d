"""One plan per product family: the rule ``start_checkout`` applies before calling Recur.

An owner (see :mod:`recur_django.owners`) who already holds a subscription (one that
grants access now, see :func:`recur_django.entitlements.access_q`) to a product cannot
start a checkout for the same product, nor for another product of the same *family*. A
product's family is the ``productFamily`` / ``baseSlug`` Recur or the catalogue sends (see
:func:`recur_django.products.product_family`); without one, the product is its own family.
Changing plan within a family happens in Recur's customer portal (``recur:portal``).

``RECUR["ALLOW_MULTIPLE_SUBSCRIPTIONS"] = True`` turns the rule off.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from recur_django.conf import recur_settings
from recur_django.entitlements import owner_subscription
from recur_django.models import Subscription
from recur_django.owners import is_owner
from recur_django.products import ProductInfo, _load, get_product

__all__ = ["AlreadySubscribed", "check_one_plan", "family_members", "held_plan"]

ALREADY_SUBSCRIBED_MESSAGE = _(
    "You already have a subscription to this plan. Change or cancel it in the customer portal."
)


class AlreadySubscribed(ValueError):
    """The owner already holds a plan of this product's family (HTTP 409 ``already_subscribed``).

    A ``ValueError`` so that callers catching ``start_checkout``'s ``ValueError`` keep
    refusing the checkout.
    """

    code = "already_subscribed"
    status = 409

    def __init__(self, subscription: Subscription, product: str) -> None:
        self.subscription = subscription
        self.product = product
        self.message = ALREADY_SUBSCRIBED_MESSAGE
        super().__init__(
            f"The owner already holds subscription {subscription.recur_id} "
            f"({subscription.product_slug or subscription.product_id}) of the family of {product}."
        )


def family_members(product: str, info: ProductInfo | None = None) -> list[str]:
    """Ids and slugs of ``product`` and of every catalogue product of its family.

    Uses the cached product list (no Recur call when it is cached); when the list is
    unavailable the product alone is its family.
    """
    members = {product}
    if info is not None:
        members |= {v for v in (info.id, info.slug) if v}
    family = info.family if info is not None else ""
    if family:
        for item in _load() or []:
            if item.get("family") == family:
                members |= {v for v in (item.get("id"), item.get("slug")) if v}
    return sorted(m for m in members if "\x00" not in m)


def held_plan(
    owner: Any, product: str, info: ProductInfo | None = None, *, now: datetime | None = None
) -> Subscription | None:
    """The owner's subscription to ``product`` or its family that grants access now.

    One query (plus the cached product list). Templates: ``{% family_plan user
    "pro-monthly" as sub %}``.
    """
    if not is_owner(owner):
        return None
    if info is None and product:
        info = get_product(product)
    return owner_subscription(owner, family_members(product, info), now=now)


def check_one_plan(owner: Any, product: str, info: ProductInfo | None) -> None:
    """Raise :class:`AlreadySubscribed` when ``owner`` may not start this checkout.

    Only subscription products are limited (a product Recur does not describe is checked
    against the owner's subscriptions to it, which exist only for subscription products).
    """
    if recur_settings.get("ALLOW_MULTIPLE_SUBSCRIPTIONS"):
        return
    if info is not None and info.type and info.type != "SUBSCRIPTION":
        return
    held = held_plan(owner, product, info)
    if held is not None:
        raise AlreadySubscribed(held, product)
