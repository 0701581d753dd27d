"""The billing owner <-> Recur customer mapping.

An owner (a user, or the model ``RECUR["OWNER_MODEL"]`` names: see
:mod:`recur_django.owners`) is linked to a Recur customer only through evidence this
server created: the checkout session it created with the secret key (see
:func:`recur_django.checkout.fulfil`), or an external customer id it issued and can verify
(:func:`external_id_for` / :func:`owner_for_external_id`). Anything else a webhook says
about a customer — an email, a bare primary key, a tampered token — is stored but links
nobody.
"""

from __future__ import annotations

from typing import Any

from django.core import signing
from django.core.exceptions import ObjectDoesNotExist, ValidationError

from recur_django.models import Customer
from recur_django.owners import is_owner, owner_is_user_model, owner_model

#: Salt of the external-id signature: a token signed for another purpose never verifies here.
EXTERNAL_ID_SALT = "recur_django.customers.external_id"


def _signer() -> signing.Signer:
    return signing.Signer(salt=EXTERNAL_ID_SALT)


def _owner_ref(owner: Any) -> str:
    """What a token signs: the owner's model label and primary key, ``"teams.team:7"``."""
    return f"{owner._meta.label_lower}:{owner.pk}"


def external_id_for(owner: Any) -> str:
    """The ``externalCustomerId`` sent to Recur for ``owner``: ``"<label>:<pk>:<signature>"``.

    Recur's browser checkout accepts any ``externalCustomerId`` with the public ``pk_``
    key, so a bare primary key proves nothing: anyone could send another owner's. The token
    is the owner's model label and primary key, signed with ``SECRET_KEY`` (HMAC-SHA256,
    salted for this use), so only this server can issue one, and a user's token never
    names the team with the same primary key. A signature rather than a random token
    because it is stable (Recur finds a returning customer by it and never changes it once
    set), needs no table or migration, and costs no query. Rotating ``SECRET_KEY`` keeps
    old tokens verifying while the old key is in ``SECRET_KEY_FALLBACKS``.
    """
    return _signer().sign(_owner_ref(owner))


def signed_owner_pk(external_id: str | None) -> str | None:
    """The owner primary key (as text) an :func:`external_id_for` token carries, or ``None``.

    Only a token that verifies and names the owner model counts. The tokens issued before
    owners (``"<pk>:<signature>"``, a user's primary key) count while the owner model is the
    user model. A bare primary key, a tampered or foreign token, or a token naming another
    model is ``None``. No query.
    """
    if not external_id or not isinstance(external_id, str):
        return None
    try:
        value = _signer().unsign(external_id)
    except signing.BadSignature:
        return None
    label, colon, pk = value.partition(":")
    if not colon:  # the form issued for users before owners: the bare primary key, signed
        return value if owner_is_user_model() else None
    return pk if label == owner_model()._meta.label_lower and pk else None


def owner_for_external_id(external_id: str | None) -> Any:
    """The owner whose :func:`external_id_for` is ``external_id``, or ``None``.

    Only a token that verifies names an owner (see :func:`signed_owner_pk`).
    """
    pk = signed_owner_pk(external_id)
    if pk is None:
        return None
    try:
        return owner_model()._default_manager.filter(pk=pk).first()
    except (ValueError, TypeError, ValidationError):
        return None


def linked_customer(owner: Any) -> Customer | None:
    """The Recur customer linked to ``owner``, or ``None`` (uses a select_related row)."""
    try:
        customer = owner.recur_customer
    except (ObjectDoesNotExist, AttributeError):
        return None
    return customer if isinstance(customer, Customer) else None


def external_id_to_send(owner: Any) -> str:
    """The ``externalCustomerId`` a new checkout of ``owner`` carries.

    An owner already linked to a Recur customer sends that customer's external id as Recur
    knows it (Recur never changes it once set; for customers from before the token it is
    the bare primary key, from before owners a user's ``"<pk>:<signature>"``), so Recur
    finds the same customer. Anyone else sends :func:`external_id_for`.
    """
    customer = linked_customer(owner)
    if customer is not None and customer.external_id:
        return customer.external_id
    return external_id_for(owner)


def external_id_is_owners(external_id: str, owner: Any) -> bool:
    """Whether a payment's ``external_id`` is one this server issued for ``owner``.

    True for ``owner``'s token, the external id stored on ``owner``'s linked customer, and,
    for a user owner, the bare primary key that checkouts started before the token carried
    (the stored transaction is the evidence for those; the id only must not name someone
    else).
    """
    if external_id == external_id_for(owner):
        return True
    if external_id == str(owner.pk) and owner_is_user_model():
        return True
    customer = linked_customer(owner)
    if customer is not None and customer.external_id and customer.external_id == external_id:
        return True
    # A token signed with a key now in SECRET_KEY_FALLBACKS, or a user's pre-owner token.
    return signed_owner_pk(external_id) == str(owner.pk)


def upsert_customer(
    recur_id: str,
    *,
    owner: Any = None,
    email: str = "",
    external_id: str = "",
    name: str = "",
) -> Customer:
    """Create or update the :class:`Customer` for ``recur_id``; call inside a transaction.

    ``owner`` is passed only by callers holding evidence of their own (a checkout we
    created). Otherwise an owner is attached only when ``external_id`` is a token that
    verifies (:func:`owner_for_external_id`); a bare primary key or a forged token stores
    the customer unlinked. An owner is attached only when the customer has none yet and
    the owner has no other customer, so one webhook can never move a mapping between
    owners.
    """
    customer, _created = Customer.objects.select_for_update().get_or_create(
        recur_id=recur_id, defaults={"email": email, "external_id": external_id, "name": name}
    )
    changed: list[str] = []
    for field, value in (("email", email), ("external_id", external_id), ("name", name)):
        if value and getattr(customer, field) != value:
            setattr(customer, field, value)
            changed.append(field)
    if owner is None and external_id and customer.owner_id is None:
        owner = owner_for_external_id(external_id)
    if (
        is_owner(owner)
        and customer.owner_id is None
        and not Customer.objects.filter(owner=owner).exclude(pk=customer.pk).exists()
    ):
        customer.owner = owner
        changed.append("owner")
    if changed:
        customer.save(update_fields=[*changed, "updated_at"])
    return customer
