"""What a new user meets in a real browser: a checkout refused for a plain-HTTP return URL
names its cause under DEBUG.

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

from recur_django.models import Transaction
from tests.e2e.test_browser_checkout import (
    CHROMEDRIVER,
    CHROMIUM,
    CHROMIUM_FLAGS,
    WAIT,
    alert_text,
)

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
