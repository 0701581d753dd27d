"""Tests of the example shop (run by ``make test``: ``manage.py test example_project.shop``)."""

from __future__ import annotations

import importlib.util
import os
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest import mock
from urllib.parse import parse_qs, urlsplit

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from example_project.shop.models import CreditEntry
from recur_django.models import Customer, Subscription, Transaction
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
            owner=self.user,
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
            owner=self.user,
            user=self.user,
            product_id="prod_ebook",
            product_name="E-book",
            amount=590,
        )
        self.client.force_login(self.user)
        response = self.client.get(reverse("shop:account"))
        self.assertContains(response, "E-book")
        self.assertContains(response, "NT$590")
        self.assertContains(response, f'action="{reverse("recur:portal")}"')

    def test_account_and_credits_need_a_login(self) -> None:
        for name in ("shop:account", "shop:credits"):
            response = self.client.get(reverse(name))
            self.assertRedirects(
                response, f"{reverse('login')}?next={reverse(name)}", fetch_redirect_response=False
            )


@override_settings(RECUR=UNREACHABLE, LANGUAGE_CODE="en")
class AccountStateTests(TestCase):
    def setUp(self) -> None:
        self.user = get_user_model().objects.create_user("buyer", "buyer@example.com", "pw")
        self.customer = Customer.objects.create(owner=self.user, recur_id="cus_buyer")
        self.client.force_login(self.user)
        self.now = timezone.now()
        cache.clear()
        self.addCleanup(cache.clear)

    def subscribe(self, **fields: object) -> Subscription:
        values: dict[str, object] = {
            "recur_id": "sub_1",
            "customer": self.customer,
            "product_slug": "pro-monthly",
            "product_name": "Pro (monthly)",
            "status": "ACTIVE",
            "amount": 2990,
            "current_period_end": self.now + timedelta(days=20),
        }
        values.update(fields)
        return Subscription.objects.create(**values)

    def test_canceled_at_period_end_reads_active_until_the_date(self) -> None:
        for status in ("ACTIVE", "CANCELED"):
            with self.subTest(status=status):
                Subscription.objects.all().delete()
                self.subscribe(status=status, cancel_at_period_end=True)
                html = self.client.get(reverse("shop:account")).content.decode()
                self.assertIn("Active — cancels on", html)
                self.assertNotIn("cancels at period end)", html)
                self.assertNotIn("Canceled", html)

    def test_immediately_canceled_plan_shows_when_it_ended(self) -> None:
        # Canceled at once: Recur ends the period when it cancels (a plan canceled for the
        # period end keeps access until then, so it reads "Active — cancels on …").
        canceled_at = self.now - timedelta(days=3)
        self.subscribe(status="CANCELED", canceled_at=canceled_at, current_period_end=canceled_at)
        response = self.client.get(reverse("shop:account"))
        day = date_format(timezone.localtime(canceled_at), "DATE_FORMAT")
        later = date_format(timezone.localtime(self.now + timedelta(days=20)), "DATE_FORMAT")
        self.assertContains(response, f"Ended on {day}")
        self.assertNotContains(response, later)

    def test_prices_read_nt_dollars_in_both_languages(self) -> None:
        self.subscribe()
        Transaction.objects.create(
            owner=self.user, user=self.user, product_id="prod_x", amount=2990
        )
        for language in ("en", "zh-hant"):
            with self.subTest(language=language), translation.override(language):
                response = self.client.get(
                    reverse("shop:account"), headers={"accept-language": language}
                )
                self.assertContains(response, "NT$2,990", count=2)
                self.assertNotContains(response, "TWD 2990")

    def test_latest_decline_is_shown(self) -> None:
        Transaction.objects.create(
            owner=self.user,
            user=self.user,
            product_id="prod_x",
            status="failed",
            failure_reason="Card expired.",
        )
        self.assertContains(self.client.get(reverse("shop:account")), "Card expired.")

    def test_pricing_page_marks_the_plan_the_user_holds(self) -> None:
        self.subscribe()
        product = SimpleNamespace(
            id="prod_pro_monthly",
            slug="pro-monthly",
            name="Pro (monthly)",
            description="",
            type="SUBSCRIPTION",
            billing_period="MONTHLY",
            price=2990,
            currency="TWD",
        )
        other = SimpleNamespace(**{**vars(product), "id": "prod_y", "slug": "pro-yearly"})
        cache.set("shop:products", [product, other], 60)
        html = self.client.get(reverse("shop:pricing")).content.decode()
        self.assertEqual(html.count("Current plan"), 1)
        self.assertIn("NT$2,990", html)
        self.assertEqual(html.count('name="product" value="pro-yearly"'), 1)
        self.assertNotIn('name="product" value="pro-monthly"', html)

    def test_subscribe_while_logged_out_continues_to_checkout_after_login(self) -> None:
        self.client.logout()
        response = self.client.post(
            reverse("recur:checkout"),
            {"product": "pro-monthly"},
            headers={"referer": "http://testserver/"},
        )
        login_url = response["Location"]
        self.assertTrue(login_url.startswith(reverse("login")))
        response = self.client.post(
            login_url, {"username": "buyer", "password": "pw", "next": parse_next(login_url)}
        )
        resume = response["Location"]
        self.assertEqual(resume, reverse("recur:checkout") + "?product=pro-monthly")
        page = self.client.get(resume)
        self.assertContains(page, f'action="{reverse("recur:checkout")}"')
        self.assertContains(page, 'name="product" value="pro-monthly"')
        self.assertContains(page, ".submit()")

    def test_return_page_uses_the_shop_layout_and_says_what_was_not_found(self) -> None:
        response = self.client.get(reverse("recur:checkout-return"), {"session_id": "cs_nope"})
        self.assertEqual(response.status_code, 404)
        self.assertContains(response, "Example shop", status_code=404)
        self.assertContains(response, "We could not find this checkout", status_code=404)
        self.assertNotContains(response, "could not start your checkout", status_code=404)


