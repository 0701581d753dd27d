"""The checkout service layer: start a checkout for a user, and fulfil it exactly once.

``start_checkout`` saves a pending :class:`~recur_django.models.Transaction` *before* calling
Recur, so a webhook can never arrive for a row that does not exist. ``fulfil`` and
``mark_failed`` are the only places a transaction leaves ``pending``; the webhook handlers,
the return page and ``recur_replay`` all go through them. Each locks the row
(``select_for_update``), so duplicate or concurrent deliveries complete a transaction once
and send ``transaction_completed`` once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist
from django.db import OperationalError, connection
from django.db import transaction as db_transaction
from django.db.models import Exists, Subquery
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from recur_django import clock as billing_clock
from recur_django import payment_proof, signals
from recur_django.client.errors import APIError, AuthenticationError, RecurError
from recur_django.client_factory import get_client
from recur_django.conf import recur_settings
from recur_django.customers import external_id_for, external_id_is_users, external_id_to_send
from recur_django.models import Customer, Transaction, WebhookEvent
from recur_django.payloads import CheckoutData, Outcome
from recur_django.payment_proof import PaymentUnconfirmed, parse_amount, proven
from recur_django.plans import check_one_plan
from recur_django.products import ProductInfo, get_product
from recur_django.safe_urls import describe, flag_unsafe_url, is_http_url
from recur_django.signals import send_after_commit
from recur_django.transaction_state import warn_if_in_transaction
from recur_django.webhooks.confirmation import ConfirmationUnavailable
from recur_django.webhooks.registry import EventRejected

logger = logging.getLogger("recur_django.checkout")

SESSION_ID_PLACEHOLDER = "{CHECKOUT_SESSION_ID}"

# Statuses from which a confirmed payment still completes the transaction: a card declined
# on the first try (failed) or a session we expired locally can be paid afterwards, and a
# payment Recur took must never go unrecorded.
FULFILLABLE = frozenset(
    {Transaction.Status.PENDING, Transaction.Status.FAILED, Transaction.Status.EXPIRED}
)


class FulfilmentRejected(EventRejected):
    """The payment data contradicts the transaction (amount, product, session, customer)."""


@dataclass(frozen=True)
class FulfilmentResult:
    """What ``fulfil`` / ``mark_failed`` did. ``changed`` is True only for the call that
    moved the transaction out of its previous state."""

    transaction: Transaction
    changed: bool


# --------------------------------------------------------------------------- start


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


def start_checkout(
    user: Any,
    product: Any,
    *,
    mode: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    success_url: str | None = None,
    cancel_url: str | None = None,
    request: HttpRequest | None = None,
) -> Transaction:
    """Create a pending transaction and a Recur checkout session for ``user``.

    ``product`` is a Recur product id or slug (or an object with ``.id``). ``metadata`` is
    merged into the session metadata; ``transaction_id`` is always this transaction's public
    id. Returns the transaction with ``checkout_url`` set. On any API error the transaction
    is marked failed (reason stored) and the :class:`~recur_django.client.errors.RecurError`
    is raised. Raises ``ValueError`` for a missing product, an unknown mode or an anonymous
    user.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        raise ValueError("start_checkout needs an authenticated user.")
    ref = _product_ref(product)
    if not ref:
        raise ValueError("A product id or slug is required.")
    if metadata is not None and not isinstance(metadata, Mapping):
        raise ValueError("metadata must be a mapping.")
    info = get_product(ref)
    check_one_plan(user, ref, info)  # raises AlreadySubscribed (409 already_subscribed)
    chosen_mode = _mode_for(mode, info)
    success = build_success_url(success_url, request)
    cancel = build_cancel_url(cancel_url, request)

    txn = Transaction(user=user, mode=chosen_mode)
    if info is not None:
        txn.product_id, txn.product_slug, txn.product_name = info.id, info.slug, info.name
        # A trial starts with a small verification charge, so its amount is not the price.
        unknown = chosen_mode == Transaction.Mode.SETUP or info.trial_days > 0
        txn.amount = None if unknown else info.amount
        txn.currency = info.currency
    elif ref.startswith("prod_"):
        txn.product_id = ref
    else:
        txn.product_slug = ref
    txn.metadata = {**dict(metadata or {}), "transaction_id": txn.public_id}
    txn.save()

    params: dict[str, Any] = {
        "success_url": success,
        "cancel_url": cancel,
        "customer_email": getattr(user, "email", "") or None,
        "external_customer_id": external_id_to_send(user),
        "metadata": txn.metadata,
    }
    full_name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    if full_name:
        params["customer_name"] = full_name
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
        _fail_on_start(txn, reason)
        logger.warning(
            "Checkout %s failed to start: %s (HTTP %s)%s",
            txn.public_id,
            type(exc).__name__,
            exc.status,
            "; Recur refused the secret key" if isinstance(exc, AuthenticationError) else "",
        )
        raise

    txn.checkout_session_id = str(session.id)
    txn.checkout_url = str(session.url)
    ttl = timedelta(seconds=int(recur_settings.CHECKOUT_SESSION_TTL))
    txn.expires_at = getattr(session, "expires_at", None) or billing_clock.now() + ttl
    fields = ["checkout_session_id", "checkout_url", "expires_at", "updated_at"]
    session_amount = getattr(session, "amount", None)
    if txn.amount is None and isinstance(session_amount, int) and txn.mode != "SETUP":
        txn.amount = session_amount
        txn.currency = (getattr(session, "currency", "") or txn.currency).upper()
        fields += ["amount", "currency"]
    # Only the pending row is updated: a webhook may already have completed it.
    Transaction.objects.filter(pk=txn.pk, status=Transaction.Status.PENDING).update(
        **{f: getattr(txn, f) for f in fields if f != "updated_at"}, updated_at=timezone.now()
    )
    logger.info("Checkout %s started: session %s", txn.public_id, session.id)
    return txn


