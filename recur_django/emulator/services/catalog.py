"""Products: seeded from ``RECUR_EMULATOR["PRODUCTS"]``; every change is an event.

``product.created`` and ``product.updated`` (Recur's documented product events) carry the
product as ``GET /v1/products`` lists it. Archiving a product (``active = false``) is a
``product.updated``: Recur documents no ``product.deleted``. The catalogue a fresh
database starts with (:func:`ensure_products`) is the account's initial state and sends
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from recur_django.emulator import outbox, representations
from recur_django.emulator.conf import emulator_settings
from recur_django.emulator.models import Product

#: What a product change may set (through the control endpoint or the admin).
EDITABLE = (
    "name",
    "description",
    "price",
    "currency",
    "trial_days",
    "credits",
    "billing_period",
    "product_family",
    "metadata",
    "active",
)


def _defaults(spec: dict[str, Any]) -> dict[str, Any]:
    values = {
        "slug": str(spec.get("slug") or spec["id"]),
        "name": str(spec.get("name") or spec["id"]),
        "description": str(spec.get("description") or ""),
        "type": str(spec.get("type") or "ONE_TIME").upper(),
        "billing_period": str(
            spec.get("billing_period") or spec.get("billingPeriod") or ""
        ).upper(),
        "price": int(spec.get("price") or 0),
        "currency": str(spec.get("currency") or "TWD").upper(),
        "trial_days": spec.get("trial_days", spec.get("trialDays")),
        "credits": spec.get("credits"),
        "product_family": str(
            spec.get("product_family")
            or spec.get("productFamily")
            or (spec.get("metadata") or {}).get("productFamily")
            or ""
        ),
        "metadata": dict(spec.get("metadata") or {}),
        "active": bool(spec.get("active", True)),
    }
    if values["type"] == "SUBSCRIPTION" and not values["billing_period"]:
        values["billing_period"] = "MONTHLY"
    return values


@dataclass(frozen=True)
class SeedResult:
    created: int
    updated: int
    unchanged: int


def announce(product: Product, created: bool = False) -> None:
    """Emit ``product.created`` or ``product.updated`` for ``product`` as it is now."""
    kind = "product.created" if created else "product.updated"
    outbox.emit(kind, representations.product(product))


def seed_products(*, update: bool = False, quiet: bool = False) -> SeedResult:
    """Create the configured products that do not exist yet (``product.created``).

    Existing products are left as they are (an edit made in the admin survives a re-run);
    with ``update`` they are set back to the configuration, and each that changed emits
    ``product.updated``. ``quiet`` emits nothing (a fresh database's initial catalogue).
    """
    created = updated = unchanged = 0
    for spec in emulator_settings.PRODUCTS or []:
        values = _defaults(spec)
        product = Product.objects.filter(id=str(spec["id"])).first()
        made = False
        if product is None:
            # get_or_create: concurrent first requests on a fresh database all seed; the
            # product another one created meanwhile is taken as it is.
            product, made = Product.objects.get_or_create(id=str(spec["id"]), defaults=values)
        if made:
            created += 1
            if not quiet:
                announce(product, created=True)
        elif update and change_product(product, quiet=quiet, **values):
            updated += 1
        else:
            unchanged += 1
    return SeedResult(created, updated, unchanged)


def change_product(product: Product, *, quiet: bool = False, **values: Any) -> list[str]:
    """Set ``values`` on ``product``; when something changed, save and emit
    ``product.updated``. Returns the names of the fields that changed."""
    changed = [name for name, value in values.items() if getattr(product, name) != value]
    if changed:
        for name in changed:
            setattr(product, name, values[name])
        product.save(update_fields=changed)
        if not quiet:
            announce(product)
    return changed


def ensure_products() -> None:
    """Seed the catalogue when it is empty (a fresh or flushed database)."""
    if not Product.objects.exists():
        seed_products(quiet=True)


def find_product(product_id: str | None = None, slug: str | None = None) -> Product | None:
    """The active product with ``product_id`` or ``slug``."""
    ensure_products()
    query = Product.objects.filter(active=True)
    if product_id:
        return query.filter(id=product_id).first()
    if slug:
        return query.filter(slug=slug).first()
    return None