def parse_next(url: str) -> str:
    return parse_qs(urlsplit(url).query)["next"][0]


class DemoPortTests(TestCase):
    """`make demo PORT=…` sets RECUR_DEMO_PORT for the server and records the port in
    .demo-port; the API base and webhook URL follow it, in every later command too."""

    def load_settings(self, port: str | None, recorded: str | None = None) -> Any:
        def read_recorded(path: Path, *args: Any, **kwargs: Any) -> str:
            if path.name != ".demo-port":
                return real_read_text(path, *args, **kwargs)
            if recorded is None:
                raise FileNotFoundError(path)
            return recorded

        real_read_text = Path.read_text
        with (
            mock.patch.dict(os.environ, {}, clear=False),
            mock.patch.object(Path, "read_text", read_recorded),
        ):
            os.environ.pop("RECUR_DEMO_PORT", None)
            if port is not None:
                os.environ["RECUR_DEMO_PORT"] = port
            spec = importlib.util.spec_from_file_location("_demo_settings", SETTINGS_FILE)
            assert spec and spec.loader
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        return module

    def test_a_later_command_reads_the_port_make_demo_recorded(self) -> None:
        demo = self.load_settings(None, recorded="8765\n")
        self.assertEqual(demo.RECUR["API_BASE"], "http://127.0.0.1:8765/_recur")
        self.assertEqual(
            demo.RECUR_EMULATOR["WEBHOOK_URL"], "http://127.0.0.1:8765/billing/webhook/"
        )
        overridden = self.load_settings("8123", recorded="8765")
        self.assertEqual(overridden.RECUR["API_BASE"], "http://127.0.0.1:8123/_recur")
        garbage = self.load_settings(None, recorded="not a port")
        self.assertEqual(garbage.RECUR["API_BASE"], "http://127.0.0.1:8000/_recur")

    def test_one_variable_moves_api_base_and_webhook_url(self) -> None:
        demo = self.load_settings("8123")
        self.assertEqual(demo.RECUR["API_BASE"], "http://127.0.0.1:8123/_recur")
        self.assertEqual(
            demo.RECUR_EMULATOR["WEBHOOK_URL"], "http://127.0.0.1:8123/billing/webhook/"
        )

    def test_port_8000_by_default(self) -> None:
        demo = self.load_settings(None)
        self.assertEqual(demo.RECUR["API_BASE"], "http://127.0.0.1:8000/_recur")
