"""``/v1/customers/{id}/credits`` (balance) and ``…/credits/deduct`` (secret key).

A deduction is idempotent twice over: the API's ``Idempotency-Key`` replays the stored
answer (:class:`~recur_django.emulator.api.base.ApiView`), and the key is kept on the
credit transaction, so even two requests with one key arriving together deduct once.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from recur_django.emulator import representations
from recur_django.emulator.api.base import ApiView, ok
from recur_django.emulator.api.errors import ApiError
from recur_django.emulator.models import Customer
from recur_django.emulator.services import credits


class CreditBalanceView(ApiView):
    def get(self, request: HttpRequest, customer_id: str) -> HttpResponse:
        customer = Customer.objects.filter(id=customer_id).first()
        if customer is None:
            raise ApiError(404, "customer_not_found", f"No such customer: {customer_id!r}.")
        return ok(
            {
                "object": "credit_balance",
                "customer_id": customer.id,
                "balance": customer.credit_balance,
            }
        )


class CreditDeductView(ApiView):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, customer_id: str) -> HttpResponse:
        p = self.body
        amount = p.integer("amount", minimum=1)
        if amount is None:
            raise ApiError(400, "invalid_request", "amount is required.")
        description = p.text("description", max_length=credits.MAX_DESCRIPTION)
        key = request.headers.get("Idempotency-Key", "").strip()
        try:
            entry = credits.deduct(customer_id, amount, description, key)
        except credits.CreditError as exc:
            raise ApiError(exc.status, exc.code, exc.message) from exc
        return ok(representations.credit_transaction(entry))
