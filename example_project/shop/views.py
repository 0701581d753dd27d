"""The shop's pages. Buying is a plain form POST to ``recur:checkout``; see the templates.

"Now" is the billing clock (``recur_django.clock.now()``): in the demo it is the emulator's,
so after ``recur_emulator advance --days 40`` a plan reads "Expired" here too.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from recur_django import clock as billing_clock
from recur_django import credits as recur_credits
from recur_django.client.errors import RecurError
from recur_django.conf import recur_settings
from recur_django.einvoice import factory as einvoice_factory
from recur_django.einvoice import preferences as invoice_preferences
from recur_django.einvoice.forms import InvoiceChoiceForm
from recur_django.models import InvoicePreference, Payment, Subscription, Transaction
from recur_django.products import ProductInfo, get_products

logger = logging.getLogger(__name__)

#: What the credits page's "Export a report" button costs.
REPORT_COST = 10


def recur_products() -> list[ProductInfo] | None:
    """Recur's products (cached by recur-django, refreshed by product events); ``None``
    when Recur cannot be reached."""
    try:
        return get_products()
    except Exception:  # any failure only hides the catalogue; the page still renders
        logger.warning(
            "Could not list Recur products from %s", recur_settings.get("API_BASE"), exc_info=True
        )
        return None


def credit_balance(user: Any) -> int | None:
    """The user's credits on Recur: 0 before any purchase, ``None`` when Recur cannot say."""
    try:
        return recur_credits.balance(user)
    except recur_credits.NoRecurCustomer:
        return 0
    except RecurError:
        logger.warning("Could not read the credit balance from Recur", exc_info=True)
        return None


def invoice_form(request: HttpRequest) -> InvoiceChoiceForm | None:
    """The e-invoice fields each buy button posts (prefilled with the buyer's remembered
    choice), when e-invoicing is on and the buyer is logged in. No ids: one copy per card."""
    if not einvoice_factory.is_enabled() or not request.user.is_authenticated:
        return None
    initial = invoice_preferences.initial_fields(request.user)
    return InvoiceChoiceForm(initial=initial, owner=request.user, auto_id=False)


def pricing(request: HttpRequest) -> HttpResponse:
    products = recur_products()
    return render(
        request,
        "shop/pricing.html",
        {
            "invoice_form": invoice_form(request),
            "unavailable": products is None,
            "api_base": recur_settings.get("API_BASE"),
            "subscriptions": [p for p in products or [] if p.type == "SUBSCRIPTION"],
            "one_time": [p for p in products or [] if p.type == "ONE_TIME"],
        },
    )


@login_required
def credits(request: HttpRequest) -> HttpResponse:
    products = recur_products()
    return render(
        request,
        "shop/credits.html",
        {
            "invoice_form": invoice_form(request),
            "unavailable": products is None,
            "api_base": recur_settings.get("API_BASE"),
            "packs": [p for p in products or [] if p.type == "CREDITS"],
            "balance": credit_balance(request.user),
            "entries": recur_credits.transactions(request.user)[:20],
            "report_cost": REPORT_COST,
            # One id per rendered form: a double-submit is one deduction on Recur.
            "request_id": uuid.uuid4().hex,
        },
    )


@login_required
@require_POST
def spend_credits(request: HttpRequest) -> HttpResponse:
    """Spend credits on a report. The form's id is the idempotency key, so pressing the
    button twice (or retrying after a lost answer) deducts once."""
    request_id = str(request.POST.get("request_id") or "")[:64]
    if not request_id.isalnum():
        messages.error(request, _("Reload the page and try again."))
        return redirect("shop:credits")
    try:
        recur_credits.deduct(
            request.user, REPORT_COST, "Report export", f"report-{request.user.pk}-{request_id}"
        )
    except recur_credits.NoRecurCustomer as exc:
        messages.error(request, exc.message)
    except recur_credits.InsufficientCredits as exc:
        messages.error(request, exc.message)
    except RecurError:
        logger.warning("Could not deduct credits on Recur", exc_info=True)
        messages.error(request, _("Recur could not be reached; nothing was spent. Try again."))
    else:
        messages.success(
            request, _("Your report is on its way: %(cost)d credits spent.") % {"cost": REPORT_COST}
        )
    return redirect("shop:credits")


def _day(value: Any) -> str:
    return date_format(timezone.localtime(value), "DATE_FORMAT")


