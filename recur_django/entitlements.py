"""Who may use what: entitlement checks read the local mirror, never the API.

A user is entitled to a product when one of these is true:

- a mirrored :class:`~recur_django.models.Subscription` of the user's customer for the
  product grants access (:func:`access_q`), or
- the user has a completed one-time :class:`~recur_django.models.Transaction`
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
CANCELED       ``now < current_period_end`` (paid until then), never after
others         never (PENDING, EXPIRED, PAUSED)
=============  ====================================================================
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.contrib.auth import get_user_model
from django.db.models import Exists, F, OuterRef, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.translation import gettext_lazy as _

from recur_django import clock as billing_clock
from recur_django.conf import recur_settings
from recur_django.models import Payment, Subscription, Transaction
from recur_django.negotiation import json_error, wants_json

if TYPE_CHECKING:
    ProductArg = str | Iterable[str] | None

Status = Subscription.Status
ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponse])

DENIED_MESSAGE = _("This page needs an active subscription.")


def grace_period() -> timedelta:
    """``RECUR["PAST_DUE_GRACE_DAYS"]`` as a timedelta (0 when unset or invalid)."""
    try:
        days = float(recur_settings.get("PAST_DUE_GRACE_DAYS", 0) or 0)
    except (TypeError, ValueError):
        days = 0.0
    return timedelta(days=max(days, 0.0))


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
    canceled = q(status=Status.CANCELED, current_period_end__gt=now)
    return active | past_due | canceled


def subscription_grants_access(
    subscription: Subscription, now: datetime | None = None, grace_days: float | None = None
) -> bool:
    """Python twin of :func:`access_q` for one loaded subscription."""
    now = now or billing_clock.now()
    grace = grace_period() if grace_days is None else timedelta(days=grace_days)
    status = subscription.status
    end = subscription.current_period_end
    trial_end = subscription.trial_end
    if status == Status.TRIALING and trial_end is not None and trial_end <= now:
        return False
    if status in (Status.ACTIVE, Status.TRIALING):
        return not subscription.cancel_at_period_end or end is None or end > now
    if status == Status.PAST_DUE:
        reference = end if end is not None else subscription.last_event_at
        return reference is not None and reference > now - grace
    if status == Status.CANCELED:
        return end is not None and end > now
    return False


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


def purchases_q(products: list[str] | None, user_ref: Any) -> Any:
    """Completed one-time purchases of ``products`` that still grant access."""
    purchases = Transaction.objects.filter(
        _product_q(products),
        user_id=user_ref,
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


def has_entitlement(user: Any, product: ProductArg = None, *, now: datetime | None = None) -> bool:
    """Whether ``user`` may use ``product`` (a slug or id, or several: any of them).

    ``product=None`` means any product. Reads only the local mirror and purchases, in at
    most one database query; anonymous users cost none.
    """
    if user is None or not getattr(user, "is_authenticated", False) or user.pk is None:
        return False
    products = _products(product)
    if products == []:
        return False
    subscriptions = Subscription.objects.filter(
        access_q(now), _product_q(products), customer__user_id=OuterRef("pk")
    )
    purchases = purchases_q(products, OuterRef("pk"))
    users = get_user_model()._default_manager.filter(pk=user.pk)
    return users.filter(Q(Exists(subscriptions)) | Q(Exists(purchases))).exists()


@dataclass(frozen=True)
class Entitlement:
    """One product the user may use, and why."""

    product_id: str
    product_slug: str
    product_name: str
    source: str  # "subscription" or "purchase"
    source_id: str  # sub_… or txn_…
    status: str
    expires_at: datetime | None  # None = open-ended


def entitlements_for(user: Any, *, now: datetime | None = None) -> list[Entitlement]:
    """Every entitlement of ``user``, subscriptions first (two queries)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    now = now or billing_clock.now()
    result: list[Entitlement] = []
    subscriptions = Subscription.objects.filter(access_q(now), customer__user_id=user.pk)
    for sub in subscriptions.order_by("product_slug", "recur_id"):
        expires = None
        if sub.status == Status.PAST_DUE:
            reference = sub.current_period_end or sub.last_event_at
            expires = reference + grace_period() if reference else None
        elif sub.cancel_at_period_end or sub.status == Status.CANCELED:
            expires = sub.current_period_end
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
    purchases = purchases_q(None, user.pk).order_by("completed_at", "created_at")
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


def denied_response(request: HttpRequest, redirect_url: str | None = None) -> HttpResponse:
    """403 JSON for API-style requests, else a redirect to the pricing page."""
    if wants_json(request):
        return json_error("subscription_required", DENIED_MESSAGE, 403)
    target = redirect_url or recur_settings.get("PRICING_URL") or "/"
    return HttpResponseRedirect(resolve_url(target))


def subscription_required(
    *products: str, redirect_url: str | None = None
) -> Callable[[ViewFunc], ViewFunc]:
    """View decorator: let through only users entitled to one of ``products``.

    Without products, any entitlement will do. Others are redirected to ``redirect_url``
    (default ``RECUR["PRICING_URL"]``; a path, URL or URL name) or get a 403 JSON error.
    """
    if len(products) == 1 and callable(products[0]) and not isinstance(products[0], str):
        raise TypeError("Use @subscription_required(...) with parentheses.")

    def decorator(view: ViewFunc) -> ViewFunc:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not has_entitlement(request.user, list(products) or None):
                return denied_response(request, redirect_url)
            return view(request, *args, **kwargs)

        return cast(ViewFunc, wrapped)

    return decorator


class SubscriptionRequiredMixin:
    """Class-based view mixin; put it first in the bases.

    Set ``required_product`` (a slug or id, or a list: any of them; ``None`` = any
    product) and optionally ``pricing_url``.
    """

    required_product: str | list[str] | tuple[str, ...] | None = None
    pricing_url: str | None = None

    def get_required_product(self) -> str | list[str] | tuple[str, ...] | None:
        return self.required_product

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not has_entitlement(request.user, self.get_required_product()):
            return denied_response(request, self.pricing_url)
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


def user_subscription(
    user: Any, product: ProductArg, *, now: datetime | None = None
) -> Subscription | None:
    """The user's subscription to ``product`` (slug or id) that grants access now, or ``None``.

    When several do, the one running longest is returned. One query; anonymous users cost
    none. Templates: ``{% current_plan user "pro-monthly" as sub %}``.
    """
    if user is None or not getattr(user, "is_authenticated", False) or user.pk is None:
        return None
    single = hasattr(product, "id") or hasattr(product, "slug")  # a client Product
    products = _products([product] if single else product)  # type: ignore[list-item]
    if not products:
        return None
    return (
        Subscription.objects.filter(access_q(now), _product_q(products), customer__user_id=user.pk)
        .order_by(F("current_period_end").desc(nulls_first=True), "-created_at")
        .first()
    )
