"""The shop's credits are Recur's: buy a pack on the emulator, spend credits (a double
submit spends once), and a refund takes the pack's credits back. Real HTTP: Django's live
server with the emulator mounted on it, delivering webhooks to the shop's own endpoint."""

from __future__ import annotations

import re
import uuid

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client, LiveServerTestCase
from django.urls import reverse

from example_project.shop.live_recur import recur_served_at
from recur_django import credits
from recur_django.emulator import sender
from recur_django.emulator.services import refunds
from recur_django.models import CreditTransaction, Transaction

GOOD_CARD = "4147631000000001"


class RecurCreditsTests(LiveServerTestCase):
    def setUp(self) -> None:
        base = self.live_server_url
        emulator = dict(settings.RECUR_EMULATOR)
        emulator.update(
            ENABLED=True,
            WEBHOOK_URL=base + reverse("recur:webhook"),
            WEBHOOK_DELIVERY="manual",
            WEBHOOK_RETRY_SCHEDULE=[0, 0, 0],
        )
        overrides = self.settings(RECUR=recur_served_at(base), RECUR_EMULATOR=emulator)
        overrides.enable()
        self.addCleanup(overrides.disable)
        self.user = get_user_model().objects.create_user("buyer", "buyer@example.com", "pw")
        self.browser = Client(SERVER_NAME="localhost")  # loopback: http:// return URLs
        self.browser.force_login(self.user)

    def deliver(self) -> None:
        deliveries = sender.deliver_pending()
        self.assertEqual({d.status for d in deliveries}, {"SUCCEEDED"})

    def buy(self, product: str) -> Transaction:
        response = self.browser.post(reverse("recur:checkout"), {"product": product})
        self.assertEqual(response.status_code, 303, response.content)
        txn = Transaction.objects.latest("created_at")
        paid = requests.post(
            f"{self.live_server_url}/_recur/checkout/{txn.checkout_session_id}/pay",
            data={"card_number": GOOD_CARD},
            allow_redirects=False,
            timeout=10,
        )
        self.assertEqual(paid.status_code, 303, paid.text)
        self.deliver()
        txn.refresh_from_db()
        return txn

    def spend(self, request_id: str) -> None:
        response = self.browser.post(reverse("shop:spend-credits"), {"request_id": request_id})
        self.assertRedirects(response, reverse("shop:credits"), fetch_redirect_response=False)

    def test_buy_spend_and_refund(self) -> None:
        txn = self.buy("credits-1000")
        self.assertEqual(credits.balance(self.user), 1000)
        page = self.browser.get(reverse("shop:credits")).content.decode()
        self.assertIn("<strong>1000</strong> credits", page)
        self.assertIn("+1000", page)  # the purchase, from the local ledger

        request_id = re.search(r'name="request_id" value="(\w+)"', page).group(1)
        self.spend(request_id)
        self.spend(request_id)  # pressed twice: one deduction on Recur
        self.assertEqual(credits.balance(self.user), 990)
        self.assertEqual(CreditTransaction.objects.filter(kind="deduction").count(), 1)
        self.deliver()  # credits.deducted finds the row recorded from deduct()'s answer
        self.assertEqual(CreditTransaction.objects.filter(kind="deduction").count(), 1)

        refunds.refund(txn.order_id)
        self.deliver()  # the refund's webhook: the shop takes the pack's credits back
        self.assertEqual(credits.balance(self.user), 0)
        account = self.browser.get(reverse("shop:account")).content.decode()
        self.assertIn("<strong>0</strong> credits", account)
        checkouts = account.split('class="checkouts"')[1].split("</table>")[0]
        self.assertIn("Refunded", checkouts)

    def test_a_partial_refund_takes_back_its_share(self) -> None:
        txn = self.buy("credits-100")
        refunds.refund(txn.order_id, 40)
        self.deliver()
        self.assertEqual(credits.balance(self.user), 60)
        account = self.browser.get(reverse("shop:account")).content.decode()
        self.assertIn("Partially refunded", account.split('class="checkouts"')[1])

    def test_spending_more_than_the_balance_says_so(self) -> None:
        page = self.browser.get(reverse("shop:credits"), follow=True)
        request_id = re.search(r'name="request_id" value="(\w+)"', page.content.decode()).group(1)
        response = self.browser.post(
            reverse("shop:spend-credits"), {"request_id": request_id}, follow=True
        )
        self.assertContains(response, "buy a credit pack first")
        self.buy("credits-100")
        for _ in range(10):
            self.spend(uuid.uuid4().hex)
        response = self.browser.post(
            reverse("shop:spend-credits"), {"request_id": "last"}, follow=True
        )
        self.assertContains(response, "do not have enough credits")
        self.assertEqual(credits.balance(self.user), 0)