def _fail_on_start(txn: Transaction, reason: str) -> None:
    with db_transaction.atomic():
        updated = Transaction.objects.filter(pk=txn.pk, status=Transaction.Status.PENDING).update(
            status=Transaction.Status.FAILED, failure_reason=reason, updated_at=timezone.now()
        )
        txn.status, txn.failure_reason = Transaction.Status.FAILED, reason
        if updated:
            send_after_commit(
                signals.transaction_failed,
                sender=Transaction,
                transaction=txn,
                reason=reason,
                event=None,
                source="checkout",
            )


# --------------------------------------------------------------------------- fulfil


def _as_data(session_data: CheckoutData | Mapping[str, Any] | None) -> CheckoutData:
    if isinstance(session_data, CheckoutData):
        return session_data
    if session_data is None:
        return CheckoutData()
    if isinstance(session_data, Mapping):
        return CheckoutData.from_checkout(session_data)
    return CheckoutData.from_session(session_data)


def _lock(ref: Transaction | str | int | None, data: CheckoutData) -> Transaction:
    """Lock and return the transaction: by ``ref``, else by metadata id, else by session id.

    Raises ``Transaction.DoesNotExist``; never looks up by email, customer or product.
    """
    qs = Transaction.objects.select_related("user", "user__recur_customer")
    if connection.features.has_select_for_update_of:
        qs = qs.select_for_update(of=("self",))
    else:
        qs = qs.select_for_update()
    if data.customer_id:
        # What _map_customer needs about the payer's Customer row, in the same query.
        payer = Customer.objects.filter(recur_id=data.customer_id)
        qs = qs.annotate(
            payer_exists=Exists(payer), payer_user_id=Subquery(payer.values("user_id")[:1])
        )
    if isinstance(ref, Transaction):
        return qs.get(pk=ref.pk)
    if isinstance(ref, int):
        return qs.get(pk=ref)
    if isinstance(ref, str) and ref:
        return qs.get(public_id=ref)
    if data.transaction_id:
        return qs.get(public_id=data.transaction_id)
    if data.session_id:
        return qs.get(checkout_session_id=data.session_id)
    raise Transaction.DoesNotExist("No transaction id or checkout session id to match on.")


def _id_kind(value: str) -> str:
    return value.split("_", 1)[0] if "_" in value else ""


