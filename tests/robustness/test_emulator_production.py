"""The emulator never serves in production (issue 9, defect 2).

A site running with ``DEBUG=False`` that still includes ``/_recur/`` must not accept fake
payments, expose its control endpoint, take the built-in ``sk_test_emulator`` key, or let a
public ``pk_`` key turn its origin into an open redirect; ``check --deploy`` must fail.
"""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.core.management.base import SystemCheckError
from django.test import Client, override_settings
from django.urls import URLPattern

from recur_django.emulator import urls as emulator_urls
from recur_django.emulator.checks import check_keys_configured
from recur_django.emulator.conf import emulator_settings

PRODUCTS = [
    {"id": "prod_ebook", "slug": "ebook", "name": "E-book", "type": "ONE_TIME", "price": 590}
]
#: what a production site might have: keys configured, but ENABLED never set
PRODUCTION = {"SECRET_KEYS": ["sk_test_tests"], "PRODUCTS": PRODUCTS}
ENABLED_NO_KEYS = {"ENABLED": True, "PRODUCTS": PRODUCTS}
ENABLED = {
    "ENABLED": True,
    "SECRET_KEYS": ["sk_test_tests"],
    "PUBLISHABLE_KEYS": ["pk_test_tests"],
    "WEBHOOK_SECRET": "whsec_test_secret",
    "PRODUCTS": PRODUCTS,
}


def every_emulator_path() -> list[str]:
    """One concrete path per route of the emulator's URLconf (the control endpoint too)."""
    paths = []
    for pattern in emulator_urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        route = str(pattern.pattern).lstrip("^").rstrip("$")
        route = re.sub(r"<\w+:(\w+)>", r"x_\1", route).replace(".*", "anything")
        paths.append("/_recur/" + route)
    return paths


PATHS = every_emulator_path()


def test_the_sweep_covers_api_control_and_hosted_pages():
    assert "/_recur/_control/" in PATHS
    assert "/_recur/v1/checkout/sessions" in PATHS
    assert {"/_recur/checkout/x_session_id", "/_recur/buy/x_url_id"} <= set(PATHS)


@pytest.mark.django_db
@pytest.mark.parametrize("enabled", ["unset", False, None, "yes", 1])
@pytest.mark.parametrize("path", PATHS)
def test_every_emulator_url_is_404_with_debug_off(path, enabled):
    emulator = dict(PRODUCTION) if enabled == "unset" else {**PRODUCTION, "ENABLED": enabled}
    client = Client()
    with override_settings(DEBUG=False, RECUR_EMULATOR=emulator):
        for method in (client.get, client.post):
            response = method(path, HTTP_AUTHORIZATION="Bearer sk_test_tests")
            assert response.status_code == 404, (path, response.status_code)


@pytest.mark.django_db
def test_control_endpoint_cannot_move_the_clock_in_production():
    body = json.dumps({"action": "advance", "days": 30})
    with override_settings(DEBUG=False, RECUR_EMULATOR=PRODUCTION):
        response = Client().post(
            "/_recur/_control/",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION="Bearer sk_test_tests",
        )
    assert response.status_code == 404
    assert b"advanced" not in response.content


@pytest.mark.django_db
def test_the_gate_opens_with_debug_or_enabled_only():
    client = Client()
    with override_settings(DEBUG=True, RECUR_EMULATOR=PRODUCTION):
        assert client.post("/_recur/_control/").status_code == 401  # serving: asks for a key
    with override_settings(DEBUG=False, RECUR_EMULATOR=ENABLED):
        assert client.post("/_recur/_control/").status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["sk_test_emulator", "pk_test_emulator"])
def test_built_in_keys_are_refused_without_debug(key):
    header = "X-Recur-Publishable-Key" if key.startswith("pk_") else "Authorization"
    value = key if key.startswith("pk_") else f"Bearer {key}"
    client = Client(headers={header: value})
    with override_settings(DEBUG=False, RECUR_EMULATOR=ENABLED_NO_KEYS):
        response = client.get("/_recur/v1/products")
        assert response.status_code == 401, response.content
        assert response.json()["error"]["code"] == "unauthorized"
    with override_settings(DEBUG=True, RECUR_EMULATOR={"PRODUCTS": PRODUCTS}):
        assert client.get("/_recur/v1/products").status_code == 200  # development only


def test_no_built_in_webhook_secret_without_debug():
    production = override_settings(DEBUG=False, RECUR_EMULATOR=ENABLED_NO_KEYS)
    with production, pytest.raises(ImproperlyConfigured, match="WEBHOOK_SECRET"):
        _ = emulator_settings.webhook_secret
    with override_settings(DEBUG=True, RECUR_EMULATOR={}):
        assert emulator_settings.webhook_secret == "whsec_emulator"


def test_enabled_without_keys_is_a_check_error():
    with override_settings(DEBUG=False, RECUR_EMULATOR=ENABLED_NO_KEYS):
        errors = check_keys_configured()
    assert [e.id for e in errors] == ["recur_emulator.E002"]
    assert "SECRET_KEYS and WEBHOOK_SECRET" in errors[0].msg
    with override_settings(DEBUG=False, RECUR_EMULATOR=ENABLED):
        assert check_keys_configured() == []


