"""The user <-> Recur customer mapping."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser

from recur_django.models import Customer


def external_id_for(user: AbstractBaseUser) -> str:
    """The stable ``externalCustomerId`` sent to Recur for ``user``: its primary key."""
    return str(user.pk)


def user_for_external_id(external_id: str | None) -> Any:
    """The user whose :func:`external_id_for` is ``external_id``, or ``None``."""
    if not external_id:
        return None
    user_model = get_user_model()
    try:
        return user_model._default_manager.filter(pk=external_id).first()
    except (ValueError, TypeError):
        return None


def upsert_customer(
    recur_id: str,
    *,
    user: Any = None,
    email: str = "",
    external_id: str = "",
    name: str = "",
) -> Customer:
    """Create or update the :class:`Customer` for ``recur_id``; call inside a transaction.

    A known user is attached only when the customer has none yet and the user has no other
    customer, so one webhook can never move a mapping between users.
    """
    customer, _created = Customer.objects.select_for_update().get_or_create(
        recur_id=recur_id, defaults={"email": email, "external_id": external_id, "name": name}
    )
    changed: list[str] = []
    for field, value in (("email", email), ("external_id", external_id), ("name", name)):
        if value and getattr(customer, field) != value:
            setattr(customer, field, value)
            changed.append(field)
    if user is None and external_id and customer.user_id is None:
        user = user_for_external_id(external_id)
    if (
        user is not None
        and customer.user_id is None
        and not Customer.objects.filter(user=user).exclude(pk=customer.pk).exists()
    ):
        customer.user = user
        changed.append("user")
    if changed:
        customer.save(update_fields=[*changed, "updated_at"])
    return customer