def _check_belongs(txn: Transaction, data: CheckoutData) -> None:
    """Refuse data that names another transaction, session or customer."""
    if data.transaction_id and data.transaction_id != txn.public_id:
        raise FulfilmentRejected(
            f"metadata.transaction_id {data.transaction_id} is not transaction {txn.public_id}."
        )
    stored = txn.checkout_session_id or ""
    # Only ids of the same kind are compared: Recur may name the checkout chk_… in events
    # while the session it returned was cs_….
    same_kind = _id_kind(data.session_id) == _id_kind(stored)
    if data.session_id and stored and data.session_id != stored and same_kind:
        raise FulfilmentRejected(
            f"checkout session {data.session_id} does not belong to transaction "
            f"{txn.public_id} (session {stored})."
        )
    user = txn.user
    if (
        data.external_customer_id
        and user is not None
        and not external_id_is_users(data.external_customer_id, user)
    ):
        raise FulfilmentRejected(
            f"the payment's external customer id does not match the user of {txn.public_id}."
        )


def _as_amount(value: Any) -> int | None:
    try:
        return parse_amount(value)
    except ValueError as exc:
        raise FulfilmentRejected(str(exc)) from None


def _confirmed_amount(txn: Transaction, data: CheckoutData, confirmed: Any) -> int | None:
    """The amount Recur confirms for the stored session of ``txn``.

    Without an answer yet, raises :class:`PaymentUnconfirmed` (the pipeline asks Recur
    outside the transaction and runs the event again); a failed ask raises
    :class:`ConfirmationUnavailable` (retryable); an answer that does not confirm the
    payment raises :class:`FulfilmentRejected`.
    """
    if not txn.checkout_session_id:
        raise FulfilmentRejected(
            f"transaction {txn.public_id} has no stored checkout session to tie a payment to."
        )
    if confirmed is None:
        raise PaymentUnconfirmed(txn.checkout_session_id)
    if isinstance(confirmed, Exception):
        raise ConfirmationUnavailable(
            f"Recur could not confirm checkout session {txn.checkout_session_id}: {confirmed}"
        )
    problem = payment_proof.refusal(txn, data, confirmed)
    if problem:
        raise FulfilmentRejected(problem)
    return _as_amount(confirmed.amount)


def _check_expected(txn: Transaction, data: CheckoutData, confirmed: Any = None) -> None:
    """Refuse a payment whose amount, currency or product differs from the expected one.

    A payment that does not name the stored session or does not say what was paid is
    confirmed with Recur first (:mod:`recur_django.payment_proof`).
    """
    amount = _as_amount(data.amount)
    if not proven(txn, data, amount):
        confirmed_amount = _confirmed_amount(txn, data, confirmed)
        amount = confirmed_amount if amount is None else amount
    if txn.amount is not None and amount is not None and amount != txn.amount:
        raise FulfilmentRejected(
            f"amount {amount} {data.currency or txn.currency} does not match the expected "
            f"{txn.amount} {txn.currency} of {txn.public_id}."
        )
    if txn.currency and data.currency and data.currency.upper() != txn.currency.upper():
        raise FulfilmentRejected(
            f"currency {data.currency} does not match the expected {txn.currency} of "
            f"{txn.public_id}."
        )
    if txn.product_id and data.product_id and data.product_id != txn.product_id:
        raise FulfilmentRejected(
            f"product {data.product_id} does not match the expected {txn.product_id} of "
            f"{txn.public_id}."
        )


def _map_customer(txn: Transaction, data: CheckoutData) -> None:
    """Link the user to the paying Recur customer, never moving an existing mapping.

    Uses what :func:`_lock` fetched, so a returning customer costs no query and a new one
    a single INSERT (or UPDATE when an unlinked row for the customer already exists).
    """
    user = txn.user
    if not data.customer_id or user is None:
        return
    try:
        existing = user.recur_customer
    except ObjectDoesNotExist:
        existing = None
    if existing is not None:
        if existing.recur_id == data.customer_id and (
            data.customer_email and existing.email != data.customer_email
        ):
            existing.email = data.customer_email
            existing.save(update_fields=["email", "updated_at"])
        return  # a user linked to another Recur customer keeps that link
    external_id = data.external_customer_id or external_id_for(user)
    if not getattr(txn, "payer_exists", False):
        # ignore_conflicts: a concurrent first payment of the same customer is harmless.
        Customer.objects.bulk_create(
            [
                Customer(
                    user=user,
                    recur_id=data.customer_id,
                    email=data.customer_email,
                    name=data.customer_name,
                    external_id=external_id,
                )
            ],
            ignore_conflicts=True,
        )
    elif getattr(txn, "payer_user_id", None) is None:
        Customer.objects.filter(recur_id=data.customer_id, user__isnull=True).update(
            user=user, external_id=external_id, updated_at=timezone.now()
        )


