"""recur_django.conf: defaults, required keys, refresh on override_settings."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from recur_django.conf import recur_settings

BASE = {"SECRET_KEY": "sk_test_x", "WEBHOOK_SECRET": "whsec_x"}


def test_defaults_fill_unset_keys() -> None:
    with override_settings(RECUR=BASE):
        assert recur_settings.API_BASE == "https://api.recur.tw"
        assert recur_settings.TIMEOUT == (5.0, 30.0)
        assert recur_settings.MAX_RETRIES == 2
        assert recur_settings.get("PUBLISHABLE_KEY") is None


def test_user_values_win_over_defaults() -> None:
    custom = {**BASE, "API_BASE": "http://127.0.0.1:9/_recur", "MAX_RETRIES": 5}
    with override_settings(RECUR=custom):
        assert recur_settings.API_BASE == "http://127.0.0.1:9/_recur"
        assert recur_settings.MAX_RETRIES == 5


@pytest.mark.parametrize("key", ["SECRET_KEY", "WEBHOOK_SECRET"])
@pytest.mark.parametrize("missing", [None, "", "absent"])
def test_missing_required_key_names_the_key(key: str, missing: str | None) -> None:
    value = {k: v for k, v in BASE.items() if not (k == key and missing == "absent")}
    if missing != "absent":
        value[key] = missing  # type: ignore[assignment]
    with override_settings(RECUR=value), pytest.raises(ImproperlyConfigured, match=key):
        getattr(recur_settings, key)


def test_get_never_raises_for_missing_required_key() -> None:
    with override_settings(RECUR={}):
        assert recur_settings.get("SECRET_KEY") is None
        assert recur_settings.get("SECRET_KEY", "fallback") == "fallback"
        assert recur_settings.is_set("SECRET_KEY") is False


def test_unknown_key_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="SECRET_KEYS"):
        recur_settings.SECRET_KEYS  # noqa: B018
    with pytest.raises(AttributeError):
        recur_settings.get("NOPE")


def test_recur_must_be_a_dict() -> None:
    with override_settings(RECUR=["sk_test_x"]), pytest.raises(ImproperlyConfigured, match="dict"):
        recur_settings.API_BASE  # noqa: B018


def test_override_settings_refreshes_the_cached_values() -> None:
    with override_settings(RECUR={**BASE, "SECRET_KEY": "sk_test_one"}):
        assert recur_settings.SECRET_KEY == "sk_test_one"
        with override_settings(RECUR={**BASE, "SECRET_KEY": "sk_test_two"}):
            assert recur_settings.SECRET_KEY == "sk_test_two"
        assert recur_settings.SECRET_KEY == "sk_test_one"


def test_webhook_secrets_accepts_a_string_or_a_list() -> None:
    with override_settings(RECUR={**BASE, "WEBHOOK_SECRET": "whsec_one"}):
        assert recur_settings.WEBHOOK_SECRETS == ["whsec_one"]
    with override_settings(RECUR={**BASE, "WEBHOOK_SECRET": ["whsec_new", "", "whsec_old"]}):
        assert recur_settings.WEBHOOK_SECRETS == ["whsec_new", "whsec_old"]
    with (
        override_settings(RECUR={**BASE, "WEBHOOK_SECRET": ["", None]}),
        pytest.raises(ImproperlyConfigured, match="WEBHOOK_SECRET"),
    ):
        recur_settings.WEBHOOK_SECRETS  # noqa: B018
