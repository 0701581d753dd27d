"""Products: seeded from ``RECUR_EMULATOR["PRODUCTS"]``."""

from __future__ import annotations

from typing import Any

from recur_django.emulator.conf import emulator_settings
from recur_django.emulator.models import Product

_FIELDS = ("slug", "name", "description", "type", "billing_period", "price", "currency")


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


def seed_products() -> tuple[int, int]:
    """Create or update the configured products; returns (created, updated)."""
    created = updated = 0
    for spec in emulator_settings.PRODUCTS or []:
        _, was_created = Product.objects.update_or_create(
            id=str(spec["id"]), defaults=_defaults(spec)
        )
        if was_created:
            created += 1
        else:
            updated += 1
    return created, updated


def ensure_products() -> None:
    """Seed the catalogue when it is empty (a fresh or flushed database)."""
    if not Product.objects.exists():
        seed_products()


def find_product(product_id: str | None = None, slug: str | None = None) -> Product | None:
    """The active product with ``product_id`` or ``slug``."""
    ensure_products()
    query = Product.objects.filter(active=True)
    if product_id:
        return query.filter(id=product_id).first()
    if slug:
        return query.filter(slug=slug).first()
    return None
