"""Template helpers: ``{% load recur %}``.

``{% has_entitlement user "pro-monthly" as ok %}{% if ok %}…{% endif %}`` or
``{% if user|entitled:"pro-monthly" %}…{% endif %}``. Each check is one query.
"""

from __future__ import annotations

from typing import Any

from django import template

from recur_django.entitlements import has_entitlement as _has_entitlement

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
