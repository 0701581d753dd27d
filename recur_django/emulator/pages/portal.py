"""The customer portal page ``portal/<id>``: subscriptions, cancel, switch plan, edit the
customer's name and email, back to the site."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from recur_django.emulator import clock
from recur_django.emulator.models import Customer, PortalSession, Product, Subscription
from recur_django.emulator.pages.checkout import _SeeOther
from recur_django.emulator.services import customers, plans, portal, subscriptions

LANGUAGES = {"zh-TW": "zh-hant", "en": "en"}


def _session_or_error(request: HttpRequest, session_id: str) -> PortalSession | HttpResponse:
    session = PortalSession.objects.select_related("customer").filter(id=session_id).first()
    if session is None:
        return render(request, "recur_emulator/not_found.html", status=404)
    if portal.status_of(session) != "active":
        return render(
            request, "recur_emulator/portal_expired.html", {"session": session}, status=410
        )
    return session


@require_GET
def portal_page(request: HttpRequest, session_id: str) -> HttpResponse:
    session = _session_or_error(request, session_id)
    if isinstance(session, HttpResponse):
        return session
    if session.accessed_at is None:
        session.accessed_at = clock.now()
        session.save(update_fields=["accessed_at"])
    subs = list(
        session.customer.subscriptions.select_related("product", "scheduled_product").order_by(
            "-created_at"
        )
    )
    for sub in subs:
        live = sub.status in (Subscription.Status.ACTIVE, Subscription.Status.TRIAL)
        sub.plan_options = plans.family_plans(sub) if live else []  # type: ignore[attr-defined]
    context = {
        "session": session,
        "customer": session.customer,
        "subscriptions": subs,
        "live_statuses": list(Subscription.LIVE_STATUSES),
        "message": request.GET.get("done", "")[:20],
        "error": request.GET.get("error", "")[:40],
    }
    with translation.override(LANGUAGES.get(session.locale) or translation.get_language()):
        return render(request, "recur_emulator/portal.html", context)


@csrf_exempt
@require_POST
def portal_cancel(request: HttpRequest, session_id: str) -> HttpResponse:
    session = _session_or_error(request, session_id)
    if isinstance(session, HttpResponse):
        return session
    sub_id = request.POST.get("subscription_id", "")[:64]
    at_period_end = request.POST.get("when", "period_end") != "now"
    with transaction.atomic():
        sub = _locked_subscription(session, sub_id, status__in=Subscription.LIVE_STATUSES)
        if sub is None:
            return render(request, "recur_emulator/not_found.html", status=404)
        subscriptions.cancel(sub, at_period_end=at_period_end)
    return _back(session, done="cancelled")


def _locked_subscription(
    session: PortalSession, sub_id: str, **filters: Any
) -> Subscription | None:
    """The session customer's subscription ``sub_id``, locked for update (inside a
    transaction), or None."""
    return (
        Subscription.objects.select_for_update(of=("self",))
        .select_related("customer", "product")
        .filter(id=sub_id, customer=session.customer, **filters)
        .first()
    )


def _back(session: PortalSession, **query: str) -> HttpResponse:
    url = reverse("recur_emulator:portal-page", args=[session.id])
    return _SeeOther(url + "?" + "&".join(f"{k}={v}" for k, v in query.items()))


@csrf_exempt
@require_POST
def portal_switch(request: HttpRequest, session_id: str) -> HttpResponse:
    """Switch a subscription to another plan of its product family."""
    session = _session_or_error(request, session_id)
    if isinstance(session, HttpResponse):
        return session
    sub_id = request.POST.get("subscription_id", "")[:64]
    product = Product.objects.filter(id=request.POST.get("product_id", "")[:64]).first()
    with transaction.atomic():
        sub = _locked_subscription(session, sub_id)
        if sub is None or product is None:
            return render(request, "recur_emulator/not_found.html", status=404)
        try:
            outcome = plans.switch(sub, product)
        except plans.PlanChangeError as exc:
            return _back(session, error=exc.code)
    return _back(session, done=outcome)


@csrf_exempt
@require_POST
def portal_customer(request: HttpRequest, session_id: str) -> HttpResponse:
    """Change the customer's name and email."""
    session = _session_or_error(request, session_id)
    if isinstance(session, HttpResponse):
        return session
    name = request.POST.get("name", "").strip()[:200]
    email = request.POST.get("email", "").strip()[:254]
    try:
        validate_email(email)
    except ValidationError:
        return _back(session, error="invalid_email")
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=session.customer_id)
        changed = customers.update(customer, name=name, email=email)
    return _back(session, done="customer" if changed else "unchanged")
