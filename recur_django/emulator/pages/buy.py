"""Payment-link landing page ``buy/<url_id>``: opens a checkout session per visit."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from recur_django.emulator.models import PaymentLink
from recur_django.emulator.pages.checkout import _SeeOther
from recur_django.emulator.services import payment_links


@require_GET
def buy(request: HttpRequest, url_id: str) -> HttpResponse:
    link = PaymentLink.objects.select_related("product").filter(url_id=url_id).first()
    if link is None:
        return render(request, "recur_emulator/not_found.html", status=404)
    payment_links.count_view(link)
    reason = payment_links.unavailable_reason(link)
    if reason is not None:
        return render(
            request, "recur_emulator/link_unavailable.html", {"reason": reason}, status=410
        )
    done = reverse("recur_emulator:checkout-done", args=["CHECKOUT_SESSION_ID"])
    done_url = request.build_absolute_uri(done).replace(
        "CHECKOUT_SESSION_ID", "{CHECKOUT_SESSION_ID}"
    )
    session = payment_links.open_session(link, success_url=done_url)
    return _SeeOther(reverse("recur_emulator:checkout-page", args=[session.id]))
