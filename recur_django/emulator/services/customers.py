"""Customers: found or created at payment time, by external id then email."""

from __future__ import annotations

from recur_django.emulator import clock, outbox, representations
from recur_django.emulator.ids import new_id
from recur_django.emulator.models import Customer


def find_or_create(email: str, name: str = "", external_id: str = "") -> Customer:
    """The customer with ``external_id`` (else ``email``), created if missing.

    Emits ``customer.created`` for a new customer and ``customer.updated`` when an
    existing one gains a name or an external id (neither is changed once set).
    """
    customer = None
    if external_id:
        customer = Customer.objects.filter(external_id=external_id).first()
    if customer is None:
        by_email = Customer.objects.filter(email__iexact=email).order_by("created_at")
        if external_id:  # link only a customer that has no external id yet
            by_email = by_email.filter(external_id__isnull=True)
        customer = by_email.first()
    now = clock.now()
    if customer is None:
        customer = Customer.objects.create(
            id=new_id("cus"),
            email=email,
            name=name,
            external_id=external_id or None,
            created_at=now,
            updated_at=now,
        )
        outbox.emit("customer.created", representations.customer(customer))
        return customer
    changed = []
    if external_id and not customer.external_id:
        customer.external_id = external_id
        changed.append("external_id")
    if name and not customer.name:
        customer.name = name
        changed.append("name")
    if changed:
        customer.updated_at = now
        customer.save(update_fields=[*changed, "updated_at"])
        outbox.emit("customer.updated", representations.customer(customer))
    return customer


def lookup(customer_id: str = "", external_id: str = "", email: str = "") -> Customer | None:
    """The customer by id > external id > email (the documented priority)."""
    if customer_id:
        return Customer.objects.filter(id=customer_id).first()
    if external_id:
        return Customer.objects.filter(external_id=external_id).first()
    if email:
        return Customer.objects.filter(email__iexact=email).order_by("created_at").first()
    return None


def update(customer: Customer, *, name: str | None = None, email: str | None = None) -> bool:
    """Change the customer's name and/or email (the portal's form); emits
    ``customer.updated`` when something changed. Returns whether it did."""
    changed = []
    if name is not None and name != customer.name:
        customer.name = name
        changed.append("name")
    if email is not None and email.lower() != customer.email.lower():
        customer.email = email
        changed.append("email")
    if not changed:
        return False
    customer.updated_at = clock.now()
    customer.save(update_fields=[*changed, "updated_at"])
    outbox.emit("customer.updated", representations.customer(customer))
    return True