def _complete(txn: Transaction, data: CheckoutData) -> None:
    txn.status = Transaction.Status.COMPLETED
    txn.completed_at = timezone.now()
    txn.failure_reason = ""
    fields = ["status", "completed_at", "failure_reason", "updated_at"]
    for name, value in (("order_id", data.order_id), ("subscription_id", data.subscription_id)):
        if value and getattr(txn, name) != value:
            setattr(txn, name, value)
            fields.append(name)
    if not txn.checkout_session_id and data.session_id:
        txn.checkout_session_id = data.session_id
        fields.append("checkout_session_id")
    if not txn.product_id and data.product_id:
        txn.product_id = data.product_id
        fields.append("product_id")
    txn.save(update_fields=fields)
    _map_customer(txn, data)


def fulfil(
    transaction_or_id: Transaction | str | int | None = None,
    *,
    session_data: CheckoutData | Mapping[str, Any] | Any = None,
    event: WebhookEvent | None = None,
    source: str = "webhook",
    confirmed: CheckoutData | Exception | None = None,
) -> FulfilmentResult:
    """Mark a transaction completed, exactly once, and send ``transaction_completed``.

    ``transaction_or_id`` is a Transaction, its pk or its public id (``txn_…``); when None
    the transaction is located from ``session_data`` (``metadata.transaction_id``, else the
    checkout session id). ``session_data`` is what Recur says about the payment: webhook
    ``data``, a retrieved ``CheckoutSession``, or a :class:`CheckoutData`. Its amount,
    currency, product, session and external customer id are checked against the
    transaction; a contradiction raises :class:`FulfilmentRejected` and changes nothing.

    Only a payment naming the checkout session stored on the transaction and saying what
    was paid completes it by itself. Otherwise ``confirmed`` must be Recur's own view of the
    stored session (a retrieved session); without it :class:`PaymentUnconfirmed` is raised
    for the webhook pipeline to ask Recur outside the transaction.

    Idempotent: a transaction that is already completed is returned unchanged
    (``changed=False``). Raises ``Transaction.DoesNotExist`` when nothing matches.
    ``source`` ("webhook", "return_page", …) is passed to the signal.
    """
    data = _as_data(session_data)
    # Refusals are raised after the block: the reads succeeded, so the caller's
    # transaction must not be marked for rollback.
    refusal: Exception | None = None
    with db_transaction.atomic(savepoint=False):
        try:
            txn = _lock(transaction_or_id, data)
            _check_belongs(txn, data)
            if txn.status != Transaction.Status.COMPLETED:
                if txn.status not in FULFILLABLE:
                    raise FulfilmentRejected(f"transaction {txn.public_id} is {txn.status}.")
                _check_expected(txn, data, confirmed)
        except (FulfilmentRejected, Transaction.DoesNotExist) as exc:
            refusal = exc
        else:
            if txn.status == Transaction.Status.COMPLETED:
                return FulfilmentResult(txn, changed=False)
            _complete(txn, data)
            send_after_commit(
                signals.transaction_completed,
                sender=Transaction,
                transaction=txn,
                event=event,
                source=source,
            )
    if refusal is not None:
        raise refusal
    logger.info("Transaction %s completed (%s)", txn.public_id, source)
    return FulfilmentResult(txn, changed=True)


_FAILED_STATUS = {
    Outcome.FAILED: Transaction.Status.FAILED,
    Outcome.CANCELED: Transaction.Status.CANCELED,
    Outcome.EXPIRED: Transaction.Status.EXPIRED,
}


