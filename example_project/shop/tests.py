"""Tests of the example shop (run by ``make test``: ``manage.py test example_project.shop``)."""

from __future__ import annotations

import importlib.util
import os
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import parse_qs, urlsplit

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from example_project.shop.management.commands.seed_demo import Command as SeedDemo
from recur_django import products
from recur_django.models import Customer, Payment, Subscription, Transaction

SETTINGS_FILE = Path(__file__).resolve().parent.parent / "settings.py"

UNREACHABLE = {
    "SECRET_KEY": "sk_test_demo",
    "WEBHOOK_SECRET": "whsec_demo",
    "API_BASE": "http://127.0.0.1:1/_recur",
    "MAX_RETRIES": 0,
    "TIMEOUT": (0.5, 0.5),
}


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

    def test_balances_say_when_recur_cannot_answer(self) -> None:
        Customer.objects.create(owner=self.user, recur_id="cus_buyer")
        self.client.force_login(self.user)
        with self.assertLogs("example_project.shop.views", "WARNING"):
            account = self.client.get(reverse("shop:account"))
        self.assertContains(account, "cannot be read from Recur")
        with self.assertLogs("example_project.shop.views", "WARNING"):
            page = self.client.get(reverse("shop:credits"))
        self.assertContains(page, "cannot be read from Recur")

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
        # The balance is Recur's (unreachable here); these tests read the rest of the page.
        balance = mock.patch("example_project.shop.views.credit_balance", return_value=0)
        balance.start()
        self.addCleanup(balance.stop)

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
        # Canceled at once: access ended then (ended_at), however much of the paid period
        # was left (a plan canceled for the period end reads "Active — cancels on …").
        canceled_at = self.now - timedelta(days=3)
        self.subscribe(status="CANCELED", canceled_at=canceled_at, ended_at=canceled_at)
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
        product = {
            "id": "prod_pro_monthly",
            "slug": "pro-monthly",
            "name": "Pro (monthly)",
            "type": "SUBSCRIPTION",
            "billing_period": "MONTHLY",
            "amount": 2990,
            "currency": "TWD",
        }
        other = {**product, "id": "prod_y", "slug": "pro-yearly"}
        cache.set(products.CACHE_KEY, [product, other], 60)
        html = self.client.get(reverse("shop:pricing")).content.decode()
        self.assertEqual(html.count("Current plan"), 1)
        self.assertIn("NT$2,990", html)
        self.assertEqual(html.count('name="product" value="pro-yearly"'), 1)
        self.assertNotIn('name="product" value="pro-monthly"', html)

    def test_pricing_page_offers_a_switch_for_another_plan_of_the_family(self) -> None:
        self.subscribe()
        product = {
            "id": "prod_pro_monthly",
            "slug": "pro-monthly",
            "name": "Pro (monthly)",
            "type": "SUBSCRIPTION",
            "amount": 299,
            "currency": "TWD",
            "family": "pro",
        }
        other = {**product, "id": "prod_pro_yearly", "slug": "pro-yearly", "name": "Pro (yearly)"}
        cache.set(products.CACHE_KEY, [product, other], 60)
        html = self.client.get(reverse("shop:pricing")).content.decode()
        self.assertEqual(html.count("Current plan"), 1)
        self.assertIn("Switch plan", html)  # not a checkout that would be refused
        self.assertNotIn('name="product" value="pro-yearly"', html)

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

    def test_labels_follow_the_billing_clock(self) -> None:
        # The emulator's clock moved 40 days on: the plan's period is over there.
        self.subscribe(cancel_at_period_end=True)
        later = self.now + timedelta(days=40)
        with override_settings(RECUR={**UNREACHABLE, "CLOCK": f"{__name__}.in_40_days"}):
            in_40_days.at = later  # type: ignore[attr-defined]
            html = self.client.get(reverse("shop:account")).content.decode()
        self.assertNotIn("Active", html.split('class="plans"')[1].split("</table>")[0])
        self.assertIn("Expired", html)
        self.assertIn("Ended on", html)

    def test_a_failed_renewal_shows_when_it_failed(self) -> None:
        failed_at = self.now - timedelta(days=2)
        payment = Payment.objects.create(
            recur_id="in_1",
            status="failed",
            amount=299,
            customer=self.customer,
            failed_at=failed_at,
        )
        Payment.objects.filter(pk=payment.pk).update(created_at=self.now - timedelta(days=30))
        html = self.client.get(reverse("shop:account")).content.decode()
        day = date_format(timezone.localtime(failed_at), "DATETIME_FORMAT")
        self.assertIn(day, html)

    def test_refunded_checkouts_say_so(self) -> None:
        for status, amount in (("refunded", 590), ("partially_refunded", 100)):
            txn = Transaction.objects.create(
                user=self.user, product_id=f"prod_{status}", status="completed", amount=590
            )
            Payment.objects.create(
                recur_id=f"ord_{status}",
                status=status,
                amount=590,
                refunded_amount=amount,
                transaction=txn,
            )
        rows = self.client.get(reverse("shop:account")).content.decode()
        checkouts = rows.split('class="checkouts"')[1].split("</table>")[0]
        self.assertIn("Partially refunded", checkouts)
        self.assertEqual(checkouts.count(">Refunded<"), 1)
        self.assertNotIn("Completed", checkouts)

    def test_return_page_uses_the_shop_layout_and_says_what_was_not_found(self) -> None:
        response = self.client.get(reverse("recur:checkout-return"), {"session_id": "cs_nope"})
        self.assertEqual(response.status_code, 404)
        self.assertContains(response, "Example shop", status_code=404)
        self.assertContains(response, "We could not find this checkout", status_code=404)
        self.assertNotContains(response, "could not start your checkout", status_code=404)


