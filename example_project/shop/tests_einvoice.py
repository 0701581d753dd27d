"""The shop's e-invoices: the buy buttons carry the invoice fields (prefilled with the
remembered choice), a bad choice comes back as a form, the account page shows the choice
and links to the preference page. Real HTTP: the emulator (Recur and its ECPay-compatible
e-invoice endpoint) on Django's live server."""

from __future__ import annotations

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client, LiveServerTestCase
from django.urls import reverse

from example_project.shop.live_recur import recur_served_at
from recur_django.emulator import sender
from recur_django.models import EInvoice, InvoicePreference, Transaction


class InvoiceChoiceTests(LiveServerTestCase):
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

    def test_the_demo_turns_einvoicing_on_against_the_emulator(self) -> None:
        import example_project.settings as demo

        einvoice = demo.RECUR["EINVOICE"]
        self.assertEqual(einvoice["BACKEND"], "recur_django.einvoice.backends.ecpay.ECPayBackend")
        self.assertTrue(einvoice["OPTIONS"]["API_BASE"].endswith("/_recur/einvoice"))

    def test_buy_buttons_carry_the_invoice_fields(self) -> None:
        page = self.browser.get(reverse("shop:pricing")).content.decode()
        self.assertIn('name="invoice_kind"', page)
        self.assertIn('name="invoice_carrier"', page)
        self.assertIn('<option value="member" selected>', page)
        # Logged out: no invoice fields (the remembered choice applies after logging in).
        anonymous = Client().get(reverse("shop:pricing")).content.decode()
        self.assertNotIn('name="invoice_kind"', anonymous)

    def test_a_chosen_barcode_is_stored_remembered_and_shown(self) -> None:
        response = self.browser.post(
            reverse("recur:checkout"),
            {"product": "ebook", "invoice_kind": "mobile", "invoice_carrier": "/abc+123"},
        )
        self.assertEqual(response.status_code, 303, response.content)
        txn = Transaction.objects.get()
        self.assertEqual(txn.invoice_choice["invoice_carrier"], "/ABC+123")
        self.assertEqual(InvoicePreference.objects.get(owner=self.user).kind, "mobile")

        pricing = self.browser.get(reverse("shop:pricing")).content.decode()
        self.assertIn('<option value="mobile" selected>', pricing)
        self.assertIn('value="/ABC+123"', pricing)
        account = self.browser.get(reverse("shop:account")).content.decode()
        self.assertIn("/ABC+123", account)
        self.assertIn(f'href="{reverse("recur:invoice-preference")}"', account)

    def test_a_contradictory_choice_comes_back_as_a_form(self) -> None:
        response = self.browser.post(
            reverse("recur:checkout"),
            {
                "product": "ebook",
                "invoice_kind": "donation",
                "invoice_love_code": "168001",
                "invoice_ubn": "22099131",
            },
        )
        self.assertEqual(response.status_code, 400)
        self.assertTemplateUsed(response, "recur_django/checkout_invoice.html")
        self.assertIn("invoice_ubn", response.context["form"].errors)
        self.assertFalse(Transaction.objects.exists())

    def test_the_preference_page_saves_a_company_invoice(self) -> None:
        page = self.browser.get(reverse("recur:invoice-preference"))
        self.assertEqual(page.status_code, 200)
        saved = self.browser.post(
            reverse("recur:invoice-preference"),
            {
                "invoice_kind": "company",
                "invoice_ubn": "22099131",
                "invoice_title": "Buyer Ltd.",
                "invoice_address": "1 Zhongshan Rd, Taipei",
            },
        )
        self.assertEqual(saved.status_code, 303)
        account = self.browser.get(reverse("shop:account")).content.decode()
        self.assertIn("22099131", account)
        self.assertIn("Buyer Ltd.", account)

    def test_a_paid_purchase_gets_its_invoice_on_the_barcode(self) -> None:
        response = self.browser.post(
            reverse("recur:checkout"),
            {"product": "ebook", "invoice_kind": "mobile", "invoice_carrier": "/ABC+123"},
        )
        self.assertEqual(response.status_code, 303, response.content)
        txn = Transaction.objects.get()
        paid = requests.post(
            f"{self.live_server_url}/_recur/checkout/{txn.checkout_session_id}/pay",
            data={"card_number": "4147631000000001"},
            allow_redirects=False,
            timeout=10,
        )
        self.assertEqual(paid.status_code, 303, paid.text)
        self.assertEqual({d.status for d in sender.deliver_pending()}, {"SUCCEEDED"})
        invoice = EInvoice.objects.get(payment__transaction=txn)
        issued = (invoice.status, invoice.kind, invoice.carrier)
        self.assertEqual(issued, ("issued", "mobile", "/ABC+123"))
        self.assertRegex(invoice.number, r"^[A-Z]{2}[0-9]{8}$")
