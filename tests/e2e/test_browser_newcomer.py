"""What a new user meets in a real browser: a checkout refused for a plain-HTTP return URL
names its cause under DEBUG; a webhook event's admin page replays it with one button; the
emulator's portal tells saving and switching (primary) from cancelling (danger).

Headless Chromium as in test_browser_checkout.py; Chromium resolves ``shop.example`` to the
live server, so the shop is served on a plain-HTTP host that is not loopback.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from recur_django.models import Transaction, WebhookEvent
from tests.e2e.test_browser_checkout import (
    CHROMEDRIVER,
    CHROMIUM,
    CHROMIUM_FLAGS,
    WAIT,
    alert_text,
)
from tests.recur_helpers import completed_data, envelope, make_transaction, post_event

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.e2e.urls"),
]

SHOP_HOST = "shop.example"  # in the test settings' RECUR_EMULATOR["ALLOWED_REDIRECT_HOSTS"]


@pytest.fixture
def chromium() -> Iterator[Any]:
    """Headless Chromium that resolves shop.example to this machine, over plain HTTP."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip(
            "needs /usr/bin/chromium and /usr/bin/chromedriver (apt: chromium chromium-driver)"
        )
    webdriver = pytest.importorskip(
        "selenium.webdriver", reason="needs selenium (pip install selenium) to drive Chromium"
    )
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="recur-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    flags = [
        *CHROMIUM_FLAGS,
        f"--user-data-dir={profile}",
        f"--host-resolver-rules=MAP {SHOP_HOST} 127.0.0.1",
        "--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable",
    ]
    for flag in flags:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def shop_url(live_server: Any, path: str) -> str:
    port = urlsplit(live_server.url).port
    return f"http://{SHOP_HOST}:{port}{path}"


def log_in(driver: Any, live_server: Any, user: Any) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    driver.get(shop_url(live_server, "/e2e/buy/none/"))
    driver.add_cookie({"name": settings.SESSION_COOKIE_NAME, "value": cookie, "path": "/"})


def test_a_plain_http_return_url_is_named_on_the_page_under_debug(
    recur_emulator: Any, chromium: Any, live_server: Any, user: Any, settings: Any
) -> None:
    from selenium.webdriver.common.by import By

    settings.DEBUG = True
    log_in(chromium, live_server, user)
    chromium.get(shop_url(live_server, reverse("e2e-buy", args=["ebook"])))
    chromium.find_element(By.ID, "buy").click()

    message = alert_text(chromium)
    assert "This product cannot be purchased right now." in message
    assert f"http://{SHOP_HOST}:" in message and "HTTPS" in message
    assert "SECURE_PROXY_SSL_HEADER" in message
    assert Transaction.objects.get(user=user).status == Transaction.Status.FAILED


def test_the_webhook_event_page_has_a_replay_button(
    chromium: Any, live_server: Any, django_user_model: Any, user: Any
) -> None:
    from selenium.webdriver.common.by import By

    txn = make_transaction(user, amount=5)
    post_event(Client(), envelope("checkout.completed", completed_data(txn, amount=100)))
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.FAILED  # the amount did not match
    Transaction.objects.filter(pk=txn.pk).update(amount=100)  # the operator corrects it

    root = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    client = Client()
    client.force_login(root)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    chromium.get(live_server.url + "/admin/")
    chromium.add_cookie({"name": settings.SESSION_COOKIE_NAME, "value": cookie, "path": "/"})
    chromium.get(
        live_server.url + reverse("admin:recur_django_webhookevent_change", args=[event.pk])
    )
    from selenium.webdriver.support.ui import WebDriverWait

    chromium.find_element(By.ID, "recur-replay").click()

    # The click submits a form: wait for the answer's page rather than read the old one.
    success = WebDriverWait(chromium, WAIT).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "ul.messagelist li.success")
    )
    assert "Replayed 1 event" in success.text
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.PROCESSED
    assert urlsplit(chromium.current_url).path == reverse(
        "admin:recur_django_webhookevent_change", args=[event.pk]
    )


def test_portal_buttons_are_primary_for_save_and_switch_and_danger_for_cancel(
    recur_emulator: Any, chromium: Any, live_server: Any
) -> None:
    from selenium.webdriver.common.by import By

    recur = recur_emulator.client
    session = recur.checkout_sessions.create(
        product_id="prod_pro_monthly",
        success_url=live_server.url + "/ok",
        cancel_url=live_server.url + "/",
        customer_email="amy@example.com",
    )
    assert recur_emulator.pay(session.id).status_code == 303
    portal = recur.portal_sessions.create(email="amy@example.com", return_url=live_server.url)
    chromium.get(portal.url)

    def style(button: Any) -> tuple[str, str]:
        return (
            button.value_of_css_property("background-color"),
            button.value_of_css_property("color"),
        )

    buttons = {b.text: b for b in chromium.find_elements(By.TAG_NAME, "button")}
    save = style(buttons["Save"])
    switch = style(next(b for text, b in buttons.items() if text.startswith("Switch to")))
    cancels = [style(b) for text, b in buttons.items() if text.startswith("Cancel")]
    assert len(cancels) == 2
    brand, white = "rgba(79, 70, 229, 1)", "rgba(255, 255, 255, 1)"
    assert save == switch == (brand, white)  # primary: filled with the brand colour
    for background, color in cancels:  # danger: red text on white
        assert background == white and color == "rgba(180, 35, 24, 1)"
