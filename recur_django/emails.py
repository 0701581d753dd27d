"""Opt-in receipts and notices, mailed from the payment signals.

``RECUR["EMAILS"] = {"receipt": True, "payment_failed": True, "trial_ending": True,
"refund": True}`` (every kind off by default). Each kind is sent by a receiver of one
signal, which :func:`recur_django.signals.send_after_commit` sends once per payment or
event after the commit, so each mail goes out once:

===================  ======================  ==========================================
kind                 signal                  templates (``recur_django/emails/``)
===================  ======================  ==========================================
``receipt``          ``payment_succeeded``   ``receipt_subject.txt``, ``.txt``, ``.html``
                     (``einvoice_issued``)
``payment_failed``   ``payment_failed``      ``payment_failed_subject.txt``, …
``trial_ending``     ``trial_will_end``      ``trial_ending_subject.txt``, …
``refund``           ``payment_refunded``    ``refund_subject.txt``, …
===================  ======================  ==========================================

With e-invoicing on (``RECUR["EINVOICE"]``), the receipt of an invoiced payment waits for
its invoice: it is sent on ``einvoice_issued`` with the invoice number (``einvoice`` in the
templates' context), or on ``einvoice_failed`` without one (a retry that issues it later
sends the receipt again, with the number).

The recipient is the billing owner's e-mail (:func:`recur_django.owners.owner_email`: the
user's, or ``RECUR["OWNER_EMAIL"]`` for a team…), else the Recur customer's. Mails are rendered
in ``settings.LANGUAGE_CODE`` (never the language of Recur's webhook request) with
amounts as ``NT$590``; the subject and the text part are plain text (nothing is
HTML-escaped there), the HTML part is escaped; a
link (Recur's receipt URL, or ``RECUR["PORTAL_RETURN_URL"]``) is included only when it
is an absolute ``http(s)`` URL. A mail backend that fails is logged on
``recur_django.emails`` and never breaks the webhook.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.base import Template as DjangoTemplate
from django.template.context import make_context
from django.template.loader import get_template, render_to_string
from django.utils import translation

from recur_django import signals
from recur_django.conf import recur_settings
from recur_django.einvoice import factory as einvoice_factory
from recur_django.einvoice.issuing import invoiceable
from recur_django.money import format_twd
from recur_django.owners import owner_email, owner_name, payment_owner
from recur_django.safe_urls import is_http_url

logger = logging.getLogger("recur_django.emails")

KINDS = ("receipt", "payment_failed", "trial_ending", "refund")
TEMPLATE_DIR = "recur_django/emails"
RECEIPT_URL_KEYS = ("receipt_url", "receiptUrl", "hosted_invoice_url", "hostedInvoiceUrl")


def enabled(kind: str) -> bool:
    """Whether ``RECUR["EMAILS"][kind]`` is on."""
    value = recur_settings.get("EMAILS") or {}
    return isinstance(value, Mapping) and bool(value.get(kind))


def _recipient(owner: Any, customer: Any) -> str:
    email = owner_email(owner)
    if email:
        return email
    fallback = getattr(customer, "email", "") if customer is not None else ""
    if isinstance(fallback, str) and "@" in fallback and "\n" not in fallback:
        return fallback.strip()
    return ""


def _link(raw: Any) -> str:
    """Recur's receipt link when it sent a safe one, else the portal return URL, else ""."""
    candidates = [raw.get(key) for key in RECEIPT_URL_KEYS] if isinstance(raw, Mapping) else []
    candidates.append(recur_settings.get("PORTAL_RETURN_URL"))
    return str(next((url for url in candidates if is_http_url(url)), ""))


def _product_name(payment: Any) -> str:
    for owner in (payment.subscription, payment.transaction, payment.payment_link):
        if owner is not None:
            name = getattr(owner, "product_name", "") or getattr(owner, "product_slug", "")
            if name:
                return str(name)
    return str(payment.product_id or "")


def render_plain(template_name: str, context: dict[str, Any]) -> str:
    """Render a plain-text template (a subject, a text body) without HTML escaping.

    ``Tom & Jerry's`` stays as written, also in a project's own override that forgets
    ``{% autoescape off %}``; only the HTML part is escaped. Templates of another engine
    are rendered as that engine renders them.
    """
    template = get_template(template_name)
    inner = getattr(template, "template", None)
    if isinstance(inner, DjangoTemplate):
        return inner.render(make_context(context, autoescape=False))
    return str(template.render(context))


