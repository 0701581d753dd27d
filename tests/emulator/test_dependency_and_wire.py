"""The emulator as a dependency (issue 13, items 6-8): login-free views, a pytest plugin
that says what it needs, and the wire format of Recur's docs."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.urls import URLPattern

from recur_django.emulator import urls as emulator_urls
from recur_django.emulator.pytest_plugin import emulator_mount

ROOT = Path(__file__).resolve().parents[2]
LOGIN_REQUIRED = "django.contrib.auth.middleware.LoginRequiredMiddleware"


# --- 6. LoginRequiredMiddleware -----------------------------------------------------------


def test_every_emulator_view_is_login_not_required():
    for pattern in emulator_urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        assert getattr(pattern.callback, "login_required", True) is False, pattern


def test_hosted_pages_and_api_work_under_login_required_middleware(api, settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, LOGIN_REQUIRED]
    session = api.checkout("prod_ebook")
    browser = Client(SERVER_NAME="localhost")  # anonymous, as a buyer on Recur's page is
    page = browser.get(f"/_recur/checkout/{session['id']}")
    assert page.status_code == 200, page.get("Location")
    paid = browser.post(
        f"/_recur/checkout/{session['id']}/pay",
        {"card_number": "4147631000000001", "email": "amy@example.com"},
    )
    assert paid.status_code == 303 and paid["Location"].startswith("https://shop.example/ok")
    products = browser.get("/_recur/v1/products", HTTP_AUTHORIZATION="Bearer sk_test_tests")
    assert products.status_code == 200
    control = browser.post("/_recur/_control/", {}, content_type="application/json")
    assert control.status_code == 401  # asks for a key, not for a login
    # the site's own pages still require a login: the middleware is active
    assert browser.get("/billing/portal/").status_code == 302


# --- 7. the pytest plugin's prerequisites -------------------------------------------------


def test_mount_path_is_read_from_the_urlconf():
    assert emulator_mount() == "/_recur"
    with override_settings(ROOT_URLCONF="tests.emulator.urls_elsewhere"):
        assert emulator_mount() == "/sandbox/recur"


def test_missing_urls_fail_with_what_to_add():
    urlconf = override_settings(ROOT_URLCONF="tests.emulator.urls_without_emulator")
    with urlconf, pytest.raises(pytest.fail.Exception) as failed:
        emulator_mount()
    message = str(failed.value)
    assert 'include("recur_django.emulator.urls")' in message and "ROOT_URLCONF" in message


def test_missing_app_fails_with_what_to_add_not_conflicting_models():
    """Loading the plugin in a project without the emulator app must not crash with
    Django's "Conflicting 'subscription' models"; the fixture says what to add."""
    script = textwrap.dedent(
        """
        import django, pytest
        from django.conf import settings
        settings.configure(
            INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "recur_django"],
            DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        )
        django.setup()
        import recur_django.emulator.pytest_plugin as plugin
        try:
            plugin.emulator_mount()
        except pytest.fail.Exception as exc:
            print("FAILED:", exc)
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert "Conflicting" not in run.stderr, run.stderr[-2000:]
    assert run.returncode == 0, run.stderr[-2000:]
    assert "FAILED:" in run.stdout and "'recur_django.emulator'" in run.stdout
    assert "INSTALLED_APPS" in run.stdout


def test_fixture_serves_the_emulator_with_debug_off(recur_emulator, settings):
    assert settings.DEBUG is False and settings.RECUR_EMULATOR["ENABLED"] is True
    assert recur_emulator.base_url == recur_emulator.live_server_url + "/_recur"


# --- 8. wire format -------------------------------------------------------------------------


def post_session(api, **fields):
    body = {"productId": "prod_ebook", **fields}
    return api.post("checkout/sessions", json=body)


def test_cancel_url_is_required(api):
    response = post_session(api, successUrl="https://shop.example/ok")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"
    assert "cancel_url" in response.json()["error"]["message"]


@pytest.mark.parametrize("field", ["successUrl", "cancelUrl"])
def test_checkout_urls_must_be_https_off_loopback(api, field):
    urls = {"successUrl": "https://shop.example/ok", "cancelUrl": "https://shop.example/"}
    urls[field] = urls[field].replace("https://", "http://")
    response = post_session(api, **urls)
    assert response.status_code == 400
    assert "HTTPS" in response.json()["error"]["message"]


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.8.9.10", "[::1]", "app.localhost"])
def test_loopback_hosts_may_use_http(api, settings, host):
    settings.RECUR_EMULATOR = {**settings.RECUR_EMULATOR, "ALLOWED_REDIRECT_HOSTS": [host]}
    url = f"http://{host}:8123/done"
    response = post_session(api, successUrl=url, cancelUrl=url)
    assert response.status_code == 200, response.text


def test_portal_session_answers_customer(api, recur_emulator):
    session = api.checkout("prod_ebook")
    recur_emulator.pay(session["id"])
    customer = api.get(f"checkout/sessions/{session['id']}").json()["customer_id"]
    body = {"customerId": customer, "returnUrl": "https://shop.example/account"}
    portal = api.post("portal/sessions", json=body)
    assert portal.status_code == 200, portal.text
    assert portal.json()["customer"] == customer == portal.json()["customer_id"]


def test_setup_sessions_return_setup_intent_others_payment_intent(recur_emulator):
    client = recur_emulator.client
    urls = {"success_url": "https://shop.example/ok", "cancel_url": "https://shop.example/"}
    setup = client.checkout_sessions.create(product_id="prod_pro_monthly", mode="SETUP", **urls)
    payment = client.checkout_sessions.create(product_id="prod_ebook", **urls)
    subscription = client.checkout_sessions.create(product_id="prod_pro_monthly", **urls)
    assert setup.setup_intent_id is None and payment.payment_intent_id is None  # not paid yet
    for session in (setup, payment, subscription):
        assert recur_emulator.pay(session.id, email="amy@example.com").status_code == 303
    setup = client.checkout_sessions.retrieve(setup.id)
    payment = client.checkout_sessions.retrieve(payment.id)
    subscription = client.checkout_sessions.retrieve(subscription.id)
    assert setup.setup_intent_id and setup.setup_intent_id.startswith("seti_")
    assert "payment_intent_id" not in setup.raw and setup.payment_intent_id is None
    for paid in (payment, subscription):
        assert paid.payment_intent_id and paid.payment_intent_id.startswith("pi_")
        assert "setup_intent_id" not in paid.raw and paid.setup_intent_id is None


def test_hosted_page_hint_matches_its_form(api, recur_emulator):
    session = api.checkout("prod_ebook")
    page = recur_emulator.http.get(session["url"], timeout=10).text
    assert 'name="card_number"' in page
    has_fields = 'name="cvc"' in page and 'name="expiry"' in page
    assert has_fields or ("CVV" not in page and "expiry" not in page.lower())
