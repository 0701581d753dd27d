"""A real browser in the example shop: subscribe, renew on the emulator's clock, and the
account page lists both payments, in English and in Traditional Chinese.

Headless Chromium (Debian's chromium + chromium-driver) against Django's live server with
the Recur emulator mounted on it, delivering its webhooks to the shop's own endpoint.
Skipped when the browser, its driver or selenium is missing. Run by ``make test``
(``manage.py test example_project.shop``).
"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from django.test import Client
from django.urls import reverse

from example_project.shop.live_recur import recur_served_at
from recur_django.checkout import start_checkout
from recur_django.emulator import sender
from recur_django.emulator.services import clock, lifecycle
from recur_django.models import Payment, Subscription
from tests.e2e.test_browser_checkout import (
    CHROMEDRIVER,
    CHROMIUM,
    CHROMIUM_FLAGS,
    GOOD_CARD,
    WAIT,
    page_text,
    pay_with_card,
    wait_for_path,
)

HAS_BROWSER = (
    CHROMIUM.exists() and CHROMEDRIVER.exists() and importlib.util.find_spec("selenium") is not None
)


class ShopBrowserCase(StaticLiveServerTestCase):
    """The shop on Django's live server (its static files too: the admin's styles) with the
    emulator mounted on it, a headless Chromium (``self.driver``) and a buyer
    (``self.user``); webhooks wait for deliver()."""

    def setUp(self) -> None:
        if not HAS_BROWSER:
            self.skipTest("needs /usr/bin/chromium, /usr/bin/chromedriver and selenium")
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        base = self.live_server_url
        emulator = dict(settings.RECUR_EMULATOR)
        emulator.update(
            ENABLED=True,  # the test runner sets DEBUG=False
            WEBHOOK_URL=base + reverse("recur:webhook"),
            WEBHOOK_DELIVERY="manual",  # sent by deliver() below, from this thread
            WEBHOOK_RETRY_SCHEDULE=[0, 0, 0],
        )
        overrides = self.settings(RECUR=recur_served_at(base), RECUR_EMULATOR=emulator)
        overrides.enable()
        self.addCleanup(overrides.disable)

        profile = tempfile.mkdtemp(prefix="recur-chromium-")
        self.addCleanup(shutil.rmtree, profile, ignore_errors=True)
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
            options.add_argument(flag)
        self.driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
        self.addCleanup(self.driver.quit)
        self.driver.set_page_load_timeout(WAIT)
        self.user = get_user_model().objects.create_user("buyer", "buyer@example.com", "pw")

    def log_in(self, user: Any = None) -> None:
        """Give the browser a real session cookie (for the buyer unless ``user`` is given)."""
        client = Client()
        client.force_login(user or self.user)
        self.driver.get(self.live_server_url + reverse("shop:pricing"))
        self.driver.add_cookie(
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "path": "/",
            }
        )

    def deliver(self) -> None:
        deliveries = sender.deliver_pending()
        self.assertTrue(deliveries, "the emulator had no webhook to deliver")
        self.assertEqual({d.status for d in deliveries}, {"SUCCEEDED"})


@pytest.mark.browser
class SubscribeRenewAndReadTheAccountPage(ShopBrowserCase):
    def subscribe(self) -> str:
        """A paid monthly plan for the user (through recur-django's checkout); its id."""
        txn = start_checkout(
            self.user,
            "pro-monthly",
            success_url=self.live_server_url + "/",
            cancel_url=self.live_server_url + "/",
        )
        paid = requests.post(
            f"{self.live_server_url}/_recur/checkout/{txn.checkout_session_id}/pay",
            data={"card_number": GOOD_CARD},
            allow_redirects=False,
            timeout=10,
        )
        self.assertEqual(paid.status_code, 303, paid.text)
        self.deliver()
        return str(Subscription.objects.get(customer__owner=self.user).recur_id)

    def plan_row(self) -> str:
        from selenium.webdriver.common.by import By

        self.driver.get(self.live_server_url + reverse("shop:account"))
        rows = self.driver.find_elements(By.CSS_SELECTOR, "table.plans tr")
        self.assertEqual(len(rows), 2, page_text(self.driver))
        return str(rows[1].text)

    def test_cancel_now_ends_the_plan_on_the_account_page(self) -> None:
        sub_id = self.subscribe()
        self.log_in()
        self.assertIn("Renews on", self.plan_row())
        lifecycle.cancel(sub_id)  # `recur_emulator cancel SUB`
        self.deliver()
        row = self.plan_row()
        self.assertIn("Canceled", row)
        self.assertIn("Ended on", row)
        self.assertNotIn("Active", row)

    def test_cancel_at_period_end_reads_active_until_the_emulator_clock_passes_it(self) -> None:
        sub_id = self.subscribe()
        self.log_in()
        lifecycle.cancel(sub_id, at_period_end=True)
        self.deliver()
        self.assertIn("Active — cancels on", self.plan_row())
        clock.advance(days=32)  # the billing clock moves: the shop reads it too
        self.deliver()
        row = self.plan_row()
        self.assertNotIn("Active", row)
        self.assertIn("Ended on", row)

    def test_sign_up_buy_credits_and_spend_them(self) -> None:
        from selenium.webdriver.common.by import By

        self.driver.get(self.live_server_url + reverse("login"))
        self.driver.find_element(By.PARTIAL_LINK_TEXT, "Sign up").click()
        wait_for_path(self.driver, reverse("shop:signup"))
        self.driver.find_element(By.NAME, "username").send_keys("newbie")
        self.driver.find_element(By.NAME, "email").send_keys("newbie@example.com")
        self.driver.find_element(By.NAME, "password1").send_keys("a-long-pass-phrase-9")
        self.driver.find_element(By.NAME, "password2").send_keys("a-long-pass-phrase-9")
        self.driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        wait_for_path(self.driver, reverse("shop:account"))
        self.assertIn("Welcome, newbie!", page_text(self.driver))

        self.driver.get(self.live_server_url + reverse("shop:credits"))
        buy = self.driver.find_element(
            By.XPATH, "//form[.//input[@name='product' and @value='credits-100']]//button"
        )
        buy.click()
        wait_for_path(self.driver, "/_recur/checkout/")
        pay_with_card(self.driver, GOOD_CARD)
        wait_for_path(self.driver, reverse("recur:checkout-return"))
        self.deliver()
        self.driver.get(self.live_server_url + reverse("shop:credits"))
        self.assertIn("Your balance: 100 credits", page_text(self.driver))
        self.driver.find_element(By.XPATH, "//form[contains(@action, 'spend')]//button").click()
        wait_for_path(self.driver, reverse("shop:credits"))
        text = page_text(self.driver)
        self.assertIn("10 credits spent", text)
        self.assertIn("Your balance: 90 credits", text)
        self.assertIn("Report export", text)

    def payment_rows(self) -> list[str]:
        from selenium.webdriver.common.by import By

        rows = self.driver.find_elements(By.CSS_SELECTOR, "table.payments tr")
        return [str(row.text) for row in rows[1:]]  # after the heading row

    def test_subscribe_renew_and_see_both_payments_in_two_languages(self) -> None:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import Select

        self.log_in()
        self.driver.get(self.live_server_url + reverse("shop:pricing"))
        buy = self.driver.find_element(
            By.XPATH, "//form[.//input[@name='product' and @value='pro-monthly']]//button"
        )
        buy.click()
        wait_for_path(self.driver, "/_recur/checkout/")
        self.assertIn("299", page_text(self.driver))
        pay_with_card(self.driver, GOOD_CARD)
        wait_for_path(self.driver, reverse("recur:checkout-return"))
        self.deliver()
        self.assertEqual(Subscription.objects.get().status, "ACTIVE")

        clock.advance(days=31)  # the emulator renews at the period end
        self.deliver()
        self.assertEqual(
            sorted(Payment.objects.values_list("kind", "status", "amount")),
            [("checkout", "paid", 299), ("renewal", "paid", 299)],
        )

        self.driver.get(self.live_server_url + reverse("shop:account"))
        rows = self.payment_rows()
        self.assertEqual(len(rows), 2, page_text(self.driver))
        self.assertTrue(all("299" in row and "Paid" in row for row in rows), rows)
        self.assertEqual(
            sorted("Renewal" in row for row in rows), [False, True], rows
        )  # the first charge and its renewal
        self.assertTrue(any("Checkout" in row for row in rows), rows)
        text = page_text(self.driver)
        for heading in ("Account", "Subscriptions", "Payments"):
            self.assertIn(heading, text)

        # The shop's language menu posts to set_language and comes back to the account.
        language = Select(self.driver.find_element(By.NAME, "language"))
        language.select_by_value("zh-hant")
        wait_for_path(self.driver, reverse("shop:account"))
        self.assertEqual(
            self.driver.find_element(By.TAG_NAME, "html").get_attribute("lang"), "zh-hant"
        )
        text = page_text(self.driver)
        for heading in ("帳戶", "訂閱", "付款紀錄"):
            self.assertIn(heading, text)
        self.assertNotIn("Payments", text)
        rows = self.payment_rows()
        self.assertEqual(len(rows), 2, text)
        self.assertTrue(any("續訂" in row for row in rows) and any("結帳" in row for row in rows))
        self.assertTrue(urlsplit(self.driver.current_url).path == reverse("shop:account"))
