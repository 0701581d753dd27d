"""One plan per product family: the rule ``start_checkout`` applies before calling Recur.

An owner (see :mod:`recur_django.owners`) who already holds a subscription (one that
grants access now, see :func:`recur_django.entitlements.access_q`) to a product cannot
start a checkout for the same product, nor for another product of the same *family*. A
product's family is the ``productFamily`` / ``baseSlug`` Recur or the catalogue sends (see
:func:`recur_django.products.product_family`); without one, the product is its own family.
Changing plan within a family happens in Recur's customer portal (``recur:portal``).

The rule also holds under races: a subscription checkout *claims* its family for its
owner (:class:`FamilyClaim`, ``Transaction.family_key``), and the database keeps at most
one open claim per owner and family (a partial unique index); a paid checkout whose
subscription is not mirrored yet still holds the family. The claim is taken by
:mod:`recur_django.checkout.claims` before Recur is called. A second checkout meanwhile
gets :class:`CheckoutInProgress` (409 ``checkout_in_progress``, with the open session to
resume) or :class:`AlreadySubscribed`.

``RECUR["ALLOW_MULTIPLE_SUBSCRIPTIONS"] = True`` turns the rule off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from recur_django.conf import recur_settings
from recur_django.entitlements import owner_subscription
from recur_django.models import Subscription, Transaction
from recur_django.owners import is_owner
from recur_django.products import ProductInfo, _load, get_product

__all__ = [
    "AlreadySubscribed",
    "CheckoutInProgress",
    "FamilyClaim",
    "check_one_plan",
    "family_claim",
    "family_members",
    "held_plan",
]

ALREADY_SUBSCRIBED_MESSAGE = _(
    "You already have a subscription to this plan. Change or cancel it in the customer portal."
)
CHECKOUT_IN_PROGRESS_MESSAGE = _(
    "You have already started a checkout for this plan. Continue it, or wait until it "
    "expires to start another."
)


class AlreadySubscribed(ValueError):
    """The owner already holds a plan of this product's family (HTTP 409 ``already_subscribed``).

    ``subscription`` is the plan held; while a paid checkout's subscription is not mirrored
    yet it is None and ``transaction`` is that checkout. A ``ValueError`` so that callers
    catching ``start_checkout``'s ``ValueError`` keep refusing the checkout.
    """

    code = "already_subscribed"
    status = 409

    def __init__(
        self,
        subscription: Subscription | None,
        product: str,
        *,
        transaction: Transaction | None = None,
    ) -> None:
        self.subscription = subscription
        self.transaction = transaction
        self.product = product
        self.message = ALREADY_SUBSCRIBED_MESSAGE
        if subscription is not None:
            held = f"subscription {subscription.recur_id} "
            held += f"({subscription.product_slug or subscription.product_id})"
        else:
            held = f"the paid checkout {getattr(transaction, 'public_id', '?')}"
        super().__init__(f"The owner already holds {held} of the family of {product}.")

    @property
    def subscription_id(self) -> str | None:
        """Recur's id of the plan held (the paid checkout's, while not mirrored yet)."""
        if self.subscription is not None:
            return self.subscription.recur_id
        return getattr(self.transaction, "subscription_id", "") or None

    @property
    def held_product(self) -> str:
        """The slug or id of the plan held."""
        held: Any = self.subscription or self.transaction
        return str(getattr(held, "product_slug", "") or getattr(held, "product_id", "") or "")


class CheckoutInProgress(ValueError):
    """The owner's open checkout of this family blocks a second one (HTTP 409
    ``checkout_in_progress``); ``transaction`` is the open one, whose ``checkout_url``
    resumes it (blank while its session is still being created)."""

    code = "checkout_in_progress"
    status = 409

    def __init__(self, transaction: Transaction, product: str) -> None:
        self.transaction = transaction
        self.product = product
        self.message = CHECKOUT_IN_PROGRESS_MESSAGE
        super().__init__(
            f"Checkout {transaction.public_id} of the family of {product} is still open."
        )

    @property
    def url(self) -> str | None:
        """Where the open checkout continues (Recur's hosted page), or None."""
        return self.transaction.checkout_url or None


@dataclass(frozen=True)
class FamilyClaim:
    """Which plan family a subscription checkout claims, and for whom.

    The one place that says whose family claim this is: ``owner`` is whose billing the
    checkout is for (a user, or an instance of ``RECUR["OWNER_MODEL"]``), not the person
    who clicked, so a second admin of the same team meets the first admin's claim;
    :attr:`owner_lookup` is the ``Transaction`` fields naming it.
    """

    owner: Any
    key: str
    product: str
    info: ProductInfo | None = None

    @property
    def owner_lookup(self) -> dict[str, Any]:
        return {"owner": self.owner}


def family_key(product: str, info: ProductInfo | None) -> str:
    """The key a plan family is claimed under: its family, else the product itself."""
    if info is not None and info.family:
        return f"family:{info.family}"[:255]
    return f"product:{(info.id or info.slug) if info is not None else product}"[:255]


def family_claim(owner: Any, product: str, info: ProductInfo | None) -> FamilyClaim | None:
    """The claim a checkout of ``product`` for ``owner`` makes; None when the one-plan rule
    does not apply (the setting is off, or the product is not a subscription)."""
    if recur_settings.get("ALLOW_MULTIPLE_SUBSCRIPTIONS"):
        return None
    if info is not None and info.type and info.type != "SUBSCRIPTION":
        return None
    return FamilyClaim(owner, family_key(product, info), product, info)


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
    if family_claim(owner, product, info) is None:
        return
    held = held_plan(owner, product, info)
    if held is not None:
        raise AlreadySubscribed(held, product)
