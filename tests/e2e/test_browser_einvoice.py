"""E-invoices end to end in a real browser, on every database and Django version of the
suite: a mobile barcode typed in a buy form, paid on the emulator's hosted page, two
renewals and a partial refund give three issued invoices and one allowance in the admin;
a one-time purchase refunded at once is voided. The emulator's ECPay-compatible endpoint
issues them. (The example shop's own pages are driven the same way in
example_project/shop/tests_browser_einvoice.py.)
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from recur_django.models import EInvoice, Payment, Transaction
from tests.e2e import test_browser_checkout as checkout_tests
from tests.e2e.test_browser_checkout import (
    GOOD_CARD,
    log_in,
    page_text,
    pay_with_card,
    wait_for_path,
)
from tests.einvoice.flows import ECPAY

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.e2e.urls"),
]

BARCODE = "/ABC+123"

# The checkout tests' headless Chromium and emulator fixtures, used here too.
browser = checkout_tests.browser
emulator = checkout_tests.emulator


@pytest.fixture
def einvoicing(emulator: Any, settings: Any) -> Any:
    """E-invoicing on, with ECPay's wire against the emulator's endpoint."""
    options = {**emulator.einvoice_options(), "TIMEOUT": 10}
    settings.RECUR = {**settings.RECUR, "EINVOICE": {"BACKEND": ECPAY, "OPTIONS": options}}
    return emulator


@pytest.fixture
def buyer(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user("buyer", "buyer@example.com", "pw-not-used")


@pytest.fixture
def staff(django_user_model: Any) -> Any:
    return django_user_model.objects.create_superuser("admin", "admin@example.com", "pw")


def buy(driver: Any, live_server: Any, emulator: Any, product: str, barcode: str) -> None:
    """Choose a mobile barcode in the buy form, pay on the hosted page, deliver."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver.get(live_server.url + reverse("e2e-buy-invoiced", args=[product]))
    Select(driver.find_element(By.NAME, "invoice_kind")).select_by_value("mobile")
    driver.find_element(By.NAME, "invoice_carrier").send_keys(barcode)
    driver.find_element(By.ID, "buy").click()
    wait_for_path(driver, "/_recur/checkout/")
    pay_with_card(driver, GOOD_CARD)
    wait_for_path(driver, reverse("recur:checkout-return"))
    assert emulator.deliver(), "the emulator had no webhook to deliver"


def admin_rows(driver: Any, live_server: Any, query: str = "") -> list[str]:
    from selenium.webdriver.common.by import By

    driver.get(live_server.url + reverse("admin:recur_django_einvoice_changelist") + query)
    driver.find_element(By.ID, "changelist")  # the list, not the login page
    return [str(row.text) for row in driver.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")]


def allowance_rows(driver: Any, live_server: Any, invoice: EInvoice) -> list[str]:
    """Open the invoice's admin page from the list; the rows of its allowances inline."""
    from selenium.webdriver.common.by import By

    admin_rows(driver, live_server)
    driver.find_element(By.LINK_TEXT, invoice.number).click()
    wait_for_path(driver, reverse("admin:recur_django_einvoice_change", args=[invoice.pk]))
    rows = driver.find_elements(By.CSS_SELECTOR, ".inline-group tbody tr.has_original")
    return [str(row.text) for row in rows]


def test_barcode_two_renewals_a_partial_refund_and_a_refund_at_once(
    einvoicing: Any, browser: Any, live_server: Any, buyer: Any, staff: Any
) -> None:
    log_in(browser, live_server, buyer)
    buy(browser, live_server, einvoicing, "pro-monthly", BARCODE.lower())
    txn = Transaction.objects.get()
    assert txn.invoice_choice["invoice_carrier"] == BARCODE  # stored upper-cased
    for _ in range(2):
        einvoicing.advance(days=31)  # a renewal on the emulator's clock
        assert einvoicing.deliver()
    latest = Payment.objects.filter(kind="renewal").latest("paid_at")
    einvoicing.refund(latest.recur_id, 100)
    einvoicing.deliver()

    log_in(browser, live_server, staff)
    rows = admin_rows(browser, live_server)
    assert len(rows) == 3, rows
    assert all("Issued" in row and "Mobile barcode" in row for row in rows), rows
    assert {e.carrier for e in EInvoice.objects.all()} == {BARCODE}
    refunded = EInvoice.objects.get(payment=latest)
    allowances = allowance_rows(browser, live_server, refunded)
    assert len(allowances) == 1, page_text(browser)
    assert "NT$100" in allowances[0] and "Issued" in allowances[0]
    assert "NT$199" in page_text(browser)  # what further allowances may take

    # A one-time purchase refunded in full at once: voided, no allowance.
    log_in(browser, live_server, buyer)
    buy(browser, live_server, einvoicing, "prod_ebook", BARCODE)
    ebook = Payment.objects.get(kind="checkout", amount=590)
    einvoicing.refund(ebook.recur_id)
    einvoicing.deliver()
    log_in(browser, live_server, staff)
    voided = admin_rows(browser, live_server, "?status__exact=voided")
    assert len(voided) == 1 and EInvoice.objects.get(payment=ebook).number in voided[0], voided
    assert allowance_rows(browser, live_server, EInvoice.objects.get(payment=ebook)) == []
    assert len(einvoicing.einvoices()) == 4  # the provider's books: one invoice per payment
