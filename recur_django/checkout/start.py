"""Starting a checkout for an owner: a pending transaction, then a Recur checkout session.

``start_checkout`` saves a pending :class:`~recur_django.models.Transaction` *before* calling
Recur, so a webhook can never arrive for a row that does not exist. When Recur refuses,
the transaction is marked failed through :func:`~recur_django.checkout.fulfilment.fail_on_start`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from recur_django import clock as billing_clock
from recur_django.checkout.claims import take as take_claim
from recur_django.checkout.diagnosis import refusal_cause
from recur_django.checkout.fulfilment import fail_on_start
from recur_django.client.errors import APIError, RecurError
from recur_django.client_factory import get_client
from recur_django.conf import recur_settings
from recur_django.customers import external_id_to_send
from recur_django.einvoice import factory
from recur_django.einvoice import preferences as invoice_preferences
from recur_django.einvoice.choice import InvoiceChoice
from recur_django.exceptions import BillingForbidden
from recur_django.models import Transaction
from recur_django.owners import can_manage_billing, is_owner, owner_email, owner_name
from recur_django.plans import check_one_plan, family_claim
from recur_django.products import ProductInfo, get_product
from recur_django.safe_urls import describe, flag_unsafe_url, is_http_url
from recur_django.transaction_state import warn_if_in_transaction

logger = logging.getLogger("recur_django.checkout")

SESSION_ID_PLACEHOLDER = "{CHECKOUT_SESSION_ID}"


def _mode_for(mode: str | None, product: ProductInfo | None) -> str:
    if mode:
        value = str(mode).strip().upper()
        if value not in Transaction.Mode.values:
            raise ValueError(f"Unknown checkout mode {mode!r}.")
        return value
    if product is not None and product.type == "SUBSCRIPTION":
        return Transaction.Mode.SUBSCRIPTION
    return Transaction.Mode.PAYMENT


def _absolute(url: str, request: HttpRequest | None, setting: str) -> str:
    absolute = url
    if not url.startswith(("http://", "https://")):
        if request is None:
            raise ImproperlyConfigured(
                f"{setting} {url!r} is a path: pass request= to start_checkout or set an "
                "absolute URL."
            )
        absolute = request.build_absolute_uri(url)
    # Recur sends the buyer's browser there: never javascript:, data: or the like.
    if not is_http_url(absolute):
        raise ValueError(f"{setting}: not an http(s) URL or a path: {describe(url)}")
    return absolute


def build_success_url(success_url: str | None = None, request: HttpRequest | None = None) -> str:
    """The absolute success URL, carrying ``{CHECKOUT_SESSION_ID}`` for Recur to fill in."""
    url = (
        success_url
        or recur_settings.get("CHECKOUT_SUCCESS_URL")
        or reverse("recur:checkout-return")
    )
    url = _absolute(str(url), request, "RECUR['CHECKOUT_SUCCESS_URL']")
    if SESSION_ID_PLACEHOLDER in url:
        return url
    base, hash_mark, fragment = url.partition("#")
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}session_id={SESSION_ID_PLACEHOLDER}{hash_mark}{fragment}"


def build_cancel_url(cancel_url: str | None = None, request: HttpRequest | None = None) -> str:
    """The absolute cancel URL (default ``RECUR['CHECKOUT_CANCEL_URL']``, else ``/``)."""
    url = cancel_url or recur_settings.get("CHECKOUT_CANCEL_URL") or "/"
    return _absolute(str(url), request, "RECUR['CHECKOUT_CANCEL_URL']")


def _product_ref(product: Any) -> str:
    value = getattr(product, "id", product)
    return str(value or "").strip()


def _acting_user(owner: Any, user: Any) -> Any:
    """Who starts the checkout: ``user`` when given (after :func:`can_manage_billing`), else
    the owner itself when it is a user; ``None`` for server-side code acting for an owner.
    """
    if user is not None:
        if not can_manage_billing(user, owner):
            raise BillingForbidden()
        return user
    return owner if getattr(owner, "is_authenticated", False) else None


def start_checkout(
    owner: Any,
    product: Any,
    *,
    user: Any = None,
    mode: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    success_url: str | None = None,
    cancel_url: str | None = None,
    request: HttpRequest | None = None,
    invoice: InvoiceChoice | None = None,
) -> Transaction:
    """Create a pending transaction and a Recur checkout session for ``owner``.

    ``owner`` is whose billing it is (a user, or an instance of ``RECUR["OWNER_MODEL"]``):
    the session carries the owner's e-mail, name and signed external id, and the purchase
    entitles the owner. ``user`` is who acts (stored as ``Transaction.user``); when given,
    :func:`~recur_django.owners.can_manage_billing` must allow it, else
    :class:`~recur_django.exceptions.BillingForbidden` (403 ``billing_forbidden``) is raised
    before anything is written or asked of Recur. Without ``user`` a user owner acts for
    itself.

    ``product`` is a Recur product id or slug (or an object with ``.id``). ``metadata`` is
    merged into the session metadata; ``transaction_id`` is always this transaction's public
    id. Returns the transaction with ``checkout_url`` set. On any API error the transaction
    is marked failed (reason stored) and the :class:`~recur_django.client.errors.RecurError`
    is raised. Raises ``ValueError`` for a missing product, an unknown mode or no owner (an
    anonymous user), and its subclasses :class:`~recur_django.plans.AlreadySubscribed` (the
    owner holds a plan of the product's family, or paid for one not mirrored yet) and
    :class:`~recur_django.plans.CheckoutInProgress` (a checkout of the family for the owner
    is still open: resume it at its ``checkout_url``) — see
    :mod:`recur_django.checkout.claims`.

    ``invoice`` (when e-invoicing is on): the buyer's validated invoice choice (see
    :func:`recur_django.einvoice.preferences.checkout_choice`), stored on
    ``Transaction.invoice_choice`` and remembered as the owner's ``InvoicePreference``.
    Without it the owner's remembered choice (else the default, when it applies) is
    stored, and nothing is remembered.
    """
    if not is_owner(owner):
        raise ValueError("start_checkout needs an owner (a saved instance of the owner model).")
    user = _acting_user(owner, user)
    ref = _product_ref(product)
    if not ref:
        raise ValueError("A product id or slug is required.")
    if metadata is not None and not isinstance(metadata, Mapping):
        raise ValueError("metadata must be a mapping.")
    info = get_product(ref)
    check_one_plan(owner, ref, info)  # raises AlreadySubscribed (409 already_subscribed)
    chosen_mode = _mode_for(mode, info)
    # A subscription checkout claims its plan family (a card set-up does not).
    subscribing = chosen_mode == Transaction.Mode.SUBSCRIPTION
    claim = family_claim(owner, ref, info) if subscribing else None
    success = build_success_url(success_url, request)
    cancel = build_cancel_url(cancel_url, request)

    txn = Transaction(owner=owner, user=user, mode=chosen_mode)
    if info is not None:
        txn.product_id, txn.product_slug, txn.product_name = info.id, info.slug, info.name
        # A trial starts with a small verification charge, so its amount is not the price;
        # a donation's amount is the buyer's to choose.
        unknown = (
            chosen_mode == Transaction.Mode.SETUP
            or info.trial_days > 0
            or info.amount_is_chosen_by_buyer
        )
        txn.amount = None if unknown else info.amount
        txn.currency = info.currency
    elif ref.startswith("prod_"):
        txn.product_id = ref
    else:
        txn.product_slug = ref
    txn.metadata = {**dict(metadata or {}), "transaction_id": txn.public_id}
    chosen = invoice if factory.is_enabled() else None  # off: nothing invoiced
    stored = chosen if chosen is not None else invoice_preferences.default_choice(owner)
    txn.invoice_choice = stored.as_fields() if stored is not None else {}
    if claim is None:
        txn.save()
    else:
        # One open checkout per owner and plan family, also under races: raises
        # CheckoutInProgress or AlreadySubscribed (both 409) and saves nothing then.
        take_claim(claim, txn)
    if chosen is not None:  # the buyer's own choice: used for renewals and later sales
        invoice_preferences.remember(owner, chosen)

    params: dict[str, Any] = {
        "success_url": success,
        "cancel_url": cancel,
        "customer_email": owner_email(owner) or None,
        "external_customer_id": external_id_to_send(owner),
        "metadata": txn.metadata,
    }
    name = owner_name(owner)
    if name:
        params["customer_name"] = name
    if txn.product_id:
        params["product_id"] = txn.product_id
    else:
        params["product_slug"] = txn.product_slug
    if mode:
        params["mode"] = chosen_mode
    # One session per transaction even if the client retries the POST.
    params["idempotency_key"] = f"checkout-{txn.public_id}"

    # The pending row must be committed (visible to the webhook) before Recur is called.
    warn_if_in_transaction("start_checkout")
    try:
        session = get_client().checkout_sessions.create(**params)
        if not getattr(session, "id", None) or not getattr(session, "url", None):
            raise APIError("Recur returned a checkout session without an id or URL.")
        if not is_http_url(session.url):  # never send the browser to javascript: & co.
            flag_unsafe_url(session.url, f"checkout session {session.id}")
            raise APIError("Recur returned a checkout session whose URL is not http(s).")
    except RecurError as exc:
        reason = f"{exc.code or type(exc).__name__}: {exc.message or exc}"
        fail_on_start(txn, reason)
        cause = refusal_cause(exc, success, cancel)
        logger.warning(
            "Checkout %s failed to start: %s (HTTP %s). %s",
            txn.public_id,
            type(exc).__name__,
            exc.status,
            cause,
        )
        # For callers that show a developer the cause (the checkout view, under DEBUG).
        exc.add_note(cause)
        raise

    txn.checkout_session_id = str(session.id)
    txn.checkout_url = str(session.url)
    ttl = timedelta(seconds=int(recur_settings.CHECKOUT_SESSION_TTL))
    txn.expires_at = getattr(session, "expires_at", None) or billing_clock.now() + ttl
    fields = ["checkout_session_id", "checkout_url", "expires_at", "updated_at"]
    session_amount = getattr(session, "amount", None)
    chosen_by_buyer = info is not None and info.amount_is_chosen_by_buyer
    if (
        txn.amount is None
        and isinstance(session_amount, int)
        and txn.mode != "SETUP"
        and not chosen_by_buyer
    ):
        txn.amount = session_amount
        txn.currency = (getattr(session, "currency", "") or txn.currency).upper()
        fields += ["amount", "currency"]
    # Only the pending row is updated: a webhook may already have completed it.
    Transaction.objects.filter(pk=txn.pk, status=Transaction.Status.PENDING).update(
        **{f: getattr(txn, f) for f in fields if f != "updated_at"}, updated_at=timezone.now()
    )
    logger.info("Checkout %s started: session %s", txn.public_id, session.id)
    return txn
