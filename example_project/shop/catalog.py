"""What the shop knows about Recur's products beyond what Recur stores: credits per pack.

Prices, names and types come from Recur (``products.list()``); the number of credits a pack
grants is the shop's own business, keyed by the product's slug and id.
"""

from __future__ import annotations

CREDIT_PACKS: dict[str, int] = {
    "credits-100": 100,
    "prod_credits_100": 100,
    "credits-1000": 1000,
    "prod_credits_1000": 1000,
}


def credits_for(product_id: str, product_slug: str = "") -> int:
    """Credits granted by a purchase of this product (0 when it is not a credit pack)."""
    return CREDIT_PACKS.get(product_slug) or CREDIT_PACKS.get(product_id, 0)


#: Credits granted by every paid charge of a subscription (first payment and each renewal).
SUBSCRIPTION_CREDITS: dict[str, int] = {
    "credits-monthly": 500,
    "prod_credits_monthly": 500,
}


def subscription_credits_for(product_id: str, product_slug: str = "") -> int:
    """Credits granted by each paid charge of this subscription product (0: none)."""
    return SUBSCRIPTION_CREDITS.get(product_slug) or SUBSCRIPTION_CREDITS.get(product_id, 0)
