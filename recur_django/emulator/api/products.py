"""``/v1/products`` (publishable key allowed), with the ``type`` filter."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from recur_django.emulator import representations
from recur_django.emulator.api.base import ApiView, ok
from recur_django.emulator.api.errors import invalid, not_found
from recur_django.emulator.models import Product
from recur_django.emulator.services import catalog

TYPES = {t.value for t in Product.Type}


class ProductsView(ApiView):
    publishable_methods = frozenset({"GET"})

    def get(self, request: HttpRequest) -> HttpResponse:
        catalog.ensure_products()
        products = Product.objects.filter(active=True)
        kind = self.query.text("type", max_length=20).upper()
        if kind:
            if kind not in TYPES:
                raise invalid(f"type must be one of {', '.join(sorted(TYPES))}.")
            products = products.filter(type=kind)
        data = [representations.product(p) for p in products.order_by("price", "id")]
        return ok({"object": "list", "products": data, "data": data})


class ProductDetailView(ApiView):
    publishable_methods = frozenset({"GET"})

    def get(self, request: HttpRequest, product_id: str) -> HttpResponse:
        product = catalog.find_product(product_id) or catalog.find_product(slug=product_id)
        if product is None:
            raise not_found("product", product_id)
        return ok(representations.product(product))