def send(kind: str, to: str, context: dict[str, Any]) -> bool:
    """Render ``kind``'s three templates and send them to ``to``; False when not sent."""
    if not to:
        logger.info("No e-mail address for the %s mail; not sent.", kind)
        return False
    try:
        with translation.override(settings.LANGUAGE_CODE):
            rendered = render_plain(f"{TEMPLATE_DIR}/{kind}_subject.txt", context)
            text = render_plain(f"{TEMPLATE_DIR}/{kind}.txt", context)
            html = render_to_string(f"{TEMPLATE_DIR}/{kind}.html", context)
        subject = " ".join(rendered.split())  # one line: no header injection
        message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
        message.attach_alternative(html, "text/html")
        message.send()
    except Exception as exc:  # a mail failure must never break the webhook
        logger.error(
            "Could not send the %s mail (%s); the payment is recorded.",
            kind,
            type(exc).__name__,
            exc_info=True,
        )
        return False
    logger.info("Sent the %s mail.", kind)
    return True


def _payment_context(payment: Any, **extra: Any) -> dict[str, Any]:
    return {
        "payment": payment,
        "product_name": _product_name(payment),
        "amount": format_twd(payment.amount, payment.currency),
        "name": owner_name(payment_owner(payment)) or getattr(payment.customer, "name", "") or "",
        "link": _link(payment.raw),
        **extra,
    }


def _payment_recipient(payment: Any) -> str:
    return _recipient(payment_owner(payment), payment.customer)


def send_receipt(sender: Any, payment: Any, **kwargs: Any) -> None:
    if enabled("receipt") and not (einvoice_factory.is_enabled() and invoiceable(payment)):
        send("receipt", _payment_recipient(payment), _payment_context(payment))


def send_receipt_with_invoice(sender: Any, einvoice: Any, **kwargs: Any) -> None:
    """With e-invoicing on, the receipt waits for the invoice: sent on ``einvoice_issued``
    (with its number), or on ``einvoice_failed`` of the invoice (without one)."""
    if enabled("receipt") and kwargs.get("allowance") is None:
        payment = einvoice.payment
        context = _payment_context(payment, einvoice=einvoice if einvoice.number else None)
        send("receipt", _payment_recipient(payment), context)


def send_payment_failed(sender: Any, payment: Any, reason: Any = "", **kwargs: Any) -> None:
    if enabled("payment_failed") and payment.paid_at is None:  # a retry already paid: quiet
        context = _payment_context(payment, reason=str(reason or payment.failure_reason or ""))
        send("payment_failed", _payment_recipient(payment), context)


def send_refund(sender: Any, payment: Any, amount: Any = None, **kwargs: Any) -> None:
    if enabled("refund"):
        refunded = format_twd(amount if amount is not None else 0, payment.currency)
        context = _payment_context(payment, refund_amount=refunded)
        send("refund", _payment_recipient(payment), context)


def send_trial_ending(sender: Any, subscription: Any, **kwargs: Any) -> None:
    if not enabled("trial_ending"):
        return
    customer = subscription.customer
    owner = customer.owner if customer is not None else None
    context = {
        "subscription": subscription,
        "product_name": subscription.product_name or subscription.product_slug,
        "amount": format_twd(subscription.amount, subscription.currency),
        "trial_end": subscription.trial_end or subscription.current_period_end,
        "name": owner_name(owner) or getattr(customer, "name", "") or "",
        "link": _link(None),
    }
    send("trial_ending", _recipient(owner, customer), context)


def connect() -> None:
    """Connect the receivers (from ``AppConfig.ready``; idempotent by ``dispatch_uid``)."""
    signals.payment_succeeded.connect(send_receipt, dispatch_uid="recur_django.emails.receipt")
    signals.einvoice_issued.connect(
        send_receipt_with_invoice, dispatch_uid="recur_django.emails.receipt_einvoice"
    )
    signals.einvoice_failed.connect(
        send_receipt_with_invoice, dispatch_uid="recur_django.emails.receipt_einvoice_failed"
    )
    signals.payment_failed.connect(
        send_payment_failed, dispatch_uid="recur_django.emails.payment_failed"
    )
    signals.payment_refunded.connect(send_refund, dispatch_uid="recur_django.emails.refund")
    signals.trial_will_end.connect(
        send_trial_ending, dispatch_uid="recur_django.emails.trial_ending"
    )
