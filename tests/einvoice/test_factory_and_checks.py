"""RECUR["EINVOICE"]: coercion, the cached backend, and the system checks."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.test import override_settings

from recur_django.conf import recur_settings
from recur_django.einvoice import factory
from recur_django.einvoice.backends.ecpay import ECPayBackend
from recur_django.einvoice.backends.ezpay import EzPayBackend
from recur_django.einvoice.checks import check_einvoice
from recur_django.einvoice.choice import validate_invoice_choice
from tests.einvoice.conftest import ECPAY_OPTIONS

ECPAY = "recur_django.einvoice.backends.ecpay.ECPayBackend"
PRODUCTION = {
    "MERCHANT_ID": "3383324",
    "HASH_KEY": "A" * 16,
    "HASH_IV": "B" * 16,
    "API_BASE": "https://einvoice.ecpay.com.tw",
}


def recur(einvoice: Any) -> dict[str, Any]:
    from django.conf import settings

    return {**settings.RECUR, "EINVOICE": einvoice}


def ids(messages: list[Any]) -> list[str]:
    return [message.id for message in messages]


def test_off_by_default():
    assert recur_settings.einvoice is None
    assert not factory.is_enabled()
    with pytest.raises(ImproperlyConfigured):
        factory.get_backend()
    assert check_einvoice() == []


@pytest.mark.parametrize("value", [None, {}])
def test_none_or_empty_is_off(value):
    with override_settings(RECUR=recur(value)):
        assert not factory.is_enabled()


def test_the_backend_is_built_once_and_rebuilt_on_change():
    with override_settings(RECUR=recur({"BACKEND": ECPAY, "OPTIONS": ECPAY_OPTIONS})):
        backend = factory.get_backend()
        assert isinstance(backend, ECPayBackend) and factory.get_backend() is backend
        with override_settings(
            RECUR=recur({"OPTIONS": {**ECPAY_OPTIONS, "MERCHANT_ID": "2000933"}})
        ):
            other = factory.get_backend()
            assert other is not backend and other.merchant_id == "2000933"  # ECPay is the default
    assert not factory.is_enabled()


def test_ezpay_backend():
    options = {"MERCHANT_ID": "1", "HASH_KEY": "k" * 32, "HASH_IV": "v" * 16}
    with override_settings(
        RECUR=recur(
            {"BACKEND": "recur_django.einvoice.backends.ezpay.EzPayBackend", "OPTIONS": options}
        )
    ):
        assert isinstance(factory.get_backend(), EzPayBackend)


def test_the_configured_backend_adds_its_rules_to_the_choice():
    with (
        override_settings(RECUR=recur({"OPTIONS": ECPAY_OPTIONS})),
        pytest.raises(ValidationError) as info,
    ):
        validate_invoice_choice(
            {"invoice_kind": "company", "invoice_ubn": "22099131", "invoice_title": "ACME"},
            email="a@x.tw",
        )
    assert list(info.value.message_dict) == ["invoice_address"]


@pytest.mark.parametrize(
    "value",
    [
        "ecpay",
        {"BACKEND": ECPAY, "MERCHANT_ID": "2000132"},  # credentials outside OPTIONS
        {"BACKEND": 1},
        {"BACKEND": ECPAY, "OPTIONS": ["x"]},
    ],
)
def test_malformed_settings_are_e030(value):
    with override_settings(RECUR=recur(value)):
        with pytest.raises(ImproperlyConfigured):
            factory.is_enabled()
        assert ids(check_einvoice()) == ["recur.E030"]


@pytest.mark.parametrize("backend", ["nowhere.Backend", "recur_django.conf.RecurSettings"])
def test_unimportable_or_wrong_backend_is_e031(backend):
    with override_settings(RECUR=recur({"BACKEND": backend, "OPTIONS": ECPAY_OPTIONS})):
        assert ids(check_einvoice()) == ["recur.E031"]
        with pytest.raises(ImproperlyConfigured):
            factory.get_backend()


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"MERCHANT_ID": "2000132"},
        {**ECPAY_OPTIONS, "HASH_KEY": "short"},
        {**ECPAY_OPTIONS, "API_BASE": "ftp://x"},
    ],
)
def test_missing_or_invalid_credentials_are_e032(options):
    with override_settings(RECUR=recur({"OPTIONS": options})):
        messages = check_einvoice()
    assert ids(messages) == ["recur.E032"]
    assert ECPAY_OPTIONS["HASH_KEY"] not in messages[0].msg


def test_test_credentials_and_stage_host_warn_with_debug_off():
    with override_settings(DEBUG=False, RECUR=recur({"OPTIONS": ECPAY_OPTIONS})):
        messages = check_einvoice()
    assert ids(messages) == ["recur.W030", "recur.W031"]
    assert all(ECPAY_OPTIONS["HASH_KEY"] not in m.msg for m in messages)
    with override_settings(DEBUG=True, RECUR=recur({"OPTIONS": ECPAY_OPTIONS})):
        assert check_einvoice() == []
    with override_settings(DEBUG=False, RECUR=recur({"OPTIONS": PRODUCTION})):
        assert check_einvoice() == []
    with override_settings(
        DEBUG=False,
        RECUR=recur(
            {"OPTIONS": {**PRODUCTION, "API_BASE": "http://127.0.0.1:8000/_recur/einvoice"}}
        ),
    ):
        assert ids(check_einvoice()) == ["recur.W031"]


def test_einvoice_is_a_known_setting(client):
    from recur_django.checks import check_recur_setting_values

    with override_settings(RECUR=recur({"OPTIONS": ECPAY_OPTIONS})):
        assert "recur.W004" not in ids(check_recur_setting_values())
