"""A real browser buys the e-book: shop form -> hosted checkout -> return page -> webhook.

Headless Chromium (Debian's chromium + chromium-driver) against pytest-django's live
server, with the Recur emulator mounted on it. Skipped when the browser, its driver or the
emulator's pytest plugin is missing.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from recur_django.models import Payment, Transaction
from recur_django.signals import transaction_completed

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.e2e.urls"),
]

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--window-size=1200,900",
]
WAIT = 20  # seconds; generous for a loaded 2-core machine
GOOD_CARD = "4147 6310 0000 0001"
DECLINED_CARD = "4000 0000 0000 0002"


@pytest.fixture
def browser() -> Iterator[Any]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip(
            "needs /usr/bin/chromium and /usr/bin/chromedriver (apt: chromium chromium-driver)"
        )
    # Selenium is an optional extra (not a dependency of recur-django): skip without it.
    webdriver = pytest.importorskip(
        "selenium.webdriver", reason="needs selenium (pip install selenium) to drive Chromium"
    )
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="recur-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def emulator(request: pytest.FixtureRequest) -> Any:
    """The ``recur_emulator`` fixture (recur_django.emulator.pytest_plugin)."""
    return request.getfixturevalue("recur_emulator")


@pytest.fixture
def buyer(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user("buyer", "buyer@example.com", "pw-not-used")


@pytest.fixture
def completed_signals() -> Iterator[list[Transaction]]:
    received: list[Transaction] = []

    def receiver(sender: Any, transaction: Transaction, **kwargs: Any) -> None:
        received.append(transaction)

    transaction_completed.connect(receiver, weak=False)
    yield received
    transaction_completed.disconnect(receiver)


def log_in(driver: Any, live_server: Any, user: Any) -> None:
    """Give the browser a real session cookie for ``user``."""
    client = Client()
    client.force_login(user)
    session_cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    driver.get(live_server.url + "/e2e/buy/none/")  # any page on the domain, to set a cookie
    driver.add_cookie({"name": settings.SESSION_COOKIE_NAME, "value": session_cookie, "path": "/"})


def page_text(driver: Any) -> str:
    """The page's text; read again when a navigation replaced the page meanwhile."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    for _ in range(5):
        try:
            return str(driver.find_element(By.TAG_NAME, "body").text)
        except StaleElementReferenceException:
            continue
    return str(driver.find_element(By.TAG_NAME, "body").text)


def wait_for_text(driver: Any, *texts: str) -> str:
    """Wait until the page shows every one of ``texts`` (a form posted back to the same
    path: the path cannot tell the new page from the old); the page's text."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        WebDriverWait(driver, WAIT).until(lambda d: all(t in page_text(d) for t in texts))
    except TimeoutException:
        raise AssertionError(
            f"expected {texts!r} on {driver.current_url}:\n{page_text(driver)[:2000]}"
        ) from None
    return page_text(driver)


def alert_text(driver: Any) -> str:
    """Text of the page's ``role="alert"`` message, waiting for it to appear."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        alert = WebDriverWait(driver, WAIT).until(
            lambda d: d.find_element(By.CSS_SELECTOR, "[role=alert]")
        )
    except TimeoutException:
        raise AssertionError(f"no alert on {driver.current_url}:\n{page_text(driver)}") from None
    return str(alert.text)


def wait_for_path(driver: Any, prefix: str) -> None:
    """Wait until the browser is on a page whose path starts with ``prefix`` (any host)."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        WebDriverWait(driver, WAIT).until(lambda d: urlsplit(d.current_url).path.startswith(prefix))
    except TimeoutException:
        raise AssertionError(
            f"expected {prefix!r}, browser is on {driver.current_url}:\n{page_text(driver)[:2000]}"
        ) from None


def start_checkout(driver: Any, live_server: Any, product: str) -> None:
    """Press Buy on the shop page and land on the emulator's hosted checkout page."""
    from selenium.webdriver.common.by import By

    driver.get(live_server.url + reverse("e2e-buy", args=[product]))
    driver.find_element(By.ID, "buy").click()
    wait_for_path(driver, "/_recur/checkout/")


