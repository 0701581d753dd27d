"""The hosted checkout page: ``GET checkout/<id>``, ``POST checkout/<id>/pay`` and
``POST checkout/<id>/code`` (apply or remove a promotion code).

The forms are CSRF-exempt on purpose: this page stands in for Recur's own domain,
which the integrating site's CSRF token does not cover.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from recur_django.emulator.models import CheckoutSession
from recur_django.emulator.services import checkout

TEST_CARDS = [
    ("4147 6310 0000 0001", "VISA", True),
    ("3560 5110 0000 0001", "JCB", True),
    ("4000 0000 0000 0002", "VISA", False),
]


class _SeeOther(HttpResponseRedirect):
    status_code = 303


def _page(
    request: HttpRequest, session: CheckoutSession, status: int = 200, **extra: Any
) -> HttpResponse:
    context = {"session": session, "product": session.product, "test_cards": TEST_CARDS, **extra}
    return render(request, "recur_emulator/checkout.html", context, status=status)


def _missing(request: HttpRequest) -> HttpResponse:
    return render(request, "recur_emulator/not_found.html", status=404)


@require_GET
def checkout_page(request: HttpRequest, session_id: str) -> HttpResponse:
    session = CheckoutSession.objects.select_related("product").filter(id=session_id).first()
    if session is None:
        return _missing(request)
    checkout.refresh_status(session)
    status = 410 if session.status == CheckoutSession.Status.EXPIRED else 200
    return _page(request, session, status)


@csrf_exempt
@require_POST
def checkout_pay(request: HttpRequest, session_id: str) -> HttpResponse:
    if not CheckoutSession.objects.filter(id=session_id).exists():
        return _missing(request)
    form = {
        "card_number": request.POST.get("card_number", "")[:40],
        "email": request.POST.get("email", "")[:254],
        "name": request.POST.get("name", "")[:200],
        "amount": request.POST.get("amount", "")[:20],
    }
    try:
        result = checkout.pay(
            session_id, form["card_number"], form["email"], form["name"], form["amount"] or None
        )
    except checkout.CheckoutError as exc:
        session = CheckoutSession.objects.select_related("product").get(id=session_id)
        status = {"checkout_expired": 410, "checkout_completed": 409, "link_exhausted": 410}
        return _page(request, session, status.get(exc.code, 400), error=exc.message, form=form)
    if not result.paid:
        return _page(request, result.session, 402, error=result.failure_message, form=form)
    return _SeeOther(result.redirect_url)


@csrf_exempt
@require_POST
def checkout_code(request: HttpRequest, session_id: str) -> HttpResponse:
    """Apply the promotion code typed on the page (an empty code removes the applied one)."""
    if not CheckoutSession.objects.filter(id=session_id).exists():
        return _missing(request)
    code = request.POST.get("code", "")[:40]
    try:
        checkout.apply_code(session_id, code)
    except checkout.CheckoutError as exc:
        session = CheckoutSession.objects.select_related("product").get(id=session_id)
        status = 410 if exc.code in ("checkout_expired", "checkout_completed") else 400
        return _page(request, session, status, code_error=exc.message, typed_code=code)
    return _SeeOther(reverse("recur_emulator:checkout-page", args=[session_id]))


@require_GET
def checkout_done(request: HttpRequest, session_id: str) -> HttpResponse:
    """Where payment links without a success URL land."""
    session = CheckoutSession.objects.select_related("product").filter(id=session_id).first()
    if session is None:
        return _missing(request)
    return render(request, "recur_emulator/done.html", {"session": session})
