from __future__ import annotations

import importlib
import sys

import pytest
import yaml
from django.test import RequestFactory
from django.urls import reverse
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

import recur_django.api.schema as schema_module
from recur_django.api.urls import schema_unavailable

pytestmark = pytest.mark.django_db


def fetch_schema() -> dict:
    response = APIClient().get(reverse("recur-api:schema"))
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_schema_is_valid_openapi():
    schema = fetch_schema()
    validate_schema(schema)
    assert schema["info"]["title"] == "Recur billing API"


def test_schema_lists_exactly_the_recur_api_at_its_mounted_paths():
    paths = fetch_schema()["paths"]
    assert set(paths) == {
        "/api/billing/checkout-sessions/",
        "/api/billing/portal-sessions/",
        "/api/billing/transactions/",
        "/api/billing/payments/",
        "/api/billing/subscriptions/",
        "/api/billing/entitlements/",
        "/api/billing/entitlements/{product}/",
        "/api/billing/invoice-preference/",
    }
    assert set(paths["/api/billing/checkout-sessions/"]) == {"post"}
    post = paths["/api/billing/portal-sessions/"]["post"]
    assert {"201", "401", "404"} <= set(post["responses"])


def test_schema_json_format():
    response = APIClient().get(reverse("recur-api:schema") + "?format=json")
    assert response.status_code == 200
    validate_schema(response.json())


def test_without_drf_spectacular_everything_degrades(monkeypatch):
    for name in list(sys.modules):
        if name == "drf_spectacular" or name.startswith("drf_spectacular."):
            monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "drf_spectacular", None)
    try:
        reloaded = importlib.reload(schema_module)
        assert reloaded.spectacular_available() is False

        def view():
            return "unchanged"

        assert reloaded.document(summary="x")(view) is view
        assert reloaded.view_schema() is not None
    finally:
        monkeypatch.undo()
        importlib.reload(schema_module)
    assert schema_module.spectacular_available() is True


def test_schema_unavailable_view_answers_json_501():
    response = schema_unavailable(RequestFactory().get("/schema/"))
    assert response.status_code == 501
    assert b'"schema_unavailable"' in response.content