def parse_next(url: str) -> str:
    return parse_qs(urlsplit(url).query)["next"][0]


def in_40_days() -> Any:
    """A stand-in billing clock (``RECUR["CLOCK"]``) for the tests above."""
    return in_40_days.at  # type: ignore[attr-defined]


class SignUpTests(TestCase):
    def test_sign_up_logs_in_and_continues(self) -> None:
        page = self.client.get(reverse("shop:signup"), {"next": "/credits/"})
        self.assertContains(page, 'name="password2"')
        response = self.client.post(
            reverse("shop:signup"),
            {
                "username": "newbie",
                "email": "newbie@example.com",
                "password1": "a-long-pass-phrase-9",
                "password2": "a-long-pass-phrase-9",
                "next": "/credits/",
            },
        )
        self.assertRedirects(response, "/credits/", fetch_redirect_response=False)
        self.assertEqual(
            int(self.client.session["_auth_user_id"]), get_user_model().objects.get().pk
        )

    def test_bad_input_and_foreign_next_urls(self) -> None:
        get_user_model().objects.create_user("taken", password="pw")
        response = self.client.post(
            reverse("shop:signup"),
            {
                "username": "taken",
                "password1": "x",
                "password2": "y",
                "next": "https://evil.example/",
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "status-failed")
        self.assertNotContains(response, "evil.example")
        ok = self.client.post(
            reverse("shop:signup"),
            {
                "username": "other",
                "email": "other@example.com",
                "password1": "a-long-pass-phrase-9",
                "password2": "a-long-pass-phrase-9",
                "next": "https://evil.example/",
            },
        )
        self.assertRedirects(ok, reverse("shop:account"), fetch_redirect_response=False)

    def test_the_login_page_links_to_sign_up(self) -> None:
        self.assertContains(self.client.get(reverse("login")), reverse("shop:signup"))


class SeedDemoTests(TestCase):
    def test_a_rerun_keeps_users_and_their_sessions(self) -> None:
        with mock.patch("example_project.shop.management.commands.seed_demo.call_command"):
            SeedDemo(stdout=StringIO()).handle()
            demo = get_user_model().objects.get(username="demo")
            self.client.force_login(demo)
            self.assertEqual(self.client.get(reverse("shop:account")).status_code, 200)
            out = StringIO()
            SeedDemo(stdout=out).handle()
        self.assertIn("exists; kept as it is", out.getvalue())
        self.assertEqual(get_user_model().objects.get(username="demo").password, demo.password)
        # Still logged in: the session's password hash did not change.
        self.assertEqual(self.client.get(reverse("shop:account")).status_code, 200)


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