def mark_failed(
    transaction_or_id: Transaction | str | int | None = None,
    *,
    reason: str,
    outcome: Outcome = Outcome.FAILED,
    session_data: CheckoutData | Mapping[str, Any] | Any = None,
    event: WebhookEvent | None = None,
    source: str = "webhook",
) -> FulfilmentResult:
    """Move a *pending* transaction to failed / canceled / expired and send
    ``transaction_failed``. A transaction in any other state is left alone (a completed
    payment is never downgraded). Lookup and ownership checks are those of :func:`fulfil`.
    """
    data = _as_data(session_data)
    status = _FAILED_STATUS.get(outcome, Transaction.Status.FAILED)
    refusal: Exception | None = None
    with db_transaction.atomic(savepoint=False):
        try:
            txn = _lock(transaction_or_id, data)
            _check_belongs(txn, data)
        except (FulfilmentRejected, Transaction.DoesNotExist) as exc:
            refusal = exc
        else:
            if txn.status != Transaction.Status.PENDING:
                if txn.status == status == Transaction.Status.FAILED and reason:
                    # Another declined card on the same checkout: keep the latest reason.
                    txn.failure_reason = reason[:2000]
                    txn.save(update_fields=["failure_reason", "updated_at"])
                return FulfilmentResult(txn, changed=False)
            txn.status = status
            txn.failure_reason = reason[:2000]
            fields = ["status", "failure_reason", "updated_at"]
            if data.order_id and not txn.order_id:
                txn.order_id = data.order_id
                fields.append("order_id")
            txn.save(update_fields=fields)
            send_after_commit(
                signals.transaction_failed,
                sender=Transaction,
                transaction=txn,
                reason=txn.failure_reason,
                event=event,
                source=source,
            )
    if refusal is not None:
        raise refusal
    logger.info("Transaction %s %s (%s)", txn.public_id, status, source)
    return FulfilmentResult(txn, changed=True)


# --------------------------------------------------------------------------- return page


@dataclass(frozen=True)
class ReturnState:
    """What the return page shows: ``state`` is "success", "processing" or "failed"."""

    state: str
    transaction: Transaction


def confirm_return(user: Any, session_id: str) -> ReturnState | None:
    """Handle a buyer coming back from Recur with ``session_id``.

    Returns None when ``user`` has no transaction with that session (someone else's, or
    unknown). Otherwise retrieves the session and, when it is complete, fulfils the
    transaction through :func:`fulfil` (safe if the webhook already did). Never raises for
    API trouble: the page then says "processing" and the webhook finishes the job.
    """
    if not session_id or user is None or not getattr(user, "is_authenticated", False):
        return None
    txn = Transaction.objects.filter(checkout_session_id=session_id, user=user).first()
    if txn is None:
        return None
    if txn.status == Transaction.Status.COMPLETED:
        return ReturnState("success", txn)
    try:
        session = get_client().checkout_sessions.retrieve(session_id)
    except RecurError as exc:
        logger.warning(
            "Could not retrieve checkout session for %s: %s", txn.public_id, type(exc).__name__
        )
        return ReturnState(_state_of(txn), txn)
    data = CheckoutData.from_session(session)
    status = str(getattr(session, "status", "") or "").strip().lower()
    if status in {"complete", "completed", "paid", "succeeded"}:
        try:
            # The session was just retrieved with the secret key: it is Recur's own answer.
            result = fulfil(txn, session_data=data, source="return_page", confirmed=data)
        except FulfilmentRejected as exc:
            logger.warning("Return page did not fulfil %s: %s", txn.public_id, exc)
            txn.refresh_from_db()
            return ReturnState(_state_of(txn), txn)
        except OperationalError as exc:
            # The webhook is writing the same rows (a busy SQLite file, a lock timeout):
            # it completes the payment, so the buyer sees "processing" instead of an error.
            logger.warning("Return page could not fulfil %s now: %s", txn.public_id, exc)
            return ReturnState(_state_of(txn), txn)
        return ReturnState("success", result.transaction)
    if data.outcome in _FAILED_STATUS:
        try:
            result = mark_failed(
                txn,
                reason=f"checkout session {status}",
                outcome=data.outcome,
                session_data=data,
                source="return_page",
            )
            return ReturnState(_state_of(result.transaction), result.transaction)
        except FulfilmentRejected as exc:
            logger.warning("Return page did not update %s: %s", txn.public_id, exc)
        except OperationalError as exc:
            logger.warning("Return page could not update %s now: %s", txn.public_id, exc)
            return ReturnState(_state_of(txn), txn)
    txn.refresh_from_db()
    return ReturnState(_state_of(txn), txn)


def _state_of(txn: Transaction) -> str:
    if txn.status == Transaction.Status.COMPLETED:
        return "success"
    if txn.status == Transaction.Status.PENDING:
        return "processing"
    return "failed"
