"""Template helpers: ``{% load recur %}``.

``{% has_entitlement user "pro-monthly" as ok %}{% if ok %}…{% endif %}`` or
``{% if request|entitled:"pro-monthly" %}…{% endif %}``. Each check is one query.

Entitlements and plans belong to the billing owner (:mod:`recur_django.owners`). The tags
take the template's ``request`` or its ``user`` and act for the owner that request acts for
(``RECUR["OWNER_FOR_REQUEST"]``), or take an owner (a team…) directly. The ``entitled``
filter has no request of its own: give it ``request`` (or an owner); ``user|entitled`` works
while users own billing (the default).

``<a href="{{ url|safe_href }}">`` keeps an ``http(s)`` URL or a path on this site and
turns anything else (``javascript:``, ``data:``…) into ``""``.
``{% current_plan user "pro-monthly" as sub %}`` gives the subscription that grants it,
``{% family_plan user "pro-yearly" as sub %}`` the plan the owner holds in that product's
family (``productFamily``/``baseSlug``; a checkout for it would be refused), and
``{{ amount|twd }}`` shows money as ``NT$2,990``.
"""

from __future__ import annotations

from typing import Any

from django import template

from recur_django.entitlements import has_entitlement as _has_entitlement
from recur_django.entitlements import owner_subscription
from recur_django.money import format_twd
from recur_django.owners import resolve_owner
from recur_django.plans import held_plan
from recur_django.products import ProductInfo, product_family
from recur_django.safe_urls import linkable_url

register = template.Library()


def _owner(context: template.Context, who: Any) -> Any:
    """The owner ``who`` stands for in this template (see the module docstring)."""
    return resolve_owner(who, context.get("request"))


@register.simple_tag(name="has_entitlement", takes_context=True)
def has_entitlement_tag(context: template.Context, who: Any, *products: str) -> bool:
    """Whether the owner of ``who`` (request, its user, or an owner) may use any of
    ``products`` (none given: any product)."""
    return _has_entitlement(_owner(context, who), list(products) or None)


@register.filter(name="entitled")
def entitled(who: Any, product: str | None = None) -> bool:
    """``request|entitled:"slug"`` (or an owner); several products may be comma-separated."""
    owner = resolve_owner(who)
    if product is None:
        return _has_entitlement(owner, None)
    products = [p.strip() for p in str(product).split(",") if p.strip()]
    return _has_entitlement(owner, products)


@register.filter(name="safe_href")
def safe_href(value: Any) -> str:
    """``value`` if it may be an ``href`` (``http(s)`` URL or site path), else ``""``."""
    return linkable_url(value) or ""


@register.simple_tag(name="current_plan", takes_context=True)
def current_plan(context: template.Context, who: Any, product: Any) -> Any:
    """The owner's subscription to ``product`` that grants access now, or ``None``."""
    return owner_subscription(_owner(context, who), product)


@register.simple_tag(name="family_plan", takes_context=True)
def family_plan(context: template.Context, who: Any, product: Any) -> Any:
    """The owner's subscription to ``product`` or another plan of its family, or ``None``.

    ``product`` is a slug or id, a client ``Product`` or a ``ProductInfo`` from
    ``get_products()`` (its family is then read from the object itself, without looking the
    product up again).
    """
    owner = _owner(context, who)
    if isinstance(product, str):
        return held_plan(owner, product) if product else None
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
    return held_plan(owner, ref, info)


@register.filter(name="twd")
def twd(amount: Any, currency: str | None = "TWD") -> str:
    """``{{ amount|twd }}`` → ``NT$2,990``; ``{{ amount|twd:txn.currency }}`` for others."""
    return format_twd(amount, currency or "TWD")
