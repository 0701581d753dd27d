"""Tests of the example shop (run by ``make test``: ``manage.py test example_project.shop``)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any
from unittest import mock

from django.contrib.auth import get_user_model
from django.test import TestCase, override_settings
from django.urls import reverse

from example_project.shop.models import CreditEntry
from recur_django.models import Transaction
from recur_django.signals import transaction_completed

SETTINGS_FILE = Path(__file__).resolve().parent.parent / "settings.py"

UNREACHABLE = {
    "SECRET_KEY": "sk_test_demo",
    "WEBHOOK_SECRET": "whsec_demo",
    "API_BASE": "http://127.0.0.1:1/_recur",
    "MAX_RETRIES": 0,
    "TIMEOUT": (0.5, 0.5),
}


class CreditsTests(TestCase):
    def setUp(self) -> None:
        self.user = get_user_model().objects.create_user("buyer", "buyer@example.com", "pw")

    def completed(self, product_id: str, product_slug: str = "") -> Transaction:
        txn = Transaction.objects.create(
            user=self.user,
            product_id=product_id,
            product_slug=product_slug,
            status=Transaction.Status.COMPLETED,
        )
        transaction_completed.send(sender=Transaction, transaction=txn, event=None)
        return txn

    def test_a_credit_pack_adds_its_credits_once(self) -> None:
        txn = self.completed("prod_credits_100", "credits-100")
        transaction_completed.send(sender=Transaction, transaction=txn, event=None)  # again
        self.assertEqual(CreditEntry.balance(self.user), 100)

    def test_packs_are_found_by_id_when_the_slug_is_unknown(self) -> None:
        self.completed("prod_credits_1000")
        self.completed("prod_credits_100")
        self.assertEqual(CreditEntry.balance(self.user), 1100)

    def test_other_products_add_no_credits(self) -> None:
        self.completed("prod_ebook", "ebook")
        self.assertEqual(CreditEntry.balance(self.user), 0)
        self.assertFalse(CreditEntry.objects.exists())


@override_settings(RECUR=UNREACHABLE)
class PageTests(TestCase):
    def setUp(self) -> None:
        self.user = get_user_model().objects.create_user("buyer", "buyer@example.com", "pw")

    def pricing_page(self) -> Any:
        # The expected warning (with its traceback) is captured here, not printed.
        with self.assertLogs("example_project.shop.views", "WARNING") as logs:
            response = self.client.get(reverse("shop:pricing"))
        self.assertIn(
            "Could not list Recur products from http://127.0.0.1:1/_recur", logs.output[0]
        )
        return response

    def test_pricing_page_renders_when_recur_is_unreachable(self) -> None:
        self.assertContains(self.pricing_page(), "Recur cannot be reached")

    def test_the_unreachable_notice_names_the_url_it_tried(self) -> None:
        response = self.pricing_page()
        self.assertContains(response, "<code>http://127.0.0.1:1/_recur</code>", html=False)

    def test_account_page_lists_payments_and_links_to_the_portal(self) -> None:
        Transaction.objects.create(
            user=self.user, product_id="prod_ebook", product_name="E-book", amount=590
        )
        self.client.force_login(self.user)
        response = self.client.get(reverse("shop:account"))
        self.assertContains(response, "E-book")
        self.assertContains(response, "TWD 590")
        self.assertContains(response, f'action="{reverse("recur:portal")}"')

    def test_account_and_credits_need_a_login(self) -> None:
        for name in ("shop:account", "shop:credits"):
            response = self.client.get(reverse(name))
            self.assertRedirects(
                response, f"{reverse('login')}?next={reverse(name)}", fetch_redirect_response=False
            )


class DemoPortTests(TestCase):
    """`make demo PORT=…` sets RECUR_DEMO_PORT; the API base and webhook URL follow it."""

    def load_settings(self, port: str | None) -> Any:
        with mock.patch.dict(os.environ, {}, clear=False):
            os.environ.pop("RECUR_DEMO_PORT", None)
            if port is not None:
                os.environ["RECUR_DEMO_PORT"] = port
            spec = importlib.util.spec_from_file_location("_demo_settings", SETTINGS_FILE)
            assert spec and spec.loader
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        return module

    def test_one_variable_moves_api_base_and_webhook_url(self) -> None:
        demo = self.load_settings("8123")
        self.assertEqual(demo.RECUR["API_BASE"], "http://127.0.0.1:8123/_recur")
        self.assertEqual(
            demo.RECUR_EMULATOR["WEBHOOK_URL"], "http://127.0.0.1:8123/billing/webhook/"
        )

    def test_port_8000_by_default(self) -> None:
        demo = self.load_settings(None)
        self.assertEqual(demo.RECUR["API_BASE"], "http://127.0.0.1:8000/_recur")
