"""Who may use what: entitlement checks read the local mirror, never the API.

Entitlements belong to the billing *owner* (the user by default, or a team… see
:mod:`recur_django.owners`); the guards ask for the owner a request acts for, so every
member acting for a paying team is entitled. An owner is entitled to a product when one of
these is true:

- a mirrored :class:`~recur_django.models.Subscription` of the owner's customer for the
  product grants access (:func:`access_q`), or
- the owner has a completed one-time :class:`~recur_django.models.Transaction`
  (mode ``PAYMENT``) for the product — one-time purchases count for good, unless the
  purchase's :class:`~recur_django.models.Payment` was fully refunded and
  ``RECUR["REFUND_REVOKES_ACCESS"]`` (default ``True``; or a list of the product slugs
  or ids it applies to) says a refund takes the product back.

Subscription rules, at time ``now`` with ``g = RECUR["PAST_DUE_GRACE_DAYS"]``:

=============  ====================================================================
Status         Grants access when
=============  ====================================================================
ACTIVE         always, except when canceled at period end and the period has ended
TRIALING       same as ACTIVE, and only until ``trial_end`` (when known)
PAST_DUE       ``now < current_period_end + g`` (Recur retries a failed renewal for a
               few days after the unpaid period ends); without a period end, ``g``
               days from the last event
CANCELED       ``now < current_period_end`` (paid until then), never after; and
               never once ``ended_at`` has passed (canceled at once: access ends
               then, whatever remains of the period)
others         never (PENDING, EXPIRED, PAUSED)
=============  ====================================================================
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, F, OuterRef, Q

from recur_django import clock as billing_clock
from recur_django.conf import recur_settings
from recur_django.models import Payment, Subscription, Transaction
from recur_django.models.subscription import grace_period, subscription_grants_access
from recur_django.owners import is_owner, owner_model

if TYPE_CHECKING:
    ProductArg = str | Iterable[str] | None

__all__ = [
    "Entitlement",
    "access_q",
    "entitlements_for",
    "grace_period",
    "has_entitlement",
    "owner_subscription",
    "subscription_grants_access",
]

Status = Subscription.Status


def access_q(now: datetime | None = None, grace: timedelta | None = None, prefix: str = "") -> Q:
    """A ``Q`` on Subscription selecting the rows that grant access at ``now``."""
    now = now or billing_clock.now()
    grace = grace_period() if grace is None else grace
    p = prefix

    def q(**kwargs: Any) -> Q:
        return Q(**{p + key: value for key, value in kwargs.items()})

    not_ended = (
        q(cancel_at_period_end=False)
        | q(current_period_end__isnull=True)
        | q(current_period_end__gt=now)
    )
    trial_running = q(trial_end__isnull=True) | q(trial_end__gt=now)
    active = (q(status=Status.ACTIVE) | (q(status=Status.TRIALING) & trial_running)) & not_ended
    past_due = q(status=Status.PAST_DUE) & (
        q(current_period_end__gt=now - grace)
        | (q(current_period_end__isnull=True) & q(last_event_at__gt=now - grace))
    )
    canceled = q(status=Status.CANCELED, current_period_end__gt=now) & (
        q(ended_at__isnull=True) | q(ended_at__gt=now)
    )
    return active | past_due | canceled


def _products(product: ProductArg) -> list[str] | None:
    if product is None:
        return None
    values: list[Any] = []
    for item in [product] if isinstance(product, str) else product:
        # Accept objects with id/slug (client Product, PaymentLink…) as well as strings.
        if isinstance(item, str):
            values.append(item)
        else:
            values += [v for v in (getattr(item, "id", None), getattr(item, "slug", None)) if v]
    # No product id or slug contains NUL, and PostgreSQL refuses it in a query parameter.
    return [v for v in values if isinstance(v, str) and "\x00" not in v]


def _product_q(products: list[str] | None) -> Q:
    if products is None:
        return Q()
    return Q(product_id__in=products) | Q(product_slug__in=products)


def refund_revokes_access() -> bool | list[str]:
    """``RECUR["REFUND_REVOKES_ACCESS"]``: True/False, or the product slugs/ids it covers."""
    value = recur_settings.user_settings.get("REFUND_REVOKES_ACCESS", True)
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable) and not isinstance(value, bytes):
        return [v for v in value if isinstance(v, str)]
    return bool(value)


def purchases_q(products: list[str] | None, owner_ref: Any) -> Any:
    """Completed one-time purchases of ``products`` by the owner ``owner_ref`` (a primary
    key or ``OuterRef``) that still grant access."""
    purchases = Transaction.objects.filter(
        _product_q(products),
        owner_id=owner_ref,
        status=Transaction.Status.COMPLETED,
        mode=Transaction.Mode.PAYMENT,
    )
    revokes = refund_revokes_access()
    if revokes is False or revokes == []:
        return purchases
    refunded = Exists(
        Payment.objects.filter(transaction_id=OuterRef("pk"), status=Payment.Status.REFUNDED)
    )
    covered = Q() if revokes is True else _product_q(list(revokes))
    return purchases.exclude(Q(refunded) & covered)


def has_entitlement(owner: Any, product: ProductArg = None, *, now: datetime | None = None) -> bool:
    """Whether ``owner`` may use ``product`` (a slug or id, or several: any of them).

    ``owner`` is a billing owner (by default a user; see :mod:`recur_django.owners`);
    anything else — ``None``, an anonymous user, a user when owners are teams — is never
    entitled. In a view, ask for ``owner_for_request(request)``. ``product=None`` means any
    product. Reads only the local mirror and purchases, in at most one database query;
    anonymous users cost none.
    """
    if not is_owner(owner):
        return False
    products = _products(product)
    if products == []:
        return False
    subscriptions = Subscription.objects.filter(
        access_q(now), _product_q(products), customer__owner_id=OuterRef("pk")
    )
    purchases = purchases_q(products, OuterRef("pk"))
    owners = owner_model()._default_manager.filter(pk=owner.pk)
    return owners.filter(Q(Exists(subscriptions)) | Q(Exists(purchases))).exists()


@dataclass(frozen=True)
class Entitlement:
    """One product the owner may use, and why."""

    product_id: str
    product_slug: str
    product_name: str
    source: str  # "subscription" or "purchase"
    source_id: str  # sub_… or txn_…
    status: str
    expires_at: datetime | None  # None = open-ended


def entitlements_for(owner: Any, *, now: datetime | None = None) -> list[Entitlement]:
    """Every entitlement of ``owner``, subscriptions first (two queries; none for anything
    that is not an owner)."""
    if not is_owner(owner):
        return []
    now = now or billing_clock.now()
    result: list[Entitlement] = []
    subscriptions = Subscription.objects.filter(access_q(now), customer__owner_id=owner.pk)
    for sub in subscriptions.order_by("product_slug", "recur_id"):
        expires = None
        if sub.status == Status.PAST_DUE:
            reference = sub.current_period_end or sub.last_event_at
            expires = reference + grace_period() if reference else None
        elif sub.cancel_at_period_end or sub.status == Status.CANCELED:
            expires = sub.current_period_end
            if sub.status == Status.CANCELED and sub.ended_at is not None:
                expires = min(sub.ended_at, expires) if expires is not None else sub.ended_at
        if sub.status == Status.TRIALING and sub.trial_end is not None:
            expires = min(sub.trial_end, expires) if expires is not None else sub.trial_end
        result.append(
            Entitlement(
                product_id=sub.product_id,
                product_slug=sub.product_slug,
                product_name=sub.product_name,
                source="subscription",
                source_id=sub.recur_id,
                status=sub.status,
                expires_at=expires,
            )
        )
    purchases = purchases_q(None, owner.pk).order_by("completed_at", "created_at")
    for txn in purchases:
        result.append(
            Entitlement(
                product_id=txn.product_id,
                product_slug=txn.product_slug,
                product_name=txn.product_name,
                source="purchase",
                source_id=txn.public_id,
                status="purchased",
                expires_at=None,
            )
        )
    return result


def owner_subscription(
    owner: Any, product: ProductArg, *, now: datetime | None = None
) -> Subscription | None:
    """The owner's subscription to ``product`` (slug or id) that grants access now, or
    ``None``.

    When several do, the one running longest is returned. One query; anything that is not
    an owner costs none. Templates: ``{% current_plan user "pro-monthly" as sub %}``.
    """
    if not is_owner(owner):
        return None
    single = hasattr(product, "id") or hasattr(product, "slug")  # a client Product
    products = _products([product] if single else product)  # type: ignore[list-item]
    if not products:
        return None
    return (
        Subscription.objects.filter(
            access_q(now), _product_q(products), customer__owner_id=owner.pk
        )
        .order_by(F("current_period_end").desc(nulls_first=True), "-created_at")
        .first()
    )
