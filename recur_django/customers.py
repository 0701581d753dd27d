"""The user <-> Recur customer mapping.

A Django user is linked to a Recur customer only through evidence this server created:
the checkout session it created with the secret key (see
:func:`recur_django.checkout.fulfil`), or an external customer id it issued and can verify
(:func:`external_id_for` / :func:`user_for_external_id`). Anything else a webhook says about
a customer — an email, a bare primary key, a tampered token — is stored but links nobody.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core import signing
from django.core.exceptions import ObjectDoesNotExist

from recur_django.models import Customer

#: Salt of the external-id signature: a token signed for another purpose never verifies here.
EXTERNAL_ID_SALT = "recur_django.customers.external_id"


def _signer() -> signing.Signer:
    return signing.Signer(salt=EXTERNAL_ID_SALT)


def external_id_for(user: AbstractBaseUser) -> str:
    """The ``externalCustomerId`` sent to Recur for ``user``: ``"<pk>:<signature>"``.

    Recur's browser checkout accepts any ``externalCustomerId`` with the public ``pk_``
    key, so a bare primary key proves nothing: anyone could send another user's. The
    token is the primary key signed with ``SECRET_KEY`` (HMAC-SHA256, salted for this
    use), so only this server can issue one. A signature rather than a random per-user
    token because it is stable (Recur finds a returning customer by it and never changes
    it once set), needs no table or migration, and costs no query. Rotating ``SECRET_KEY``
    keeps old tokens verifying while the old key is in ``SECRET_KEY_FALLBACKS``.
    """
    return _signer().sign(str(user.pk))


def user_for_external_id(external_id: str | None) -> Any:
    """The user whose :func:`external_id_for` is ``external_id``, or ``None``.

    Only a token that verifies names a user: a bare primary key (what versions before the
    token sent), a tampered or foreign token, or anything else returns ``None``.
    """
    pk = signed_user_pk(external_id)
    if pk is None:
        return None
    user_model = get_user_model()
    try:
        return user_model._default_manager.filter(pk=pk).first()
    except (ValueError, TypeError):
        return None


def signed_user_pk(external_id: str | None) -> str | None:
    """The user primary key (as text) an :func:`external_id_for` token carries, or ``None``
    for anything that does not verify (a bare primary key, a tampered or foreign token).
    No query."""
    if not external_id or not isinstance(external_id, str):
        return None
    try:
        return _signer().unsign(external_id)
    except signing.BadSignature:
        return None


def linked_customer(user: Any) -> Customer | None:
    """The Recur customer linked to ``user``, or ``None`` (uses a select_related row)."""
    try:
        customer = user.recur_customer
    except (ObjectDoesNotExist, AttributeError):
        return None
    return customer if isinstance(customer, Customer) else None


def external_id_to_send(user: Any) -> str:
    """The ``externalCustomerId`` a new checkout of ``user`` carries.

    A user already linked to a Recur customer sends that customer's external id as Recur
    knows it (Recur never changes it once set; for customers from before the token it is
    the bare primary key), so Recur finds the same customer. Anyone else sends
    :func:`external_id_for`.
    """
    customer = linked_customer(user)
    if customer is not None and customer.external_id:
        return customer.external_id
    return external_id_for(user)


def external_id_is_users(external_id: str, user: Any) -> bool:
    """Whether a payment's ``external_id`` is one this server issued for ``user``.

    True for ``user``'s token, the external id stored on ``user``'s linked customer, and
    the bare primary key that checkouts started before the token carried (the stored
    transaction is the evidence for those; the id only must not name someone else).
    """
    if external_id in (str(user.pk), external_id_for(user)):
        return True
    customer = linked_customer(user)
    if customer is not None and customer.external_id and customer.external_id == external_id:
        return True
    # A token signed with a key now in SECRET_KEY_FALLBACKS; no query needed.
    return signed_user_pk(external_id) == str(user.pk)


def upsert_customer(
    recur_id: str,
    *,
    user: Any = None,
    email: str = "",
    external_id: str = "",
    name: str = "",
) -> Customer:
    """Create or update the :class:`Customer` for ``recur_id``; call inside a transaction.

    ``user`` is passed only by callers holding evidence of their own (a checkout we
    created). Otherwise a user is attached only when ``external_id`` is a token that
    verifies (:func:`user_for_external_id`); a bare primary key or a forged token stores
    the customer unlinked. A user is attached only when the customer has none yet and the
    user has no other customer, so one webhook can never move a mapping between users.
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