def pay_with_card(driver: Any, card: str) -> None:
    """Type the card number like a person would, fill any other required field, press pay."""
    from selenium.webdriver.common.by import By

    card_input = driver.find_element(By.NAME, "card_number")
    card_input.clear()
    card_input.send_keys(card)
    form = card_input.find_element(By.XPATH, "./ancestor::form")
    for field in form.find_elements(By.CSS_SELECTOR, "input[required]"):
        if field.is_displayed() and not field.get_attribute("value"):
            field.send_keys(
                sample_value(field.get_attribute("name") or "", field.get_attribute("type"))
            )
    form.find_element(
        By.CSS_SELECTOR, "button[type=submit], input[type=submit], button:not([type])"
    ).click()


def sample_value(name: str, input_type: str | None) -> str:
    name = name.lower()
    if input_type == "email" or "email" in name:
        return "buyer@example.com"
    if "exp" in name:
        return "12/34"
    if "cvc" in name or "cvv" in name or "security" in name:
        return "123"
    return "Test Buyer"


def test_pay_for_the_ebook_in_a_real_browser(
    emulator: Any, browser: Any, live_server: Any, buyer: Any, completed_signals: list[Transaction]
) -> None:
    log_in(browser, live_server, buyer)
    start_checkout(browser, live_server, "prod_ebook")
    assert "590" in page_text(browser)  # the hosted page shows the price in TWD

    pay_with_card(browser, GOOD_CARD)
    wait_for_path(browser, reverse("recur:checkout-return"))

    deliveries = emulator.deliver()
    assert deliveries, "the emulator had no webhook to deliver"
    txn = Transaction.objects.get(user=buyer)
    assert txn.product_id == "prod_ebook"
    assert txn.status == Transaction.Status.COMPLETED
    assert txn.completed_at is not None
    assert (txn.amount, txn.currency) == (590, "TWD")
    assert [t.pk for t in completed_signals] == [txn.pk]  # fulfilled exactly once

    browser.refresh()
    text = page_text(browser).lower()
    assert not any(word in text for word in ("not completed", "processing", "processed")), text
    assert any(word in text for word in ("thank", "received", "success", "complete")), text


def test_a_declined_card_completes_nothing(
    emulator: Any, browser: Any, live_server: Any, buyer: Any, completed_signals: list[Transaction]
) -> None:
    log_in(browser, live_server, buyer)
    start_checkout(browser, live_server, "prod_ebook")

    pay_with_card(browser, DECLINED_CARD)
    assert "declined" in alert_text(browser).lower()  # the hosted page says why
    assert urlsplit(browser.current_url).path.startswith("/_recur/")  # still on Recur's page

    emulator.deliver()
    assert [e["type"] for e in emulator.events(type="order.payment_failed")]
    assert not emulator.events(type="checkout.completed")
    txn = Transaction.objects.get(user=buyer)
    assert txn.status != Transaction.Status.COMPLETED
    assert txn.completed_at is None
    assert completed_signals == []


def test_apply_a_code_and_pay_the_discounted_price(
    emulator: Any, browser: Any, live_server: Any, buyer: Any
) -> None:
    """A promotion code typed on the hosted page: the page shows the discount, the buyer
    pays the discounted amount and the site completes the purchase."""
    from selenium.webdriver.common.by import By

    coupon = emulator.create_coupon("FIXED_AMOUNT", amount_off=90)
    emulator.client.promotion_codes.create(coupon_id=coupon["id"], code="BOOK90")
    log_in(browser, live_server, buyer)
    start_checkout(browser, live_server, "prod_ebook")

    browser.find_element(By.NAME, "code").send_keys("nope")
    browser.find_element(By.XPATH, "//form[contains(@action, '/code')]//button").click()
    assert "not valid" in alert_text(browser)

    field = browser.find_element(By.NAME, "code")
    field.clear()
    field.send_keys("book90")
    browser.find_element(By.XPATH, "//form[contains(@action, '/code')]//button").click()
    wait_for_path(browser, "/_recur/checkout/")
    wait_for_text(browser, "BOOK90", "NT$500")  # the same path, the new page

    pay_with_card(browser, GOOD_CARD)
    wait_for_path(browser, reverse("recur:checkout-return"))
    emulator.deliver()
    txn = Transaction.objects.get(user=buyer)
    assert txn.status == Transaction.Status.COMPLETED, txn.failure_reason
    assert Payment.objects.get().amount == 500
