"""Checkout sessions: creation and payment on the hosted page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from recur_django.emulator import clock, outbox, representations
from recur_django.emulator.conf import emulator_settings
from recur_django.emulator.ids import new_id
from recur_django.emulator.models import CheckoutSession, Order, PaymentLink, Product
from recur_django.emulator.services import credits, customers, promotions, subscriptions

Status = CheckoutSession.Status
Mode = CheckoutSession.Mode

# The sandbox cards of Recur's docs (PAYUNi test cards) and the emulator's decline cards.
SUCCESS_CARDS = frozenset({"4147631000000001", "3560511000000001"})
DECLINE_CARDS = {
    "4000000000000002": ("CARD_DECLINED", _("The card was declined by the issuer.")),
    "4000000000009995": ("INSUFFICIENT_FUNDS", _("The card has insufficient funds.")),
    "4000000000000069": ("EXPIRED_CARD", _("The card has expired.")),
}


# A subscription with a trial is paid with a small verification charge instead of the price.
TRIAL_VERIFICATION_AMOUNT = 2


def has_trial(product: Product, mode: str) -> bool:
    return mode == Mode.SUBSCRIPTION and bool(product.trial_days)


class CheckoutError(Exception):
    """The session cannot be paid (expired, completed) or the form is invalid."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class PaymentResult:
    session: CheckoutSession
    paid: bool
    failure_code: str = ""
    failure_message: str = ""

    @property
    def redirect_url(self) -> str:
        return self.session.success_url.replace("{CHECKOUT_SESSION_ID}", self.session.id)


def create_session(
    *,
    product: Product,
    success_url: str,
    mode: str = "",
    cancel_url: str = "",
    customer_email: str = "",
    customer_name: str = "",
    external_customer_id: str = "",
    metadata: dict[str, Any] | None = None,
    promotion_code: str = "",
    payment_link: PaymentLink | None = None,
) -> CheckoutSession:
    """Create a PENDING session and emit ``checkout.created``."""
    now = clock.now()
    inferred = Mode.SUBSCRIPTION if product.type == Product.Type.SUBSCRIPTION else Mode.PAYMENT
    mode = mode or inferred
    amount = TRIAL_VERIFICATION_AMOUNT if has_trial(product, mode) else product.price
    session = CheckoutSession(
        id=new_id("cs", 24),
        product=product,
        mode=mode,
        status=Status.PENDING,
        amount=0 if mode == Mode.SETUP else amount,
        currency=product.currency,
        success_url=success_url,
        cancel_url=cancel_url,
        customer_email=customer_email,
        customer_name=customer_name,
        external_customer_id=external_customer_id,
        metadata=metadata,
        payment_link=payment_link,
        expires_at=now + timedelta(seconds=float(emulator_settings.CHECKOUT_SESSION_TTL)),
        created_at=now,
    )
    if promotion_code:
        try:
            _apply(session, promotion_code)
        except CheckoutError:
            if payment_link is None:
                raise
            # A link's code that is no longer valid: the visit pays the full price.
    session.save(force_insert=True)
    outbox.emit("checkout.created", representations.checkout_session(session))
    return session


def _base_amount(session: CheckoutSession) -> int:
    """What the session charges before any discount."""
    if session.mode == Mode.SETUP:
        return 0
    product = session.product
    return TRIAL_VERIFICATION_AMOUNT if has_trial(product, session.mode) else product.price


def _known_customer(session: CheckoutSession) -> Any:
    if session.customer is not None:
        return session.customer
    return customers.lookup(external_id=session.external_customer_id, email=session.customer_email)


def _apply(session: CheckoutSession, code: str, customer: Any = None) -> None:
    """Put promotion ``code`` on the (unsaved or locked) session and reprice it.

    During a trial the verification charge is not discounted: the code takes effect
    from the first full charge (see :mod:`~recur_django.emulator.services.promotions`).
    """
    if session.mode == Mode.SETUP:
        raise CheckoutError("promotion_code_invalid", str(_("This checkout takes no payment.")))
    if session.product.type == Product.Type.DONATION:
        raise CheckoutError(
            "promotion_code_invalid", str(_("Promotion codes do not apply to donations."))
        )
    promo = promotions.find(code)
    if promo is None:
        raise CheckoutError("promotion_code_invalid", str(_("This promotion code is not valid.")))
    try:
        promotions.check(
            promo,
            amount=session.product.price,
            customer=customer if customer is not None else _known_customer(session),
        )
    except promotions.PromotionError as exc:
        raise CheckoutError(exc.code, exc.message) from exc
    base = _base_amount(session)
    off = 0 if has_trial(session.product, session.mode) else promo.coupon.discount_on(base)
    session.promotion = promo
    session.promotion_code = promo.code
    session.discount_amount = off
    session.amount = base - off


def _locked_pending(session_id: str) -> CheckoutSession:
    session = (
        CheckoutSession.objects.select_for_update(of=("self",))
        .select_related("product", "payment_link", "customer")
        .filter(id=session_id)
        .first()
    )
    if session is None:
        raise CheckoutError("resource_not_found", str(_("This checkout does not exist.")))
    refresh_status(session)
    if session.status == Status.COMPLETE:
        raise CheckoutError("checkout_completed", str(_("This checkout is already paid.")))
    if session.status == Status.EXPIRED:
        raise CheckoutError("checkout_expired", str(_("This checkout has expired.")))
    return session


