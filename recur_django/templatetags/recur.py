"""Template helpers: ``{% load recur %}``.

``{% has_entitlement user "pro-monthly" as ok %}{% if ok %}…{% endif %}`` or
``{% if user|entitled:"pro-monthly" %}…{% endif %}``. Each check is one query.

``<a href="{{ url|safe_href }}">`` keeps an ``http(s)`` URL or a path on this site and
turns anything else (``javascript:``, ``data:``…) into ``""``.
``{% current_plan user "pro-monthly" as sub %}`` gives the subscription that grants it,
``{% family_plan user "pro-yearly" as sub %}`` the plan the user holds in that product's
family (``productFamily``/``baseSlug``; a checkout for it would be refused), and
``{{ amount|twd }}`` shows money as ``NT$2,990``.
"""

from __future__ import annotations

from typing import Any

from django import template

from recur_django.entitlements import has_entitlement as _has_entitlement
from recur_django.entitlements import user_subscription
from recur_django.money import format_twd
from recur_django.plans import held_plan
from recur_django.products import ProductInfo, product_family
from recur_django.safe_urls import linkable_url

register = template.Library()


@register.simple_tag(name="has_entitlement")
def has_entitlement_tag(user: Any, *products: str) -> bool:
    """Whether ``user`` may use any of ``products`` (none given: any product)."""
    return _has_entitlement(user, list(products) or None)


@register.filter(name="entitled")
def entitled(user: Any, product: str | None = None) -> bool:
    """``user|entitled:"slug"``; several products may be comma-separated."""
    if product is None:
        return _has_entitlement(user, None)
    products = [p.strip() for p in str(product).split(",") if p.strip()]
    return _has_entitlement(user, products)


@register.filter(name="safe_href")
def safe_href(value: Any) -> str:
    """``value`` if it may be an ``href`` (``http(s)`` URL or site path), else ``""``."""
    return linkable_url(value) or ""


@register.simple_tag(name="current_plan")
def current_plan(user: Any, product: Any) -> Any:
    """The user's subscription to ``product`` that grants access now, or ``None``."""
    return user_subscription(user, product)


@register.simple_tag(name="family_plan")
def family_plan(user: Any, product: Any) -> Any:
    """The user's subscription to ``product`` or another plan of its family, or ``None``.

    ``product`` is a slug or id, or a client ``Product`` (its family is then read from the
    object itself, without looking the product up again).
    """
    if isinstance(product, str):
        return held_plan(user, product) if product else None
    ref = str(getattr(product, "slug", None) or getattr(product, "id", None) or "")
    if not ref:
        return None
    info = ProductInfo(
        id=str(getattr(product, "id", "") or ""),
        slug=str(getattr(product, "slug", "") or ""),
        name="",
        type="SUBSCRIPTION",
        amount=None,
        currency="TWD",
        family=product_family(product),
    )
    return held_plan(user, ref, info)


@register.filter(name="twd")
def twd(amount: Any, currency: str | None = "TWD") -> str:
    """``{{ amount|twd }}`` → ``NT$2,990``; ``{{ amount|twd:txn.currency }}`` for others."""
    return format_twd(amount, currency or "TWD")
