"""``/v1/payment-links``: create, list, retrieve, update, soft delete."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from recur_django.emulator import representations
from recur_django.emulator.api.base import ApiView, ok, paginate
from recur_django.emulator.api.errors import invalid, not_found
from recur_django.emulator.models import PaymentLink
from recur_django.emulator.services import catalog, payment_links

COLLECT = {"always", "if_required"}


def _updatable(p: Any, *, creating: bool) -> dict[str, Any]:
    """The optional fields present in the body; an explicit null clears a field."""
    fields: dict[str, Any] = {}
    if p.has("promotion_code"):
        fields["promotion_code"] = p.text("promotion_code", max_length=100) or None
    if p.has("collect_payment_method"):
        value = p.text("collect_payment_method", max_length=20) or "always"
        if value not in COLLECT:
            raise invalid("collect_payment_method must be 'always' or 'if_required'.")
        fields["collect_payment_method"] = value
    if p.has("success_url"):
        fields["success_url"] = p.url("success_url") or None
    if p.has("max_completions"):
        fields["max_completions"] = p.integer("max_completions", minimum=1)
    if p.has("metadata"):
        fields["metadata"] = p.mapping("metadata")
    if not creating and p.has("active"):
        active = p.boolean("active")
        if active is None:
            raise invalid("active must be a boolean.")
        fields["active"] = active
    return fields


def _get(link_id: str) -> PaymentLink:
    link = PaymentLink.objects.select_related("product").filter(id=link_id).first()
    if link is None:
        raise not_found("payment link", link_id)
    return link


class PaymentLinksView(ApiView):
    def get(self, request: HttpRequest) -> HttpResponse:
        links = PaymentLink.objects.select_related("product")
        active = self.query.boolean("active")
        if active is not None:
            links = links.filter(active=active)
        items, has_more = paginate(links, self.query, default=20)
        data = [representations.payment_link(link, request) for link in items]
        return ok({"object": "list", "data": data, "has_more": has_more})

    def post(self, request: HttpRequest) -> HttpResponse:
        p = self.body
        product_id = p.text("product_id", max_length=100)
        slug = p.text("product_slug", max_length=100)
        if not product_id and not slug:
            raise invalid("product_id (or product_slug) is required.")
        fields = _updatable(p, creating=True)
        product = catalog.find_product(product_id, slug)
        if product is None:
            raise not_found("product", product_id or slug)
        link = payment_links.create(product, **fields)
        return ok(representations.payment_link(link, request))


class PaymentLinkDetailView(ApiView):
    http_method_names = ["get", "post", "patch", "delete"]

    def get(self, request: HttpRequest, link_id: str) -> HttpResponse:
        return ok(representations.payment_link(_get(link_id), request))

    def patch(self, request: HttpRequest, link_id: str) -> HttpResponse:
        link = _get(link_id)
        link = payment_links.update(link, **_updatable(self.body, creating=False))
        return ok(representations.payment_link(link, request))

    post = patch  # Stripe-style clients update with POST

    def delete(self, request: HttpRequest, link_id: str) -> HttpResponse:
        link = _get(link_id)
        payment_links.deactivate(link)
        return ok({"id": link.id, "deleted": True})
