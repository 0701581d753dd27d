"""``/v1/orders/{id}`` and ``/v1/invoices/{id}`` (secret key): one order or invoice.

Recur documents no such endpoints; the emulator answers them Stripe-like (the same
objects its ``order.*`` / ``invoice.*`` webhooks carry) so that the Django side's
confirmation of a charge (``recur_django.client.charges``) can be tested end to end.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from recur_django.emulator import representations
from recur_django.emulator.api.base import ApiView, ok
from recur_django.emulator.api.errors import not_found
from recur_django.emulator.models import Invoice, Order


class OrderDetailView(ApiView):
    def get(self, request: HttpRequest, order_id: str) -> HttpResponse:
        order = (
            Order.objects.select_related("customer", "product", "checkout_session")
            .filter(id=order_id)
            .first()
        )
        if order is None:
            raise not_found("order", order_id)
        return ok(representations.order(order))


class InvoiceDetailView(ApiView):
    def get(self, request: HttpRequest, invoice_id: str) -> HttpResponse:
        invoice = Invoice.objects.select_related("customer", "product").filter(id=invoice_id)
        found = invoice.first()
        if found is None:
            raise not_found("invoice", invoice_id)
        return ok(representations.invoice(found))