def plan_state(sub: Subscription, now: Any = None) -> dict[str, Any]:
    """How the account page words a subscription at billing "now": ``label`` (the status),
    ``when`` (what happens on the date and the date) and ``css`` (the colour). A plan
    canceled at period end reads "Active — cancels on <date>" until then; a plan canceled
    at once, or one whose period has ended, shows the day it really ended.
    """
    now = now or billing_clock.now()
    end = sub.current_period_end
    Status = Subscription.Status
    if sub.grants_access(now=now):
        if sub.cancel_at_period_end or sub.status == Status.CANCELED:
            label = (
                _("Active — cancels on %(date)s") % {"date": _day(end)}
                if end
                else _("Active — cancels at period end")
            )
            when = _("Ends on %(date)s") % {"date": _day(end)} if end else ""
            return {"label": label, "when": when, "css": "active"}
        if sub.status == Status.PAST_DUE:
            when = _("Payment due since %(date)s") % {"date": _day(end)} if end else ""
            return {"label": sub.get_status_display(), "when": when, "css": "failed"}
        when = _("Renews on %(date)s") % {"date": _day(end)} if end else ""
        return {"label": sub.get_status_display(), "when": when, "css": "active"}
    if sub.status in (Status.ACTIVE, Status.TRIALING, Status.CANCELED, Status.EXPIRED):
        # No access now: canceled at once (ended_at), or the paid period is over.
        ended = sub.ended_at or (end if sub.cancel_at_period_end else (sub.canceled_at or end))
        if ended is not None and ended > now:
            ended = sub.canceled_at or now
        label = sub.get_status_display() if sub.status != Status.ACTIVE else _("Expired")
        when = _("Ended on %(date)s") % {"date": _day(ended)} if ended else ""
        return {"label": label, "when": when, "css": "canceled"}
    return {"label": sub.get_status_display(), "when": "", "css": sub.status.lower()}


def payment_history(user: Any, limit: int = 50) -> list[Payment]:
    """The user's payments, newest first, each with ``product_label`` and its refunds."""
    payments = list(
        Payment.objects.filter(Q(owner=user) | Q(customer__owner=user))
        .select_related("subscription", "transaction", "payment_link")
        .prefetch_related("refunds")[:limit]
    )
    for payment in payments:
        owners = (payment.subscription, payment.transaction, payment.payment_link)
        names = [getattr(o, "product_name", "") for o in owners if o is not None]
        payment.product_label = next((n for n in names if n), payment.product_id or "—")  # type: ignore[attr-defined]
    return payments


def checkouts(user: Any, limit: int = 20) -> list[Transaction]:
    """The user's checkouts, each with ``status_label`` and ``status_css``: a completed one
    whose payment was refunded reads "Refunded" or "Partially refunded"."""
    rows = list(Transaction.objects.filter(user=user).prefetch_related("payments")[:limit])
    refunded = {
        Payment.Status.REFUNDED: _("Refunded"),
        Payment.Status.PARTIALLY_REFUNDED: _("Partially refunded"),
    }
    for txn in rows:
        label, css = txn.get_status_display(), txn.status
        for payment in txn.payments.all():
            if payment.status in refunded:
                label, css = refunded[Payment.Status(payment.status)], "refunded"
        txn.status_label, txn.status_css = label, css  # type: ignore[attr-defined]
    return rows


@login_required
def account(request: HttpRequest) -> HttpResponse:
    now = billing_clock.now()
    return render(
        request,
        "shop/account.html",
        {
            "transactions": checkouts(request.user),
            "payments": payment_history(request.user),
            "plans": [
                (sub, plan_state(sub, now))
                for sub in Subscription.objects.filter(customer__owner=request.user)
            ],
            "balance": credit_balance(request.user),
            "einvoicing": einvoice_factory.is_enabled(),
            "invoice_preference": InvoicePreference.for_owner(request.user),
        },
    )


class SignupForm(UserCreationForm):
    """A username, a password and the e-mail address receipts and e-invoices go to."""

    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_("Receipts and e-invoices are sent there."),
    )

    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")


def signup(request: HttpRequest) -> HttpResponse:
    """Create an account (username and password) and log it in."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    if request.user.is_authenticated:
        return redirect(next_url or "shop:account")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome, %(name)s!") % {"name": user.get_username()})
        return redirect(next_url or "shop:account")
    return render(request, "registration/signup.html", {"form": form, "next": next_url})