def apply_code(session_id: str, code: str) -> CheckoutSession:
    """Apply a promotion code the buyer typed on the hosted page (or remove it: ``""``)."""
    with transaction.atomic():
        session = _locked_pending(session_id)
        if code.strip():
            _apply(session, code.strip())
        else:
            session.promotion = None
            session.promotion_code = ""
            session.discount_amount = 0
            session.amount = _base_amount(session)
        session.save(update_fields=["promotion", "promotion_code", "discount_amount", "amount"])
    return session


def refresh_status(session: CheckoutSession) -> CheckoutSession:
    """Mark a lapsed PENDING session EXPIRED (sessions expire lazily)."""
    if session.status == Status.PENDING and session.expires_at <= clock.now():
        session.status = Status.EXPIRED
        session.save(update_fields=["status"])
    return session


def normalize_card(card_number: str) -> str:
    """Digits of ``card_number`` (spaces and dashes allowed); raises on anything else."""
    digits = re.sub(r"[\s-]", "", card_number or "")
    if not re.fullmatch(r"\d{12,19}", digits):
        raise CheckoutError("invalid_card", str(_("Enter a valid card number.")))
    return digits


def donation_amount(session: CheckoutSession, amount: str | int | None) -> int:
    """The whole TWD a donor chose (the product's price when none was typed)."""
    if amount in (None, ""):
        return session.amount
    text = str(amount).strip().replace(",", "")
    if not text.isdigit() or not 1 <= int(text) <= 10_000_000:
        raise CheckoutError("invalid_amount", str(_("Enter a whole amount of at least NT$1.")))
    return int(text)


def pay(
    session_id: str,
    card_number: str,
    email: str = "",
    name: str = "",
    amount: str | int | None = None,
) -> PaymentResult:
    """Charge ``card_number`` for the session, in one transaction with its events.

    ``amount`` is what a donor chose (``DONATION`` products only; ignored otherwise).
    """
    digits = normalize_card(card_number)
    with transaction.atomic():
        session = _locked_pending(session_id)
        if session.product.type == Product.Type.DONATION and session.mode != Mode.SETUP:
            session.amount = donation_amount(session, amount)
        link = session.payment_link
        if link is not None and _link_exhausted(link):
            raise CheckoutError(
                "link_exhausted", str(_("This payment link is no longer available."))
            )
        email = (session.customer_email or email).strip()
        if not email or "@" not in email:
            raise CheckoutError("email_required", str(_("Enter your email address.")))
        customer = customers.find_or_create(
            email, name or session.customer_name, session.external_customer_id
        )
        session.customer = customer
        if session.promotion_id is not None:
            _apply(session, session.promotion_code, customer)  # limits may have been reached
        if digits not in SUCCESS_CARDS:
            code, message = DECLINE_CARDS.get(
                digits, ("INVALID_CARD", _("This card is not a sandbox test card."))
            )
            return _decline(session, digits, code, str(message))
        return _complete(session, digits)


def _link_exhausted(link: PaymentLink) -> bool:
    limit = link.max_completions
    return not link.active or (limit is not None and link.completed_count >= limit)


def _billing_reason(session: CheckoutSession) -> str:
    if has_trial(session.product, session.mode):
        return "trial_verification"
    return "subscription_create" if session.mode == Mode.SUBSCRIPTION else "purchase"


def _order(session: CheckoutSession, status: str, card: str, **extra: Any) -> Order:
    assert session.customer is not None
    reason = _billing_reason(session)
    return Order.objects.create(
        id=new_id("ord"),
        kind=Order.Kind.VERIFICATION if reason == "trial_verification" else Order.Kind.CHECKOUT,
        billing_reason=reason,
        customer=session.customer,
        product=session.product,
        checkout_session=session,
        status=status,
        amount=session.amount,
        discount_amount=session.discount_amount,
        currency=session.currency,
        card_last4=card[-4:],
        created_at=clock.now(),
        **extra,
    )


def _decline(session: CheckoutSession, card: str, code: str, message: str) -> PaymentResult:
    order = _order(
        session, Order.Status.FAILED, card, failure_code=code, failure_reason=message[:200]
    )
    session.last_failure = message[:200]
    session.save(update_fields=["customer", "last_failure"])
    outbox.emit("order.payment_failed", representations.order(order))
    return PaymentResult(session, False, code, message)


def _complete(session: CheckoutSession, card: str) -> PaymentResult:
    assert session.customer is not None
    sub = None
    if session.mode == Mode.SUBSCRIPTION:
        sub = subscriptions.start(session.customer, session.product)
        if session.promotion is not None:
            trial = has_trial(session.product, session.mode)
            promotions.attach(sub, session.promotion.coupon, first_period_paid=not trial)
            sub.save(update_fields=["coupon", "coupon_remaining_cycles"])
        session.subscription = sub
    if session.promotion is not None:
        promotions.redeem(session, session.customer)
    order = None
    if session.mode != Mode.SETUP:
        order = _order(session, Order.Status.PAID, card, subscription=sub, paid_at=clock.now())
        session.order = order
        outbox.emit("order.paid", representations.order(order))
        credits.grant(order)
    if sub is not None:
        subscriptions.activate(sub)
    session.status = Status.COMPLETE
    session.completed_at = clock.now()
    session.last_failure = ""
    session.save()
    if session.payment_link_id:
        PaymentLink.objects.filter(pk=session.payment_link_id).update(
            completed_count=F("completed_count") + 1
        )
    outbox.emit("checkout.completed", representations.checkout_session(session))
    return PaymentResult(session, True)
