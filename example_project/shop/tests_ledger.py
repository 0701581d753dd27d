"""The shop after the first payment: the account lists every payment and refund."""

from __future__ import annotations

from typing import Any
from unittest import mock

from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import TestCase
from django.urls import reverse

from recur_django.models import Customer, Payment, Subscription
from tests.recur_helpers import envelope, post_event

SECRET = "whsec_demo"  # the example project's RECUR["WEBHOOK_SECRET"]


def invoice(id: str, product_id: str, amount: int, **extra: Any) -> dict[str, Any]:
    return {
        "object": "invoice",
        "id": id,
        "order_id": id.replace("in_", "ord_"),
        "amount": amount,
        "currency": "TWD",
        "status": "PAID",
        "customer_id": "cus_shop",
        "subscription_id": "sub_shop",
        "product_id": product_id,
        **extra,
    }


class LedgerPagesTests(TestCase):
    def setUp(self) -> None:
        # No e-invoices here (no provider to issue them): tests_einvoice has them.
        without_invoices = {k: v for k, v in settings.RECUR.items() if k != "EINVOICE"}
        overrides = self.settings(RECUR=without_invoices)
        overrides.enable()
        self.addCleanup(overrides.disable)
        self.user = get_user_model().objects.create_user("buyer", "buyer@example.com", "pw")
        self.customer = Customer.objects.create(recur_id="cus_shop", owner=self.user)
        self.sub = Subscription.objects.create(
            recur_id="sub_shop",
            customer=self.customer,
            product_id="prod_pro_monthly",
            product_slug="pro-monthly",
            product_name="Pro (monthly)",
            status="ACTIVE",
            amount=450,
        )
        balance = mock.patch("example_project.shop.views.credit_balance", return_value=0)
        balance.start()
        self.addCleanup(balance.stop)

    def deliver(self, event: dict[str, Any]) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            response = post_event(self.client, event, secret=SECRET)
        self.assertEqual(response.status_code, 200, response.content)

    def test_account_page_lists_every_payment_and_refund(self) -> None:
        self.deliver(envelope("invoice.paid", invoice("in_1", "prod_pro_monthly", 450)))
        self.deliver(envelope("invoice.paid", invoice("in_2", "prod_pro_monthly", 450)))
        refund = {"id": "re_1", "amount": 150, "currency": "TWD", "invoice_id": "in_2"}
        self.deliver(envelope("refund.succeeded", {**refund, "status": "SUCCEEDED"}))
        Payment.objects.create(recur_id="ord_someone_else", status="paid", amount=9999)
        self.client.force_login(self.user)
        html = self.client.get(reverse("shop:account")).content.decode()
        payments = html.split('class="payments"')[1].split("</table>")[0]
        self.assertEqual(payments.count("NT$450"), 2)
        self.assertIn("\u2212NT$150", payments)  # a minus sign
        self.assertIn("Partially refunded", payments)
        self.assertNotIn("NT$9,999", html)