def create_session(client: Client, **urls: str) -> Any:
    body = {"productId": "prod_ebook", **urls}
    return client.post(
        "/_recur/v1/checkout/sessions",
        json.dumps(body),
        content_type="application/json",
        HTTP_X_RECUR_PUBLISHABLE_KEY="pk_test_tests",
    )


OFF_SITE = [
    {"successUrl": "https://evil.example/phish", "cancelUrl": "https://shop.example/"},
    {"successUrl": "https://shop.example/ok", "cancelUrl": "https://evil.example/"},
    {"successUrl": "https://shop.example.evil.example/", "cancelUrl": "https://shop.example/"},
    {"successUrl": "https://evil.example\\@shop.example/", "cancelUrl": "https://shop.example/"},
    {"successUrl": "javascript:alert(1)//https://shop.example/", "cancelUrl": "/"},
    {"successUrl": "//evil.example/", "cancelUrl": "https://shop.example/"},
]


@pytest.mark.django_db
@pytest.mark.parametrize("urls", OFF_SITE)
def test_publishable_key_cannot_make_an_open_redirect(urls):
    emulator = {**ENABLED, "ALLOWED_REDIRECT_HOSTS": ["shop.example", "*"]}  # "*" is ignored
    with override_settings(RECUR_EMULATOR=emulator):
        response = create_session(Client(HTTP_HOST="pay.shop.example"), **urls)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid_request"


@pytest.mark.django_db
def test_same_host_and_listed_hosts_are_accepted():
    client = Client(HTTP_HOST="pay.shop.example")
    with override_settings(RECUR_EMULATOR={**ENABLED, "ALLOWED_REDIRECT_HOSTS": [".shop.example"]}):
        own = create_session(
            client, successUrl="https://pay.shop.example/ok", cancelUrl="https://pay.shop.example/"
        )
        listed = create_session(
            client, successUrl="https://www.shop.example/ok", cancelUrl="https://shop.example/"
        )
    assert own.status_code == listed.status_code == 200, (own.content, listed.content)
    assert own.json()["success_url"] == "https://pay.shop.example/ok"


def deploy_check_ids() -> set[str]:
    messages = checks.run_checks(tags=["recur_emulator"], include_deployment_checks=True)
    return {message.id for message in messages}


def test_check_deploy_reports_e001():
    assert "recur_emulator.E001" in deploy_check_ids()
    assert "recur_emulator.E001" not in {m.id for m in checks.run_checks(tags=["recur_emulator"])}
    with pytest.raises(SystemCheckError, match=r"recur_emulator\.E001"):
        call_command("check", deploy=True, fail_level="ERROR", tags=["recur_emulator"])


STATE_CHANGING_COMMANDS = [
    ["seed"],
    ["deliver"],
    ["advance", "--days", "30"],
    ["fail-card", "cus_card"],
    ["fail-card", "cus_card", "--fix"],
    ["refund", "ord_paid"],
    ["fault", "500"],
    ["clear-faults"],
    ["cancel", "sub_kept"],
    ["cancel", "sub_kept", "--at-period-end"],
    ["resume", "sub_kept"],
    ["switch", "sub_kept", "pro-yearly"],
]


@pytest.mark.django_db
@pytest.mark.parametrize("enabled", ["unset", False, "yes"])
@pytest.mark.parametrize("args", STATE_CHANGING_COMMANDS, ids=lambda a: " ".join(a))
def test_emulator_commands_refuse_while_the_emulator_is_disabled(args, enabled):
    """The same gate as the HTTP side: no clock moved, no card flipped, no product seeded,
    no fault queued or cleared (and no subscription cancelled or switched: the refusal
    comes before the subcommand looks for it)."""
    from recur_django.emulator import faults
    from recur_django.emulator.clock import now as emulator_now
    from recur_django.emulator.models import Customer, Fault, Product

    Customer.objects.create(
        id="cus_card",
        email="card@example.com",
        created_at=emulator_now(),
        updated_at=emulator_now(),
    )
    kept = faults.add("429")
    before = emulator_now()
    emulator = dict(PRODUCTION) if enabled == "unset" else {**PRODUCTION, "ENABLED": enabled}
    with (
        override_settings(DEBUG=False, RECUR_EMULATOR=emulator),
        pytest.raises(CommandError, match="emulator is disabled"),
    ):
        call_command("recur_emulator", *args)
    assert emulator_now() - before < timedelta(days=1)
    assert Customer.objects.get(id="cus_card").card_fails is False
    assert not Product.objects.exists()
    assert list(Fault.objects.values_list("pk", flat=True)) == [kept.pk]


@pytest.mark.django_db
def test_emulator_commands_run_with_debug_or_enabled():
    from recur_django.emulator.clock import now as emulator_now
    from recur_django.emulator.models import Customer

    Customer.objects.create(
        id="cus_card",
        email="card@example.com",
        created_at=emulator_now(),
        updated_at=emulator_now(),
    )
    for settings_ in ({"DEBUG": True, "RECUR_EMULATOR": PRODUCTION}, {"RECUR_EMULATOR": ENABLED}):
        with override_settings(**settings_):
            call_command("recur_emulator", "fail-card", "cus_card", stdout=io.StringIO())
            assert Customer.objects.get(id="cus_card").card_fails is True
            call_command("recur_emulator", "fail-card", "cus_card", "--fix", stdout=io.StringIO())
