"""Payment links: permanent purchase URLs that open a fresh checkout session per visit."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F

from recur_django.emulator import clock
from recur_django.emulator.ids import new_id, short_code
from recur_django.emulator.models import CheckoutSession, PaymentLink, Product
from recur_django.emulator.services import checkout


def create(product: Product, **fields: Any) -> PaymentLink:
    return PaymentLink.objects.create(
        id=new_id("plink"), url_id=short_code(15), product=product, created_at=clock.now(), **fields
    )


def update(link: PaymentLink, **fields: Any) -> PaymentLink:
    for name, value in fields.items():
        setattr(link, name, value)
    link.save()
    return link


def deactivate(link: PaymentLink) -> None:
    """The documented DELETE: a soft delete (``active=false``)."""
    link.active = False
    link.save(update_fields=["active"])


def unavailable_reason(link: PaymentLink) -> str | None:
    """Why the link cannot be used now (``inactive``, ``completed``), or None."""
    if not link.active or not link.product.active:
        return "inactive"
    if link.max_completions is not None and link.completed_count >= link.max_completions:
        return "completed"
    return None


def count_view(link: PaymentLink) -> None:
    PaymentLink.objects.filter(pk=link.pk).update(view_count=F("view_count") + 1)


def open_session(link: PaymentLink, success_url: str, cancel_url: str = "") -> CheckoutSession:
    """A checkout session for one visit of ``link`` (counts ``session_count``)."""
    with transaction.atomic():
        session = checkout.create_session(
            product=link.product,
            success_url=link.success_url or success_url,
            cancel_url=cancel_url,
            metadata=dict(link.metadata) if link.metadata else None,
            promotion_code=link.promotion_code or "",
            payment_link=link,
        )
        PaymentLink.objects.filter(pk=link.pk).update(session_count=F("session_count") + 1)
    return session
