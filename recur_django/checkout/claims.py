"""One live subscription checkout per billing owner and plan family, under races.

:func:`recur_django.plans.check_one_plan` refuses a plan the owner holds, but two
requests (a double click, four tabs) could both pass it and open two Recur sessions, and
a second checkout could start after the first was paid but before its subscription
webhook arrived. So the pending :class:`~recur_django.models.Transaction` itself is the
claim, saved *before* Recur is called (the call stays outside any transaction):

- its ``family_key`` (the :class:`~recur_django.plans.FamilyClaim`) is under a partial
  unique index: one **pending** transaction per owner and family key. A concurrent second
  INSERT fails (also when another admin of the same team started the first); it gets
  :class:`~recur_django.plans.CheckoutInProgress` with the open session's URL to resume
  it. An open session past its expiry does not block: it is
  expired first (``transaction_failed``, as ``recur_expire`` would) and the claim retried.
- once the claim is saved, a **paid** checkout of the family whose subscription is not
  mirrored yet (completed less than :data:`PAID_HOLD` ago, its subscription absent from
  the mirror or still pending), then a held plan, refuse it with
  :class:`~recur_django.plans.AlreadySubscribed` and the claim is removed. Looking after
  the INSERT (the first checkout is no longer pending) and in that order leaves no window
  between the states a checkout goes through (pending, paid, mirrored).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from recur_django import clock as billing_clock
from recur_django.checkout.fulfilment import expire_if_due
from recur_django.conf import recur_settings
from recur_django.models import Subscription, Transaction
from recur_django.plans import AlreadySubscribed, CheckoutInProgress, FamilyClaim, held_plan

__all__ = ["PAID_HOLD", "open_checkout", "paid_not_mirrored", "take"]

#: How long a paid checkout holds its family while its subscription is not mirrored.
PAID_HOLD = timedelta(days=1)
#: INSERT attempts: a blocking claim may be released or expired in between.
ATTEMPTS = 3


def open_checkout(claim: FamilyClaim) -> Transaction | None:
    """The owner's pending checkout of the claim's family, if any."""
    return (
        Transaction.objects.filter(
            status=Transaction.Status.PENDING, family_key=claim.key, **claim.owner_lookup
        )
        .order_by("pk")
        .first()
    )


def paid_not_mirrored(claim: FamilyClaim, *, besides: Any = None) -> Transaction | None:
    """A paid checkout of the claim's family whose subscription the mirror does not show
    yet (absent, or still pending), completed less than :data:`PAID_HOLD` ago."""
    mirrored = Subscription.objects.filter(recur_id=OuterRef("subscription_id")).exclude(
        status=Subscription.Status.PENDING
    )
    paid = Transaction.objects.filter(
        status=Transaction.Status.COMPLETED,
        family_key=claim.key,
        completed_at__gte=timezone.now() - PAID_HOLD,
        **claim.owner_lookup,
    ).exclude(Exists(mirrored))
    if besides is not None:
        paid = paid.exclude(pk=besides)
    return paid.order_by("-pk").first()


def take(claim: FamilyClaim, txn: Transaction) -> None:
    """Save the pending ``txn`` as the claim's one open checkout (see the module docstring).

    Raises :class:`CheckoutInProgress` or :class:`AlreadySubscribed`; then nothing was
    saved. Call with no transaction open (the claim must be committed before Recur is
    called, so a concurrent checkout sees it).
    """
    txn.family_key = claim.key
    if txn.expires_at is None:
        # Until Recur answers with the session's own expiry: a claim whose request died
        # before that expires like any session (recur_expire), instead of blocking forever.
        ttl = timedelta(seconds=int(recur_settings.CHECKOUT_SESSION_TTL))
        txn.expires_at = billing_clock.now() + ttl
    for _attempt in range(ATTEMPTS):
        try:
            with transaction.atomic():
                txn.save(force_insert=True)
            break
        except IntegrityError:
            holder = open_checkout(claim)
            if holder is not None and not expire_if_due(holder):
                raise CheckoutInProgress(holder, claim.product) from None
    else:
        holder = open_checkout(claim)
        if holder is None:
            raise RuntimeError("The plan family claim could not be saved.")
        raise CheckoutInProgress(holder, claim.product)
    paid = paid_not_mirrored(claim, besides=txn.pk)
    held = None if paid is not None else held_plan(claim.owner, claim.product, claim.info)
    if paid is not None or held is not None:
        Transaction.objects.filter(pk=txn.pk).delete()
        txn.pk = None
        raise AlreadySubscribed(held, claim.product, transaction=paid)
