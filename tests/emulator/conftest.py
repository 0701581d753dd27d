from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from recur_django.emulator.models import Product
from recur_django.emulator.pytest_plugin import RecurEmulator
from recur_django.emulator.services import catalog
from tests.emulator.receiver import Received, received

SECRET = "sk_test_tests"
PUBLISHABLE = "pk_test_tests"


@pytest.fixture
def capture(recur_emulator: RecurEmulator, settings: Any) -> Iterator[Received]:
    """Point deliveries at a recording endpoint instead of the project's webhook view."""
    settings.ROOT_URLCONF = "tests.emulator.receiver"
    emulator = dict(settings.RECUR_EMULATOR)
    emulator["WEBHOOK_URL"] = recur_emulator.live_server_url + "/hooks/capture/"
    settings.RECUR_EMULATOR = emulator
    received.reset()
    yield received
    received.reset()


class Api:
    """Plain-requests access to the emulator API."""

    def __init__(self, base: str) -> None:
        self.base = base + "/v1/"
        self.http = requests.Session()

    def call(
        self,
        method: str,
        path: str,
        *,
        key: str | None = SECRET,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        all_headers = {"Authorization": f"Bearer {key}"} if key else {}
        all_headers.update(headers or {})
        return self.http.request(
            method, self.base + path, headers=all_headers, timeout=10, **kwargs
        )

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("POST", path, **kwargs)

    def checkout(self, product: str = "prod_pro_monthly", **fields: Any) -> dict[str, Any]:
        body = {
            "productId": product,
            "successUrl": "https://shop.example/ok?session_id={CHECKOUT_SESSION_ID}",
            "cancelUrl": "https://shop.example/cancel",
            "customerEmail": "amy@example.com",
            **fields,
        }
        response = self.post("checkout/sessions", json=body)
        assert response.status_code == 200, response.text
        return dict(response.json())


@pytest.fixture
def api(recur_emulator: RecurEmulator) -> Iterator[Api]:
    client = Api(recur_emulator.base_url)
    yield client
    client.http.close()


@pytest.fixture
def trial_product(recur_emulator: RecurEmulator) -> Product:
    """A monthly plan with a 14-day trial on the emulator (beside the test settings' products,
    which tests elsewhere count)."""
    catalog.ensure_products()
    return Product.objects.create(
        id="prod_pro_trial",
        slug="pro-trial",
        name="Pro (monthly, 14-day trial)",
        type="SUBSCRIPTION",
        billing_period="MONTHLY",
        price=299,
        currency="TWD",
        trial_days=14,
    )
