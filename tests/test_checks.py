"""System checks recur.E000-E008 and recur.W001-W008."""

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


# ----------------------------------------------------------------- newcomer mistakes


def run_values(debug: bool = True, emulator: Any = None, **recur: Any) -> list[checks.CheckMessage]:
    from recur_django.checks import check_recur_setting_values

    value = {k: v for k, v in {**GOOD, **recur}.items() if v is not ...}
    extra = {} if emulator is None else {"RECUR_EMULATOR": emulator}
    with override_settings(RECUR=value, DEBUG=debug, **extra):
        return check_recur_setting_values()


def by_id(messages: list[checks.CheckMessage]) -> dict[str, list[checks.CheckMessage]]:
    found: dict[str, list[checks.CheckMessage]] = {}
    for message in messages:
        found.setdefault(str(message.id), []).append(message)
    return found


def test_good_values_pass() -> None:
    assert run_values() == []
    assert run_values(TIMEOUT=10, CLOCK="django.utils.timezone.now") == []


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [
        ("WEBHOOK_SECRETS", "WEBHOOK_SECRET"),
        ("API_URL", "API_BASE"),
        ("TIMEOUTS", "TIMEOUT"),
        ("secret_key", "SECRET_KEY"),
    ],
)
def test_unknown_recur_key_names_the_closest_valid_one(key: str, suggestion: str) -> None:
    (message,) = by_id(run_values(**{key: "x"}))["recur.W004"]
    assert key in message.msg and repr(suggestion) in str(message.hint)


def test_unknown_emulator_key_names_the_closest_valid_one() -> None:
    found = by_id(run_values(emulator={"WEBHOOK_URLS": "http://x/", "SECRET_KEYS": ["sk_test_x"]}))
    (message,) = found["recur.W005"]
    assert "RECUR_EMULATOR['WEBHOOK_URLS']" in message.msg
    assert "'WEBHOOK_URL'" in str(message.hint)


@pytest.mark.parametrize("secret", ["sk_test_x", ["whsec_new", "old-secret"]])
def test_a_webhook_secret_without_whsec_warns(secret: Any) -> None:
    (message,) = by_id(run_values(WEBHOOK_SECRET=secret))["recur.W006"]
    assert "whsec_" in message.msg and "Settings → Webhooks" in str(message.hint)
    assert "old-secret" not in message.msg and "sk_test_x" not in message.msg  # never the whole


@pytest.mark.parametrize("timeout", ["10", (5, "30"), (1, 2, 3), 0, None, True])
def test_a_non_numeric_timeout_warns(timeout: Any) -> None:
    (message,) = by_id(run_values(TIMEOUT=timeout))["recur.W007"]
    assert "(connect, read)" in str(message.hint)


def test_a_test_key_without_debug_warns() -> None:
    assert "recur.W008" in by_id(run_values(debug=False, SECRET_KEY="sk_test_x"))
    assert "recur.W008" not in by_id(run_values(debug=True, SECRET_KEY="sk_test_x"))
    assert "recur.W008" not in by_id(run_values(debug=False, SECRET_KEY="sk_live_x"))


def test_an_unimportable_clock_is_an_error() -> None:
    (message,) = by_id(run_values(CLOCK="myproject.clocks.nope"))["recur.E006"]
    assert "CLOCK" in message.msg


def test_new_checks_are_registered() -> None:
    with override_settings(RECUR={**GOOD, "API_URL": "x"}):
        ids = {m.id for m in checks.run_checks(tags=["recur"])}
    assert "recur.W004" in ids


# ----------------------------------------------------------------- RECUR vs RECUR_EMULATOR

EMULATED = {**GOOD, "API_BASE": "http://127.0.0.1:8000/_recur"}


def agreement(recur: dict[str, Any], emulator: dict[str, Any]) -> dict[str, checks.CheckMessage]:
    from recur_django.checks import check_emulator_agreement

    with override_settings(RECUR=recur, RECUR_EMULATOR=emulator):
        return {str(m.id): m for m in check_emulator_agreement()}


def test_agreeing_keys_pass() -> None:
    emulator = {"SECRET_KEYS": ["sk_test_x"], "WEBHOOK_SECRET": "whsec_x"}
    assert agreement(EMULATED, emulator) == {}
    rotating = {**EMULATED, "WEBHOOK_SECRET": ["whsec_new", "whsec_x"]}
    assert agreement(rotating, emulator) == {}


def test_a_secret_key_the_emulator_refuses_is_e007() -> None:
    found = agreement(EMULATED, {"SECRET_KEYS": ["sk_test_demo"], "WEBHOOK_SECRET": "whsec_x"})
    assert set(found) == {"recur.E007"}
    message = found["recur.E007"]
    assert message.level == checks.ERROR
    assert "RECUR['SECRET_KEY']" in message.msg and "RECUR_EMULATOR['SECRET_KEYS']" in message.msg


def test_a_publishable_key_as_secret_key_is_e002_without_e007() -> None:
    """E007's hint would say to add the pk_ key to SECRET_KEYS, contradicting E002's."""
    emulator = {"SECRET_KEYS": ["sk_test_x"], "WEBHOOK_SECRET": "whsec_x"}
    assert agreement({**EMULATED, "SECRET_KEY": "pk_test_x"}, emulator) == {}
    with override_settings(RECUR_EMULATOR=emulator):
        found = run(SECRET_KEY="pk_test_x", API_BASE=EMULATED["API_BASE"])
    assert "recur.E002" in found and "PUBLISHABLE_KEY" in str(found["recur.E002"].hint)


def test_differing_webhook_secrets_are_e008() -> None:
    found = agreement(EMULATED, {"SECRET_KEYS": ["sk_test_x"], "WEBHOOK_SECRET": "whsec_demo"})
    assert set(found) == {"recur.E008"}
    assert "RECUR_EMULATOR['WEBHOOK_SECRET']" in found["recur.E008"].msg
    assert "RECUR['WEBHOOK_SECRET']" in found["recur.E008"].msg


def test_no_agreement_needed_against_the_real_recur() -> None:
    emulator = {"SECRET_KEYS": ["sk_test_demo"], "WEBHOOK_SECRET": "whsec_demo"}
    assert agreement(GOOD, emulator) == {}


def test_no_agreement_needed_without_the_emulator_app(settings: Any) -> None:
    settings.INSTALLED_APPS = [a for a in settings.INSTALLED_APPS if a != "recur_django.emulator"]
    emulator = {"SECRET_KEYS": ["sk_test_demo"], "WEBHOOK_SECRET": "whsec_demo"}
    assert agreement(EMULATED, emulator) == {}
