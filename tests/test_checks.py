"""System checks recur.E001-E005 and recur.W001-W003."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import checks
from django.test import override_settings

from recur_django.checks import check_recur_settings

GOOD: dict[str, Any] = {
    "SECRET_KEY": "sk_test_x",
    "PUBLISHABLE_KEY": "pk_test_x",
    "WEBHOOK_SECRET": "whsec_x",
    "API_BASE": "https://api.recur.tw",
}


def run(debug: bool = False, **recur: Any) -> dict[str, checks.CheckMessage]:
    value = {k: v for k, v in {**GOOD, **recur}.items() if v is not ...}
    with override_settings(RECUR=value, DEBUG=debug):
        return {m.id: m for m in check_recur_settings() if m.id}


def test_good_settings_pass() -> None:
    assert run() == {}
    assert run(debug=True, API_BASE="http://127.0.0.1:8000/_recur") == {}


def test_registered_with_django_checks() -> None:
    with override_settings(RECUR={**GOOD, "SECRET_KEY": ""}):
        ids = {m.id for m in checks.run_checks(tags=["recur"])}
    assert "recur.E001" in ids


@pytest.mark.parametrize("value", [..., None, ""])
def test_missing_secret_key_is_e001(value: Any) -> None:
    found = run(SECRET_KEY=value)
    assert found["recur.E001"].level == checks.ERROR
    assert "sk_test_" in found["recur.E001"].hint


def test_publishable_key_as_secret_is_e002_pointing_to_publishable_key() -> None:
    found = run(SECRET_KEY="pk_test_x")
    assert found["recur.E002"].level == checks.ERROR
    assert "PUBLISHABLE_KEY" in found["recur.E002"].hint


def test_other_non_secret_key_is_e002() -> None:
    found = run(SECRET_KEY="whsec_x")
    assert "recur.E002" in found
    assert "sk_" in found["recur.E002"].hint


@pytest.mark.parametrize("value", ["sk_test_x", "whatever"])
def test_publishable_key_not_pk_is_e003(value: str) -> None:
    found = run(PUBLISHABLE_KEY=value)
    assert found["recur.E003"].level == checks.ERROR
    if value.startswith("sk_"):
        assert "SECRET_KEY" in found["recur.E003"].hint


def test_missing_publishable_key_is_fine() -> None:
    assert "recur.E003" not in run(PUBLISHABLE_KEY=...)


def test_live_key_with_debug_is_w001() -> None:
    assert run(debug=True, SECRET_KEY="sk_live_x")["recur.W001"].level == checks.WARNING
    assert "recur.W001" not in run(debug=False, SECRET_KEY="sk_live_x")
    assert "recur.W001" not in run(debug=True, SECRET_KEY="sk_test_x")


@pytest.mark.parametrize("value", [..., None, "", []])
def test_missing_webhook_secret_is_w002(value: Any) -> None:
    found = run(WEBHOOK_SECRET=value)
    assert found["recur.W002"].level == checks.WARNING
    assert "whsec_" in found["recur.W002"].hint


@pytest.mark.parametrize("value", [123, ["whsec_x", 5], ["whsec_x", ""], {"a": "b"}])
def test_bad_webhook_secret_type_is_e004(value: Any) -> None:
    assert run(WEBHOOK_SECRET=value)["recur.E004"].level == checks.ERROR


def test_webhook_secret_list_for_rotation_is_fine() -> None:
    assert run(WEBHOOK_SECRET=["whsec_new", "whsec_old"]) == {}


@pytest.mark.parametrize("value", ["api.recur.tw", "ftp://api.recur.tw", "/_recur"])
def test_non_http_api_base_is_e005(value: str) -> None:
    assert run(API_BASE=value)["recur.E005"].level == checks.ERROR


def test_plain_http_api_base_without_debug_is_w003() -> None:
    found = run(debug=False, API_BASE="http://127.0.0.1:8000/_recur")
    assert found["recur.W003"].level == checks.WARNING
    assert "recur.W003" not in run(debug=True, API_BASE="http://127.0.0.1:8000/_recur")


def test_every_message_has_a_hint() -> None:
    bad = run(SECRET_KEY="pk_x", PUBLISHABLE_KEY="sk_x", WEBHOOK_SECRET=5, API_BASE="x")
    assert set(bad) == {"recur.E002", "recur.E003", "recur.E004", "recur.E005"}
    assert all(m.hint for m in bad.values())
