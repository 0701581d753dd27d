"""E-invoices end to end in a real browser, in the example shop and its admin.

A buyer chooses a mobile barcode in the shop's buy form, pays on the emulator's hosted
page, renews twice and gets a partial refund: the e-invoice admin lists three issued
invoices and the refunded one shows its allowance; a refund after the filing cut-off is an
allowance too; an e-book refunded at once from the emulator's admin is voided; a malformed
barcode comes back as the form's error. The emulator (Recur and its ECPay-compatible
e-invoice endpoint) is mounted on Django's live server. Skipped without the browser, its
driver or selenium. Run by ``make test`` (``manage.py test example_project.shop``).
"""

from __future__ import annotations

from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from example_project.shop.tests_browser import ShopBrowserCase
from recur_django.emulator.services import clock, lifecycle
from recur_django.models import EInvoice, Payment, Subscription, Transaction
from tests.e2e.test_browser_checkout import GOOD_CARD, WAIT, page_text, pay_with_card, wait_for_path

BARCODE = "/ABC+123"


@pytest.mark.browser
class EInvoicesInTheShopAndTheAdmin(ShopBrowserCase):
    def setUp(self) -> None:
        super().setUp()
        self.staff = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")

    # --- the shop -----------------------------------------------------------------------

    def fill_buy_form(self, product: str, barcode: str) -> None:
        """On the pricing page, open the product's e-invoice choice, pick the mobile barcode,
        type ``barcode`` and press the buy button."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import Select

        self.driver.get(self.live_server_url + reverse("shop:pricing"))
        form = self.driver.find_element(
            By.XPATH, f"//form[.//input[@name='product' and @value='{product}']]"
        )
        form.find_element(By.TAG_NAME, "summary").click()  # the choice is in a <details>
        Select(form.find_element(By.NAME, "invoice_kind")).select_by_value("mobile")
        carrier = form.find_element(By.NAME, "invoice_carrier")
        carrier.clear()
        carrier.send_keys(barcode)
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    def buy(self, product: str, barcode: str = BARCODE) -> Transaction:
        """Buy ``product`` with the invoice on ``barcode``: shop form, hosted page, card."""
        self.fill_buy_form(product, barcode.lower())  # typed in lower case, stored upper
        wait_for_path(self.driver, "/_recur/checkout/")
        pay_with_card(self.driver, GOOD_CARD)
        wait_for_path(self.driver, reverse("recur:checkout-return"))
        self.deliver()
        txn = Transaction.objects.filter(user=self.user).latest("created_at")
        self.assertEqual(txn.status, Transaction.Status.COMPLETED, txn.failure_reason)
        return txn

    def emulator(self, *args: str) -> str:
        """``manage.py recur_emulator …`` as the README gives it; webhooks then delivered."""
        out = StringIO()
        call_command("recur_emulator", *args, stdout=out)
        self.deliver()
        return out.getvalue()

    # --- the admin ----------------------------------------------------------------------

    def admin_rows(self, query: str = "") -> list[str]:
        """The rows of the e-invoice admin's list (``query``: its filters)."""
        from selenium.webdriver.common.by import By

        self.driver.get(
            self.live_server_url + reverse("admin:recur_django_einvoice_changelist") + query
        )
        self.driver.find_element(By.ID, "changelist")  # the list page, not a login form
        rows = self.driver.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
        return [str(row.text) for row in rows]

    def open_invoice(self, number: str) -> str:
        """Click an invoice's number on the admin list; the text of its page."""
        from selenium.webdriver.common.by import By

        self.admin_rows()
        self.driver.find_element(By.LINK_TEXT, number).click()
        invoice = EInvoice.objects.get(number=number)
        wait_for_path(self.driver, reverse("admin:recur_django_einvoice_change", args=[invoice.pk]))
        return page_text(self.driver)

    def allowance_rows(self) -> list[str]:
        from selenium.webdriver.common.by import By

        rows = self.driver.find_elements(By.CSS_SELECTOR, ".inline-group tbody tr.has_original")
        return [str(row.text) for row in rows]

    # --- the scenarios ------------------------------------------------------------------

    def test_a_barcode_two_renewals_and_refunds_in_the_admin(self) -> None:
        self.log_in()
        self.buy("pro-monthly")
        self.emulator("advance", "--days", "31")  # two renewals, on the emulator's clock
        self.emulator("advance", "--days", "31")
        payments = list(Payment.objects.order_by("paid_at"))
        self.assertEqual([p.kind for p in payments], ["checkout", "renewal", "renewal"])
        first, latest = payments[0], payments[-1]
        self.emulator("refund", latest.recur_id, "--amount", "100")

        self.log_in(self.staff)
        rows = self.admin_rows()
        self.assertEqual(len(rows), 3, rows)
        for row in rows:
            self.assertIn("Issued", row)
            self.assertIn("Mobile barcode", row)
            self.assertIn("NT$299", row)
        numbers = {e.payment_id: e.number for e in EInvoice.objects.all()}
        self.assertEqual(len(set(numbers.values())), 3)  # three numbers, one per payment
        self.assertEqual(EInvoice.objects.get(payment=latest).carrier, BARCODE)

        text = self.open_invoice(numbers[latest.pk])
        self.assertIn("NT$199", text)  # what further allowances may take
        allowances = self.allowance_rows()
        self.assertEqual(len(allowances), 1, text)
        self.assertIn("NT$100", allowances[0])
        self.assertIn("Issued", allowances[0])

        # Three months on (no renewals: cancelled), the first payment is refunded in full:
        # past its period's filing cut-off, an allowance of the whole, not a void.
        lifecycle.cancel(str(Subscription.objects.get().recur_id))
        self.deliver()
        clock.advance(days=92)
        self.emulator("refund", first.recur_id)
        text = self.open_invoice(numbers[first.pk])
        allowances = self.allowance_rows()
        self.assertEqual(len(allowances), 1, text)
        self.assertIn("NT$299", allowances[0])
        self.assertEqual(EInvoice.objects.get(payment=first).status, "issued")
        self.assertEqual(len(self.admin_rows("?status__exact=voided")), 0)

    def test_a_full_refund_right_away_voids_the_invoice(self) -> None:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import Select, WebDriverWait

        self.log_in()
        self.buy("ebook")
        order = Payment.objects.get().recur_id
        number = EInvoice.objects.get().number

        # Refund it from the emulator's admin, as docs/emulator.md says.
        self.log_in(self.staff)
        self.driver.get(self.live_server_url + "/admin/recur_emulator/order/")
        row = self.driver.find_element(By.XPATH, f"//tr[.//a[text()='{order}']]")
        row.find_element(By.CSS_SELECTOR, "input.action-select").click()
        Select(self.driver.find_element(By.NAME, "action")).select_by_value("refund")
        self.driver.find_element(By.NAME, "index").click()
        message = WebDriverWait(self.driver, WAIT).until(
            lambda d: d.find_element(By.CSS_SELECTOR, "ul.messagelist")
        )
        self.assertIn("1 refund made.", message.text)
        self.deliver()

        voided = self.admin_rows("?status__exact=voided")
        self.assertEqual(len(voided), 1, voided)
        self.assertIn(number, voided[0])
        self.assertIn("Voided", voided[0])
        self.open_invoice(number)
        self.assertEqual(self.allowance_rows(), [])

    def test_a_malformed_barcode_comes_back_as_the_forms_error(self) -> None:
        from selenium.webdriver.common.by import By

        self.log_in()
        self.fill_buy_form("ebook", "/AB")
        wait_for_path(self.driver, reverse("recur:checkout"))
        errors = self.driver.find_elements(
            By.CSS_SELECTOR, ".recur-invoice-invoice_carrier [role=alert]"
        )  # the error under the barcode field
        self.assertEqual(len(errors), 1, page_text(self.driver))
        self.assertIn("valid mobile barcode", errors[0].text)
        self.assertFalse(Transaction.objects.exists())  # nothing written, Recur not called

        # Corrected on that page, the purchase goes on to the hosted checkout.
        carrier = self.driver.find_element(By.NAME, "invoice_carrier")
        carrier.clear()
        carrier.send_keys(BARCODE)
        carrier.find_element(By.XPATH, "./ancestor::form").submit()
        wait_for_path(self.driver, "/_recur/checkout/")
        self.assertEqual(Transaction.objects.get().invoice_choice["invoice_carrier"], BARCODE)
        self.assertTrue(urlsplit(self.driver.current_url).path.startswith("/_recur/"))
