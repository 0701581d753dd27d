"""``/v1/checkout/sessions``: create (secret or publishable key) and retrieve."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse

from recur_django.emulator import representations
from recur_django.emulator.api.base import ApiView, ok
from recur_django.emulator.api.errors import ApiError, invalid, not_found
from recur_django.emulator.models import CheckoutSession, Product
from recur_django.emulator.redirects import check_url
from recur_django.emulator.services import catalog, checkout

MODES = {m.value for m in CheckoutSession.Mode}


class CheckoutSessionsView(ApiView):
    publishable_methods = frozenset({"POST"})

    def post(self, request: HttpRequest) -> HttpResponse:
        p = self.body
        product_id = p.text("product_id", max_length=100)
        slug = p.text("product_slug", max_length=100)
        if not product_id and not slug:
            raise invalid("product_id (or product_slug) is required.")
        metadata = p.mapping("metadata")
        if metadata is not None and not self.caller.is_secret:
            raise ApiError(403, "forbidden", "metadata can only be set with a secret key.")
        mode = p.text("mode", max_length=20).upper()
        if mode and mode not in MODES:
            raise invalid(f"mode must be one of {', '.join(sorted(MODES))}.")
        # Recur requires both, HTTPS; the host rule keeps a pk_ key from making an open redirect.
        success_url = check_url(
            "success_url", p.url("success_url", required=True), request, https=True
        )
        cancel_url = check_url(
            "cancel_url", p.url("cancel_url", required=True), request, https=True
        )
        email = p.text("customer_email", max_length=254)
        if email and "@" not in email:
            raise invalid("customer_email is not an email address.")
        product = catalog.find_product(product_id, slug)
        if product is None:
            raise not_found("product", product_id or slug)
        if mode == CheckoutSession.Mode.SUBSCRIPTION and product.type != Product.Type.SUBSCRIPTION:
            raise invalid("mode SUBSCRIPTION needs a SUBSCRIPTION product.")
        if mode == CheckoutSession.Mode.PAYMENT and product.type == Product.Type.SUBSCRIPTION:
            raise invalid("mode PAYMENT cannot buy a SUBSCRIPTION product.")
        with transaction.atomic():
            session = _create(
                product=product,
                mode=mode,
                success_url=success_url,
                cancel_url=cancel_url,
                customer_email=email,
                customer_name=p.text("customer_name", max_length=200),
                external_customer_id=p.text("external_customer_id", max_length=200),
                metadata=_string_values(metadata),
                promotion_code=p.text("promotion_code", max_length=100),
            )
        return ok(representations.checkout_session(session, request), status=200)


def _create(**fields: Any) -> CheckoutSession:
    try:
        return checkout.create_session(**fields)
    except checkout.CheckoutError as exc:  # a promotion code that cannot be used
        raise ApiError(400, exc.code, exc.message) from exc


def _string_values(metadata: dict[str, Any] | None) -> dict[str, Any] | None:
    if metadata is None:
        return None
    for key, value in metadata.items():
        if not isinstance(value, str | int | float | bool) and value is not None:
            raise invalid(f"metadata[{key!r}] must be a string, number or boolean.")
    return metadata


class CheckoutSessionDetailView(ApiView):
    def get(self, request: HttpRequest, session_id: str) -> HttpResponse:
        session = CheckoutSession.objects.select_related("customer").filter(id=session_id).first()
        if session is None:
            raise not_found("checkout session", session_id)
        checkout.refresh_status(session)
        return ok(representations.checkout_session(session, request))
