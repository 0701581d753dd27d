"""The shop after the first payment: the account lists every payment and refund, and a
credits subscription grants its credits on every renewal, exactly once per payment."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.test import TestCase
from django.urls import reverse

from example_project.shop.models import CreditEntry
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
        self.user = get_user_model().objects.create_user("buyer", "buyer@example.com", "pw")
        self.customer = Customer.objects.create(recur_id="cus_shop", owner=self.user)
        self.sub = Subscription.objects.create(
            recur_id="sub_shop",
            customer=self.customer,
            product_id="prod_credits_monthly",
            product_slug="credits-monthly",
            product_name="500 credits every month",
            status="ACTIVE",
            amount=450,
        )

    def deliver(self, event: dict[str, Any]) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            response = post_event(self.client, event, secret=SECRET)
        self.assertEqual(response.status_code, 200, response.content)

    def test_credits_subscription_grants_credits_on_every_renewal_once(self) -> None:
        first = envelope("invoice.paid", invoice("in_1", "prod_credits_monthly", 450))
        self.deliver(first)
        self.deliver(first)  # a duplicate delivery
        self.deliver(envelope("invoice.paid", invoice("in_1", "prod_credits_monthly", 450)))
        self.assertEqual(CreditEntry.balance(self.user), 500)
        self.deliver(envelope("invoice.paid", invoice("in_2", "prod_credits_monthly", 450)))
        self.deliver(envelope("order.paid", {**invoice("in_2", "", 450), "id": "ord_2"}))
        self.assertEqual(CreditEntry.balance(self.user), 1000)
        self.assertEqual(CreditEntry.objects.filter(payment__isnull=False).count(), 2)

    def test_other_subscriptions_grant_no_credits(self) -> None:
        Subscription.objects.filter(pk=self.sub.pk).update(
            product_id="prod_pro_monthly", product_slug="pro-monthly"
        )
        self.deliver(envelope("invoice.paid", invoice("in_1", "prod_pro_monthly", 299)))
        self.assertEqual(CreditEntry.balance(self.user), 0)

    def test_account_page_lists_every_payment_and_refund(self) -> None:
        self.deliver(envelope("invoice.paid", invoice("in_1", "prod_credits_monthly", 450)))
        self.deliver(envelope("invoice.paid", invoice("in_2", "prod_credits_monthly", 450)))
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
